package csvio

import (
	"io"
	"strings"
	"testing"
)

// readBatches reads in into batches of at most max rows.
func readBatches(t *testing.T, in string, max int) []*Batch {
	t.Helper()
	r, err := NewReader(iotestHalf([]byte(in)), "t.csv", Options{Header: true, MaxRecordLines: 4})
	if err != nil {
		t.Fatal(err)
	}
	var bs []*Batch
	for {
		b := new(Batch)
		err := r.ReadBatch(b, max)
		if err == io.EOF {
			return bs
		}
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
}

// TestBatchLines: whatever the rows, Lines is nil or exactly what WriteRaw
// would write row by row; the common LF file gives one span.
func TestBatchLines(t *testing.T) {
	cases := []struct {
		name string
		in   string
		span bool // Lines(0, Len) of the first batch is not nil
	}{
		{"lf", "a,b\n1,2\n3,4\n5,6\n", true},
		{"quoted", "a,b\n\"x,y\",2\n3,\"4\"\n", true},
		{"multiline", "a,b\n\"x\ny\",2\n3,4\n", true},
		{"crlf", "a,b\r\n1,2\r\n3,4\r\n", false},
		{"mixed", "a,b\n1,2\r\n3,4\n5,6\n", false},
		{"doubled quotes", "a,b\n\"x\"\"y\",2\n3,4\n", false},
		{"no final newline", "a,b\n1,2\n3,4", false},
		{"blank line between", "a,b\n1,2\n\n3,4\n", false},
		{"bad row", "a,b\n1,2\n3\n5,6\n", false}, // taken row by row: its own copy
		{"one row", "a,b\n1,2\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, max := range []int{1, 2, 1000} {
				bs := readBatches(t, tc.in, max)
				for _, b := range bs {
					for i := 0; i <= b.Len(); i++ {
						for j := i; j <= b.Len(); j++ {
							got := b.Lines(i, j)
							if got == nil {
								continue
							}
							var want strings.Builder
							for k := i; k < j; k++ {
								want.Write(b.Row(k).Raw)
								want.WriteByte('\n')
							}
							if string(got) != want.String() {
								t.Fatalf("max %d: Lines(%d, %d) = %q, want %q", max, i, j, got, want.String())
							}
						}
					}
				}
				if max == 1000 {
					if got := bs[0].Lines(0, bs[0].Len()) != nil; got != tc.span {
						t.Fatalf("one span: %v, want %v", got, tc.span)
					}
				}
			}
		})
	}
}

func TestBatchFieldAndRowInfo(t *testing.T) {
	in := "a,b,c\n1,2,3\n\"x\"\"y\",,z\nbad\n\"p\nq\",r,s\n"
	for _, b := range readBatches(t, in, 1000) {
		for i := range b.Len() {
			row := b.Row(i)
			line, err := b.RowInfo(i)
			if line != row.Line || err != row.Err {
				t.Fatalf("row %d: RowInfo = %d, %v; Row = %d, %v", i, line, err, row.Line, row.Err)
			}
			for c := range row.NumFields() {
				if got := b.Field(i, c); string(got) != string(row.Field(c)) || cap(got) != len(got) {
					t.Fatalf("row %d field %d: %q (cap %d), want %q", i, c, got, cap(got), row.Field(c))
				}
			}
		}
	}
}

func TestWriteLines(t *testing.T) {
	var sb strings.Builder
	w := NewWriter(&sb)
	if err := w.WriteRaw([]byte("a,b")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteLines([]byte("1,2\n3,4\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := sb.String(); got != "a,b\n1,2\n3,4\n" {
		t.Fatalf("%q", got)
	}
}
