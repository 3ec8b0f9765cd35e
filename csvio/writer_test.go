package csvio

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestWriteRecord(t *testing.T) {
	cases := []struct {
		name   string
		delim  byte
		fields []string
		want   string
	}{
		{"plain", ',', []string{"a", "b c", ""}, "a,b c,\n"},
		{"delimiter", ',', []string{"a,b", "c"}, "\"a,b\",c\n"},
		{"quote", ',', []string{`say "hi"`}, "\"say \"\"hi\"\"\"\n"},
		{"newline", ',', []string{"two\nlines", "crlf\r\nx", "cr\r"}, "\"two\nlines\",\"crlf\r\nx\",\"cr\r\"\n"},
		{"lone empty field is not a blank line", ',', []string{""}, "\"\"\n"},
		{"no fields", ',', nil, "\n"},
		{"tab delimiter quotes tabs, not commas", '\t', []string{"a\tb", "c,d"}, "\"a\tb\"\tc,d\n"},
		{"leading BOM is quoted", ',', []string{"\ufeffx", "y"}, "\"\ufeffx\",y\n"},
		{"bare quote inside quoted", ',', []string{`"`}, "\"\"\"\"\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriterDelim(&buf, c.delim)
			fs := make([][]byte, len(c.fields))
			for i, f := range c.fields {
				fs[i] = []byte(f)
			}
			if err := w.WriteRecord(fs...); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != c.want {
				t.Fatalf("wrote %q, want %q", buf.String(), c.want)
			}
			if len(c.fields) == 0 {
				return
			}
			// And it reads back as written.
			_, rows := readAll(t, &buf, Options{Delimiter: c.delim})
			if len(rows) != 1 || rows[0].Err != nil || strings.Join(rows[0].Fields, "|") != strings.Join(c.fields, "|") {
				t.Fatalf("read back %v", rows)
			}
		})
	}
}

// The rejected-rows use: original rows, unchanged, plus reasons.
func TestWriteRawWithRoundTrip(t *testing.T) {
	in := "customer,phone,address\nC1,\"021 6234-5678\",\"Room 5, \"\"Gold\"\" Tower\nNanjing Rd\"\nC2,bad,x\n"
	r, err := NewReader(strings.NewReader(in), "c.csv", Options{Header: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := NewWriter(&out)
	if err := w.WriteRecord([]byte("customer"), []byte("phone"), []byte("address"), []byte("reason"), []byte("detail")); err != nil {
		t.Fatal(err)
	}
	for {
		row, err := r.Read()
		if err != nil {
			break
		}
		if err := w.WriteRawWith(row.Raw, "opted_out", "list: mail, dnc"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteRawWith(nil, "too_long"); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRaw([]byte("C9,1,y")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "customer,phone,address,reason,detail\n" +
		"C1,\"021 6234-5678\",\"Room 5, \"\"Gold\"\" Tower\nNanjing Rd\",opted_out,\"list: mail, dnc\"\n" +
		"C2,bad,x,opted_out,\"list: mail, dnc\"\n" +
		",too_long\n" +
		"C9,1,y\n"
	if out.String() != want {
		t.Fatalf("wrote\n%q\nwant\n%q", out.String(), want)
	}
	_, rows := readAll(t, &out, Options{Header: true, FieldsPerRecord: -1})
	if len(rows) != 4 || rows[0].Fields[2] != "Room 5, \"Gold\" Tower\nNanjing Rd" || rows[0].Fields[4] != "list: mail, dnc" {
		t.Fatalf("read back %v", rows)
	}
}

type brokenWriter struct{ n int }

func (b *brokenWriter) Write(p []byte) (int, error) {
	b.n++
	return 0, errors.New("pipe closed")
}

func TestWriterErrorsAreSticky(t *testing.T) {
	bw := &brokenWriter{}
	w := NewWriter(bw)
	big := bytes.Repeat([]byte("x"), writerBufSize+10)
	if err := w.WriteRaw(big); err == nil {
		t.Fatal("write past the buffer to a broken writer succeeded")
	}
	if err := w.WriteRecord([]byte("a")); err == nil {
		t.Fatal("error not sticky")
	}
	if err := w.Flush(); err == nil {
		t.Fatal("flush after error succeeded")
	}
}

func BenchmarkWriter(b *testing.B) {
	data := genCampaign(benchRows, 10)
	r, err := NewReader(bytes.NewReader(data), "bench.csv", Options{Header: true})
	if err != nil {
		b.Fatal(err)
	}
	var rows [][][]byte
	for {
		row, err := r.Read()
		if err != nil {
			break
		}
		fs := make([][]byte, len(row.Fields))
		for i, f := range row.Fields {
			fs[i] = bytes.Clone(f)
		}
		rows = append(rows, fs)
	}
	b.Run("WriteRecord", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var out bytes.Buffer
		for b.Loop() {
			out.Reset()
			w := NewWriter(&out)
			for _, fs := range rows {
				if err := w.WriteRecord(fs...); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
