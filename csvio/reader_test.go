package csvio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReaderCases(t *testing.T) {
	hdr := Options{Header: true}
	cases := []struct {
		name   string
		in     string
		opts   Options
		header []string
		want   []string // got.String() of each row
	}{
		{
			name:   "BOM stripped",
			in:     "\ufeffcustomer,phone\nC1,123\n",
			opts:   hdr,
			header: []string{"customer", "phone"},
			want:   []string{`line 2: ["C1" "123"] raw="C1,123"`},
		},
		{
			name: "BOM without header",
			in:   "\ufeffa,b\n",
			want: []string{`line 1: ["a" "b"] raw="a,b"`},
		},
		{
			name:   "CRLF and LF mixed, no final newline",
			in:     "h1,h2\r\na,b\r\nc,d\ne,f",
			opts:   hdr,
			header: []string{"h1", "h2"},
			want: []string{
				`line 2: ["a" "b"] raw="a,b"`,
				`line 3: ["c" "d"] raw="c,d"`,
				`line 4: ["e" "f"] raw="e,f"`,
			},
		},
		{
			name: "final CR without LF",
			in:   "a,b\r",
			want: []string{`line 1: ["a" "b"] raw="a,b"`},
		},
		{
			name:   "header only",
			in:     "customer,phone\r\n",
			opts:   hdr,
			header: []string{"customer", "phone"},
		},
		{
			name:   "header only without newline",
			in:     "customer",
			opts:   hdr,
			header: []string{"customer"},
		},
		{
			name: "empty file without header",
			in:   "",
		},
		{
			name: "blank lines skipped, line numbers kept",
			in:   "\na,b\n\r\n\nc,d\n\n",
			want: []string{
				`line 2: ["a" "b"] raw="a,b"`,
				`line 5: ["c" "d"] raw="c,d"`,
			},
		},
		{
			name:   "ragged rows",
			in:     "a,b,c\n1,2,3\n1,2\n1,2,3,4\n1,2,3\n",
			opts:   hdr,
			header: []string{"a", "b", "c"},
			want: []string{
				`line 2: ["1" "2" "3"] raw="1,2,3"`,
				`line 3: ERROR t.csv:3: wrong number of fields: want 3, got 2; ["1" "2"] raw="1,2"`,
				`line 4: ERROR t.csv:4: wrong number of fields: want 3, got 4; ["1" "2" "3" "4"] raw="1,2,3,4"`,
				`line 5: ["1" "2" "3"] raw="1,2,3"`,
			},
		},
		{
			name: "field count from first row without header",
			in:   "1,2\n1,2,3\n",
			want: []string{
				`line 1: ["1" "2"] raw="1,2"`,
				`line 2: ERROR t.csv:2: wrong number of fields: want 2, got 3; ["1" "2" "3"] raw="1,2,3"`,
			},
		},
		{
			name: "field count check off",
			in:   "1,2\n1,2,3\n",
			opts: Options{FieldsPerRecord: -1},
			want: []string{
				`line 1: ["1" "2"] raw="1,2"`,
				`line 2: ["1" "2" "3"] raw="1,2,3"`,
			},
		},
		{
			name: "exact field count",
			in:   "1,2\n1,2,3\n",
			opts: Options{FieldsPerRecord: 3},
			want: []string{
				`line 1: ERROR t.csv:1: wrong number of fields: want 3, got 2; ["1" "2"] raw="1,2"`,
				`line 2: ["1" "2" "3"] raw="1,2,3"`,
			},
		},
		{
			name: "trailing delimiter and empty fields",
			in:   ",\na,,\n",
			opts: Options{FieldsPerRecord: -1},
			want: []string{
				`line 1: ["" ""] raw=","`,
				`line 2: ["a" "" ""] raw="a,,"`,
			},
		},
		{
			name: "quoted fields: delimiter, doubled quote, newline, CRLF kept",
			in:   "id,note\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\r\n4,\"crlf\r\ninside\"\n5,\"\"\n",
			opts: hdr,
			want: []string{
				`line 2: ["1" "a,b"] raw="1,\"a,b\""`,
				`line 3: ["2" "say \"hi\""] raw="2,\"say \"\"hi\"\"\""`,
				`line 4: ["3" "two\nlines"] raw="3,\"two\nlines\""`,
				`line 6: ["4" "crlf\r\ninside"] raw="4,\"crlf\r\ninside\""`,
				`line 8: ["5" ""] raw="5,\"\""`,
			},
			header: []string{"id", "note"},
		},
		{
			name: "quoted field last at EOF",
			in:   `a,"b"`,
			want: []string{`line 1: ["a" "b"] raw="a,\"b\""`},
		},
		{
			name: "quoted field then CR at EOF",
			in:   "a,\"b\"\r",
			want: []string{`line 1: ["a" "b"] raw="a,\"b\""`},
		},
		{
			name: "bare quotes in unquoted fields are data",
			in:   "5\" floppy,John \"Jack\" Smith\n",
			want: []string{`line 1: ["5\" floppy" "John \"Jack\" Smith"] raw="5\" floppy,John \"Jack\" Smith"`},
		},
		{
			name: "extraneous quote on one line",
			in:   "a,\"abc\"def,x\nb,c,d\n",
			want: []string{
				`line 1: ERROR t.csv:1:8: extraneous quote after quoted field; ["a" "abcdef" "x"] raw="a,\"abc\"def,x"`,
				`line 2: ["b" "c" "d"] raw="b,c,d"`,
			},
		},
		{
			name: "unbalanced quote at EOF on one line",
			in:   "a,b\nc,\"d\n",
			want: []string{
				`line 1: ["a" "b"] raw="a,b"`,
				`line 2: ERROR t.csv:2:3: unbalanced quote; raw="c,\"d"`,
			},
		},
		{
			name: "unbalanced quote resynchronises at the next line",
			in:   "id,name\n1,\"Smith\n2,Jones\n3,Brown\n",
			opts: hdr,
			want: []string{
				`line 2: ERROR t.csv:2:3: unbalanced quote; raw="1,\"Smith"`,
				`line 3: ["2" "Jones"] raw="2,Jones"`,
				`line 4: ["3" "Brown"] raw="3,Brown"`,
			},
			header: []string{"id", "name"},
		},
		{
			name: "stray quote closed by junk lines later is cut back",
			in:   "1,\"abc\n2,x\"y\n3,z\n",
			want: []string{
				`line 1: ERROR t.csv:1:3: unbalanced quote; raw="1,\"abc"`,
				`line 2: ["2" "x\"y"] raw="2,x\"y"`,
				`line 3: ["3" "z"] raw="3,z"`,
			},
		},
		{
			name: "stray quote followed by a quoted field",
			in:   "1,\"abc\n2,\"x\"\n",
			want: []string{
				`line 1: ERROR t.csv:1:3: unbalanced quote; raw="1,\"abc"`,
				`line 2: ["2" "x"] raw="2,\"x\""`,
			},
		},
		{
			name: "stray quote closed by another: RFC merges the lines",
			in:   "1,\"abc\n2,x\n3,y\",z\n4,w,v\n",
			want: []string{
				`line 1: ["1" "abc\n2,x\n3,y" "z"] raw="1,\"abc\n2,x\n3,y\",z"`,
				`line 4: ["4" "w" "v"] raw="4,w,v"`,
			},
		},
		{
			name: "MaxRecordLines cuts such a record back",
			in:   "1,\"abc\n2,x\n3,y\",z\n4,w,v\n5,\"two\nlines\",u\n",
			opts: Options{MaxRecordLines: 2, FieldsPerRecord: -1},
			want: []string{
				`line 1: ERROR t.csv:1:3: unbalanced quote; raw="1,\"abc"`,
				`line 2: ["2" "x"] raw="2,x"`,
				`line 3: ["3" "y\"" "z"] raw="3,y\",z"`,
				`line 4: ["4" "w" "v"] raw="4,w,v"`,
				`line 5: ["5" "two\nlines" "u"] raw="5,\"two\nlines\",u"`,
			},
		},
		{
			name: "NUL byte is binary",
			in:   "a,b\nc,d\x00e\nf,g\n",
			want: []string{
				`line 1: ["a" "b"] raw="a,b"`,
				`line 2: ERROR t.csv:2:4: binary data; ["c" "d\x00e"] raw="c,d\x00e"`,
				`line 3: ["f" "g"] raw="f,g"`,
			},
		},
		{
			name: "NUL in a quoted multi-line record names its line",
			in:   "a,\"b\nc\x00\"\n",
			want: []string{
				`line 1: ERROR t.csv:2:2: binary data; ["a" "b\nc\x00"] raw="a,\"b\nc\x00\""`,
			},
		},
		{
			name: "control-heavy invalid UTF-8 is binary",
			in:   "ab,cd\n\x01\x02\xff\xfe,\x03\x04\n",
			want: []string{
				`line 1: ["ab" "cd"] raw="ab,cd"`,
				`line 2: ERROR t.csv:2:3: binary data; ["\x01\x02\xff\xfe" "\x03\x04"] raw="\x01\x02\xff\xfe,\x03\x04"`,
			},
		},
		{
			name: "legacy encodings (GBK, Latin-1) are not binary",
			in:   "1,\xd5\xc5\xc8\xfd\n2,Jos\xe9\n",
			want: []string{
				`line 1: ["1" "\xd5\xc5\xc8\xfd"] raw="1,\xd5\xc5\xc8\xfd"`,
				`line 2: ["2" "Jos\xe9"] raw="2,Jos\xe9"`,
			},
		},
		{
			name: "tab delimiter",
			in:   "a\tb c\t\"d\te\"\n",
			opts: Options{Delimiter: '\t'},
			want: []string{`line 1: ["a" "b c" "d\te"] raw="a\tb c\t\"d\te\""`},
		},
		{
			name: "semicolon delimiter",
			in:   "a;b,c\n",
			opts: Options{Delimiter: ';'},
			want: []string{`line 1: ["a" "b,c"] raw="a;b,c"`},
		},
		{
			name: "whitespace mode (CDNOW)",
			in:   " 00004 0001 19970101  2   29.33\r\n\t \r\n 00004 0001 19970118  2   29.73\n",
			opts: Options{Whitespace: true},
			want: []string{
				`line 1: ["00004" "0001" "19970101" "2" "29.33"] raw=" 00004 0001 19970101  2   29.33"`,
				`line 3: ["00004" "0001" "19970118" "2" "29.73"] raw=" 00004 0001 19970118  2   29.73"`,
			},
		},
		{
			name: "whitespace mode has no quoting",
			in:   "\"a b\" c\n",
			opts: Options{Whitespace: true},
			want: []string{`line 1: ["\"a" "b\"" "c"] raw="\"a b\" c"`},
		},
		{
			name: "line over the limit is skipped, reading goes on",
			in:   "a,b\n" + strings.Repeat("x", 40) + "\nc,d\n",
			opts: Options{MaxRecordBytes: 16},
			want: []string{
				`line 1: ["a" "b"] raw="a,b"`,
				`line 2: ERROR t.csv:2: record too long: more than 16 bytes; raw=nil`,
				`line 3: ["c" "d"] raw="c,d"`,
			},
		},
		{
			name: "line over the limit at EOF",
			in:   "a,b\n" + strings.Repeat("x", 40),
			opts: Options{MaxRecordBytes: 16},
			want: []string{
				`line 1: ["a" "b"] raw="a,b"`,
				`line 2: ERROR t.csv:2: record too long: more than 16 bytes; raw=nil`,
			},
		},
		{
			name: "line at exactly the limit with CRLF",
			in:   strings.Repeat("y", 16) + "\r\n",
			opts: Options{MaxRecordBytes: 16},
			want: []string{`line 1: ["yyyyyyyyyyyyyyyy"] raw="yyyyyyyyyyyyyyyy"`},
		},
		{
			name: "quoted record over the limit across lines is cut back",
			in:   "a,\"b\n" + strings.Repeat("z", 30) + "\"\nc,d\n",
			opts: Options{MaxRecordBytes: 16},
			want: []string{
				`line 1: ERROR t.csv:1:3: unbalanced quote; raw="a,\"b"`,
				`line 2: ERROR t.csv:2: record too long: more than 16 bytes; raw=nil`,
				`line 3: ["c" "d"] raw="c,d"`,
			},
		},
		{
			name: "multi-line record over the limit after its quotes closed",
			in:   "\"a\nb\"," + strings.Repeat("z", 30) + "\nc,d\n",
			opts: Options{MaxRecordBytes: 16, FieldsPerRecord: -1},
			want: []string{
				`line 1: ERROR t.csv:1: record too long: more than 16 bytes; raw="\"a"`,
				`line 2: ERROR t.csv:2: record too long: more than 16 bytes; raw=nil`,
				`line 3: ["c" "d"] raw="c,d"`,
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := readEveryWay(t, c.in, c.opts)
			var gotS []string
			for _, r := range rows {
				gotS = append(gotS, r.String())
			}
			if strings.Join(gotS, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(gotS, "\n"), strings.Join(c.want, "\n"))
			}
			r, _ := readAll(t, strings.NewReader(c.in), c.opts)
			if c.opts.Header && strings.Join(r.Header(), "|") != strings.Join(c.header, "|") {
				t.Errorf("header %q, want %q", r.Header(), c.header)
			}
			headerLines := 0
			if c.opts.Header {
				headerLines = 1 + strings.Count(strings.Join(c.header, ""), "\n")
			}
			checkTiling(t, []byte(c.in), c.opts, rows, r.Stats(), headerLines)
		})
	}
}

func TestRowErrorsBranch(t *testing.T) {
	in := "a,b\n1\n\"x\n"
	r, err := NewReader(strings.NewReader(in), "campaign.csv", Options{Header: true})
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Read()
	var re *RowError
	if !errors.As(err, &re) || !errors.Is(err, ErrFieldCount) || row == nil || string(row.Raw) != "1" {
		t.Fatalf("ragged: row %v err %v", row, err)
	}
	if re.File != "campaign.csv" || re.Line != 2 || !strings.Contains(err.Error(), "want 2, got 1") {
		t.Fatalf("ragged error %+v: %v", re, err)
	}
	row, err = r.Read()
	if !errors.Is(err, ErrUnbalancedQuote) || err.Error() != "campaign.csv:3:1: unbalanced quote" || row.Err == nil {
		t.Fatalf("unbalanced: %v", err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("EOF not sticky: %v", err)
	}
}

func TestEmptyFile(t *testing.T) {
	for _, in := range []string{"", "\ufeff", "\n\n", "\r\n", "\ufeff\n"} {
		_, err := NewReader(strings.NewReader(in), "campaign.csv", Options{Header: true})
		if !errors.Is(err, ErrEmptyFile) || !strings.Contains(err.Error(), "campaign.csv") {
			t.Errorf("%q with header: err %v, want ErrEmptyFile naming the file", in, err)
		}
		r, err := NewReader(strings.NewReader(in), "campaign.csv", Options{})
		if err != nil {
			t.Fatalf("%q without header: %v", in, err)
		}
		if _, err := r.Read(); err != io.EOF {
			t.Errorf("%q without header: Read %v, want io.EOF", in, err)
		}
	}
	// Whitespace-only lines are blank in Whitespace mode.
	_, err := NewReader(strings.NewReader("  \n\t\n"), "cdnow.txt", Options{Header: true, Whitespace: true})
	if !errors.Is(err, ErrEmptyFile) {
		t.Errorf("whitespace-only: %v", err)
	}
}

func TestBadHeader(t *testing.T) {
	_, err := NewReader(strings.NewReader("a,\"b\n"), "x.csv", Options{Header: true})
	if !errors.Is(err, ErrUnbalancedQuote) || err.Error() != "x.csv:1:3: unbalanced quote" {
		t.Fatalf("err %v", err)
	}
	_, err = NewReader(strings.NewReader("a\x00b\n"), "x.csv", Options{Header: true})
	if !errors.Is(err, ErrBinary) {
		t.Fatalf("err %v", err)
	}
	for _, d := range []byte{'"', '\n', '\r'} {
		if _, err := NewReader(strings.NewReader("a"), "x.csv", Options{Delimiter: d}); err == nil {
			t.Errorf("delimiter %q accepted", d)
		}
	}
}

func TestQuotedHeaderWithNewline(t *testing.T) {
	in := "\"cust\nomer\",phone\nC1,1\n"
	r, rows := readAll(t, strings.NewReader(in), Options{Header: true})
	if got := r.Header(); len(got) != 2 || got[0] != "cust\nomer" {
		t.Fatalf("header %q", got)
	}
	if len(rows) != 1 || rows[0].Line != 3 {
		t.Fatalf("rows %v", rows)
	}
	checkTiling(t, []byte(in), Options{}, rows, r.Stats(), 2)
}

// A 10 MB line is fine under the default limit.
func TestTenMegabyteLine(t *testing.T) {
	big := strings.Repeat("0123456789", 1<<20)
	in := "id,blob\n1," + big + "\n2,small\n"
	for _, batch := range []bool{false, true} {
		var rows []got
		var r *Reader
		if batch {
			r, rows = readAllBatch(t, strings.NewReader(in), Options{Header: true}, 16)
		} else {
			r, rows = readAll(t, strings.NewReader(in), Options{Header: true})
		}
		if len(rows) != 2 || rows[0].Err != nil || len(rows[0].Fields[1]) != len(big) || rows[1].Fields[1] != "small" {
			t.Fatalf("batch=%v: %d rows, first err %v", batch, len(rows), rows[0].Err)
		}
		if cap(r.buf) > DefaultMaxRecordBytes+2 {
			t.Fatalf("buffer grew to %d", cap(r.buf))
		}
	}
}

func TestTooLongLineIsNotBuffered(t *testing.T) {
	const limit = 1 << 10
	huge := bytes.Repeat([]byte("x"), 5<<20)
	in := append(append([]byte("a\n"), huge...), "\nb\n"...)
	r, rows := readAll(t, bytes.NewReader(in), Options{MaxRecordBytes: limit})
	if len(rows) != 3 || !errors.Is(rows[1].Err, ErrRecordTooLong) || rows[2].Fields[0] != "b" || rows[2].Line != 3 {
		t.Fatalf("rows %v", rows)
	}
	if cap(r.buf) > bufSize {
		t.Fatalf("buffer grew to %d for a skipped line", cap(r.buf))
	}
	checkTiling(t, in, Options{MaxRecordBytes: limit}, rows, r.Stats(), 0)
}

// A reader that fails after some bytes: the failure is fatal, named, and
// not mistaken for EOF (which would turn a cut line into a row).
func TestReadErrorIsFatal(t *testing.T) {
	boom := errors.New("disk on fire")
	src := io.MultiReader(strings.NewReader("a,b\nc,"), &failReader{boom})
	r, err := NewReader(src, "f.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Read(); err != nil || string(row.Raw) != "a,b" {
		t.Fatalf("first row: %v %v", row, err)
	}
	row, err := r.Read()
	if row != nil || !errors.Is(err, boom) || !strings.Contains(err.Error(), "f.csv") {
		t.Fatalf("want fatal error naming file, got row %v err %v", row, err)
	}
	var b Batch
	r, _ = NewReader(io.MultiReader(strings.NewReader("a,b\nc,"), &failReader{boom}), "f.csv", Options{})
	if err := r.ReadBatch(&b, 10); !errors.Is(err, boom) || b.Len() != 1 {
		t.Fatalf("batch: err %v len %d", err, b.Len())
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestNoProgressReader(t *testing.T) {
	_, err := NewReader(zeroReader{}, "z.csv", Options{})
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("err %v", err)
	}
}

func TestStats(t *testing.T) {
	in := "\ufeffh\n1\n\n2\n\"3\n"
	r, _ := readAll(t, strings.NewReader(in), Options{Header: true})
	want := Stats{Rows: 3, Errors: 1, BlankLines: 1, Lines: 5, Bytes: int64(len(in))}
	if r.Stats() != want {
		t.Fatalf("stats %+v, want %+v", r.Stats(), want)
	}
}

// Batches own their bytes: a batch read earlier is intact after the reader
// has moved on and refilled its buffer many times.
func TestBatchOwnsBytes(t *testing.T) {
	data := genCampaign(50_000, 7)
	r, err := NewReader(iotestHalf(data), "c.csv", Options{Header: true})
	if err != nil {
		t.Fatal(err)
	}
	var batches []*Batch
	for {
		b := new(Batch)
		if err := r.ReadBatch(b, 999); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	_, want := readAll(t, bytes.NewReader(data), Options{Header: true})
	i := 0
	for _, b := range batches {
		for j := 0; j < b.Len(); j++ {
			row := b.Row(j)
			w := want[i]
			if row.Line != w.Line || string(row.Raw) != string(w.Raw) || row.NumFields() != 4 || string(row.Field(3)) != w.Fields[3] {
				t.Fatalf("row %d: got line %d raw %q, want %v", i, row.Line, row.Raw, w)
			}
			i++
		}
	}
	if i != 50_000 {
		t.Fatalf("%d rows", i)
	}
}

func iotestHalf(b []byte) io.Reader {
	return &halfReader{b: b}
}

// halfReader returns at most 4093 bytes per Read, so refills split lines.
type halfReader struct{ b []byte }

func (h *halfReader) Read(p []byte) (int, error) {
	if len(h.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 4093)], h.b)
	h.b = h.b[n:]
	return n, nil
}

func TestRawIsCapped(t *testing.T) {
	r, err := NewReader(strings.NewReader("a,b\nc,d\n"), "t.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, _ := r.Read()
	_ = append(row.Raw, 'X')
	_ = append(row.Fields[0], 'Y')
	row, _ = r.Read()
	if string(row.Raw) != "c,d" {
		t.Fatalf("append to a row's slices changed the next row: %q", row.Raw)
	}
}

func TestReadBatchDefaultMax(t *testing.T) {
	data := genCampaign(DefaultBatchRows+5, 0)
	r, err := NewReader(bytes.NewReader(data), "c.csv", Options{Header: true})
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	if err := r.ReadBatch(&b, 0); err != nil || b.Len() != DefaultBatchRows {
		t.Fatalf("err %v len %d", err, b.Len())
	}
	if err := r.ReadBatch(&b, -1); err != nil || b.Len() != 5 {
		t.Fatalf("err %v len %d", err, b.Len())
	}
	if err := r.ReadBatch(&b, 0); err != io.EOF || b.Len() != 0 {
		t.Fatalf("err %v len %d", err, b.Len())
	}
}

// A batch of huge rows stops early instead of holding max of them.
func TestBatchStopsAtArenaLimit(t *testing.T) {
	row := strings.Repeat("x", 4<<20)
	in := strings.Repeat(row+"\n", 20)
	r, err := NewReader(strings.NewReader(in), "c.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	total := 0
	for {
		err := r.ReadBatch(&b, 1000)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(b.arena) > batchArenaLimit+len(row)+1 {
			t.Fatalf("arena %d", len(b.arena))
		}
		total += b.Len()
	}
	if total != 20 {
		t.Fatalf("%d rows", total)
	}
}
