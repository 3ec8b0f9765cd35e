package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// got is one row as a test sees it, whichever API produced it.
type got struct {
	Line   int64
	Fields []string // nil when the row had no fields
	Raw    []byte
	Err    *RowError
}

func (g got) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d:", g.Line)
	if g.Err != nil {
		fmt.Fprintf(&b, " ERROR %v;", g.Err)
	}
	if g.Fields != nil {
		fmt.Fprintf(&b, " %q", g.Fields)
	}
	if g.Raw == nil {
		b.WriteString(" raw=nil")
	} else {
		fmt.Fprintf(&b, " raw=%q", g.Raw)
	}
	return b.String()
}

func sameRows(a, b []got) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].String() != b[i].String() {
			return false
		}
	}
	return true
}

// readAll reads every row with Read. It fails the test on a fatal error.
func readAll(t testing.TB, src io.Reader, opts Options) (*Reader, []got) {
	t.Helper()
	r, err := NewReader(src, "t.csv", opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var rows []got
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		var re *RowError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("Read: fatal %v", err)
		}
		if row == nil {
			t.Fatalf("Read returned a nil row with %v", err)
		}
		if (err == nil) != (row.Err == nil) {
			t.Fatalf("Read: returned err %v but row.Err %v", err, row.Err)
		}
		g := got{Line: row.Line, Err: row.Err}
		if row.Raw != nil {
			g.Raw = bytes.Clone(row.Raw)
		}
		if row.Fields != nil {
			g.Fields = []string{}
			for _, f := range row.Fields {
				g.Fields = append(g.Fields, string(f))
			}
		}
		rows = append(rows, g)
		if len(rows) > 1<<24 {
			t.Fatal("runaway reader")
		}
	}
	return r, rows
}

// readAllBatch reads every row with ReadBatch in batches of max.
func readAllBatch(t testing.TB, src io.Reader, opts Options, max int) (*Reader, []got) {
	t.Helper()
	r, err := NewReader(src, "t.csv", opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var rows []got
	var b Batch
	for {
		err := r.ReadBatch(&b, max)
		if err == io.EOF {
			if b.Len() != 0 {
				t.Fatalf("ReadBatch: io.EOF with %d rows", b.Len())
			}
			break
		}
		if err != nil {
			t.Fatalf("ReadBatch: %v", err)
		}
		if b.Len() == 0 || b.Len() > max {
			t.Fatalf("ReadBatch: %d rows for max %d", b.Len(), max)
		}
		for i := 0; i < b.Len(); i++ {
			row := b.Row(i)
			g := got{Line: row.Line, Err: row.Err}
			if row.Raw != nil {
				g.Raw = bytes.Clone(row.Raw)
			}
			if row.NumFields() > 0 {
				g.Fields = []string{}
				for j := 0; j < row.NumFields(); j++ {
					g.Fields = append(g.Fields, string(row.Field(j)))
				}
			}
			rows = append(rows, g)
		}
		if len(rows) > 1<<24 {
			t.Fatal("runaway reader")
		}
	}
	return r, rows
}

// readEveryWay reads input through Read and ReadBatch, from whole, one-byte
// and half reads, checks they all agree, and returns the rows.
func readEveryWay(t testing.TB, input string, opts Options) []got {
	t.Helper()
	r, want := readAll(t, strings.NewReader(input), opts)
	ways := []struct {
		name string
		src  io.Reader
		max  int
	}{
		{"batch1", strings.NewReader(input), 1},
		{"batch3", strings.NewReader(input), 3},
		{"batch1000", strings.NewReader(input), 1000},
		{"onebyte", iotest.OneByteReader(strings.NewReader(input)), 0},
		{"half", iotest.HalfReader(strings.NewReader(input)), 0},
		{"onebyte-batch", iotest.OneByteReader(strings.NewReader(input)), 2},
	}
	for _, w := range ways {
		var rows []got
		var r2 *Reader
		if w.max > 0 {
			r2, rows = readAllBatch(t, w.src, opts, w.max)
		} else {
			r2, rows = readAll(t, w.src, opts)
		}
		if !sameRows(want, rows) {
			t.Fatalf("%s disagrees with Read:\nRead: %v\n%s: %v", w.name, want, w.name, rows)
		}
		if r.Stats() != r2.Stats() {
			t.Fatalf("%s stats %+v, Read stats %+v", w.name, r2.Stats(), r.Stats())
		}
	}
	return want
}

// checkTiling asserts the accounting invariant: every non-blank physical
// line of input belongs to exactly one row, in order; a row's Raw is the
// exact bytes of the lines it spans (without the last terminator); only
// too-long rows lack Raw, and they span one line. header says how many
// lines the header took.
func checkTiling(t testing.TB, input []byte, opts Options, rows []got, st Stats, headerLines int) {
	t.Helper()
	origLen := int64(len(input))
	input = bytes.TrimPrefix(input, utf8BOM)
	type pline struct{ start, end, next int } // end excludes "\n" and a "\r" before it
	var lines []pline
	for s := 0; s < len(input); {
		i := bytes.IndexByte(input[s:], '\n')
		next := s + i + 1
		e := s + i
		if i < 0 {
			next, e = len(input), len(input)
		}
		if e > s && input[e-1] == '\r' {
			e--
		}
		lines = append(lines, pline{s, e, next})
		s = next
	}
	isBlank := func(l pline) bool {
		c := input[l.start:l.end]
		if opts.Whitespace {
			c = bytes.Trim(c, " \t")
		}
		return len(c) == 0
	}
	if int64(len(lines)) != st.Lines {
		t.Fatalf("tiling: input has %d lines, reader consumed %d", len(lines), st.Lines)
	}
	if st.Rows != int64(len(rows)) {
		t.Fatalf("tiling: Stats.Rows %d, rows returned %d", st.Rows, len(rows))
	}
	var errs, blank int64
	k := headerLines
	for _, row := range rows {
		for k < len(lines) && int64(k+1) < row.Line {
			if !isBlank(lines[k]) {
				t.Fatalf("tiling: line %d (%q) is in no row; next row starts at line %d", k+1, input[lines[k].start:lines[k].end], row.Line)
			}
			blank++
			k++
		}
		if int64(k+1) != row.Line {
			t.Fatalf("tiling: row at line %d, expected line %d", row.Line, k+1)
		}
		if row.Err != nil {
			errs++
			if row.Err.Line < row.Line {
				t.Fatalf("tiling: error line %d before row line %d", row.Err.Line, row.Line)
			}
		}
		if row.Raw == nil {
			if row.Err == nil || !errors.Is(row.Err, ErrRecordTooLong) {
				t.Fatalf("tiling: row %v has no Raw but is not too long", row)
			}
			k++
			continue
		}
		span := bytes.Count(row.Raw, []byte{'\n'}) + 1
		if k+span > len(lines) {
			t.Fatalf("tiling: row %v spans past the end", row)
		}
		want := input[lines[k].start:lines[k+span-1].end]
		if !bytes.Equal(want, row.Raw) {
			t.Fatalf("tiling: row at line %d: Raw %q, input lines %q", row.Line, row.Raw, want)
		}
		k += span
	}
	for ; k < len(lines); k++ {
		if !isBlank(lines[k]) {
			t.Fatalf("tiling: trailing line %d (%q) is in no row", k+1, input[lines[k].start:lines[k].end])
		}
		blank++
	}
	if st.Errors != errs || st.BlankLines != blank {
		t.Fatalf("tiling: Stats %+v, counted %d errors %d blank", st, errs, blank)
	}
	if st.Bytes != origLen {
		t.Fatalf("tiling: consumed %d bytes of %d", st.Bytes, origLen)
	}
}
