package csvio

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

var fieldAlphabet = []string{"a", "b", "7", " ", ",", ";", "\t", `"`, "\n", "\r\n", "\r", "é", "张", "@", "."}

func randField(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(6); n > 0; n-- {
		b.WriteString(fieldAlphabet[rng.IntN(len(fieldAlphabet))])
	}
	return b.String()
}

// randRecords makes n records of nf fields each.
func randRecords(rng *rand.Rand, n, nf int) [][]string {
	recs := make([][]string, n)
	for i := range recs {
		recs[i] = make([]string, nf)
		for j := range recs[i] {
			recs[i][j] = randField(rng)
		}
		if nf == 1 && recs[i][0] == "" {
			recs[i][0] = "x"
		}
	}
	return recs
}

func writeRecords(t testing.TB, recs [][]string, delim byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriterDelim(&buf, delim)
	for _, rec := range recs {
		fs := make([][]byte, len(rec))
		for i, f := range rec {
			fs[i] = []byte(f)
		}
		if err := w.WriteRecord(fs...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Well-formed input: records in = rows out, exactly, with the same fields,
// whichever way it is read.
func TestPropertyWellFormedCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		delim := []byte{',', ';', '\t', '|'}[rng.IntN(4)]
		n, nf := rng.IntN(40), 1+rng.IntN(5)
		recs := randRecords(rng, n, nf)
		data := writeRecords(t, recs, delim)
		opts := Options{Delimiter: delim, FieldsPerRecord: nf}
		rows := readEveryWay(t, string(data), opts)
		if len(rows) != n {
			t.Fatalf("iter %d: %d records in, %d rows out\n%q", iter, n, len(rows), data)
		}
		for i, row := range rows {
			if row.Err != nil {
				t.Fatalf("iter %d row %d: %v\n%q", iter, i, row.Err, data)
			}
			if strings.Join(row.Fields, "\x00") != strings.Join(recs[i], "\x00") {
				t.Fatalf("iter %d row %d: fields %q, want %q", iter, i, row.Fields, recs[i])
			}
		}
		st, _ := readAll(t, bytes.NewReader(data), opts)
		checkTiling(t, data, opts, rows, st.Stats(), 0)
	}
}

// corrupt damages data in ways real files get damaged.
func corrupt(rng *rand.Rand, data []byte) []byte {
	out := bytes.Clone(data)
	for k := 1 + rng.IntN(3); k > 0 && len(out) > 0; k-- {
		i := rng.IntN(len(out))
		switch rng.IntN(7) {
		case 0: // drop a byte (often a quote or a line end)
			out = append(out[:i], out[i+1:]...)
		case 1:
			out = insert(out, i, '"')
		case 2:
			out = insert(out, i, 0)
		case 3:
			out = insert(out, i, '\n')
		case 4: // cut the file short
			out = out[:i]
		case 5:
			out = insert(out, i, 0xff)
		case 6:
			if j := bytes.IndexByte(out[i:], '"'); j >= 0 {
				out = append(out[:i+j], out[i+j+1:]...)
			}
		}
	}
	return out
}

func insert(b []byte, i int, c byte) []byte {
	b = append(b, 0)
	copy(b[i+1:], b[i:])
	b[i] = c
	return b
}

// Damaged and random input: every line still ends up in exactly one row
// (good or error), nothing loops, and every way of reading agrees.
func TestPropertyAccountingOnDamagedInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	kinds := map[error]int{}
	sentinels := []error{ErrUnbalancedQuote, ErrExtraneousQuote, ErrFieldCount, ErrRecordTooLong, ErrBinary}
	defer func() {
		// The generator must reach every kind of row error, or the
		// property says little.
		for _, s := range sentinels {
			if kinds[s] == 0 {
				t.Errorf("no %v row in the random inputs", s)
			}
		}
		t.Logf("row errors seen: %v", kinds)
	}()
	for iter := 0; iter < 1500; iter++ {
		var data []byte
		opts := Options{FieldsPerRecord: rng.IntN(4) - 1}
		switch rng.IntN(3) {
		case 0, 1:
			nf := 1 + rng.IntN(4)
			data = corrupt(rng, writeRecords(t, randRecords(rng, rng.IntN(30), nf), ','))
		case 2:
			alphabet := []byte("ab,\"\n\r \x00\xff\t")
			data = make([]byte, rng.IntN(200))
			for i := range data {
				data[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		if rng.IntN(4) == 0 {
			opts.MaxRecordBytes = 4 + rng.IntN(40)
		}
		if rng.IntN(8) == 0 {
			opts.Whitespace = true
		}
		if rng.IntN(4) == 0 {
			opts.MaxRecordLines = 1 + rng.IntN(3)
		}
		if rng.IntN(3) == 0 {
			data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		}
		rows := readEveryWay(t, string(data), opts)
		r, _ := readAll(t, bytes.NewReader(data), opts)
		checkTiling(t, data, opts, rows, r.Stats(), 0)
		for _, row := range rows {
			for _, s := range sentinels {
				if row.Err != nil && errors.Is(row.Err, s) {
					kinds[s]++
				}
			}
		}
	}
}

func fuzzOpts(flags byte) (Options, int) {
	opts := Options{
		Delimiter:       []byte{',', ';', '\t', '|'}[flags&3],
		Whitespace:      flags&4 != 0,
		FieldsPerRecord: int(flags>>3&3) - 1,
	}
	if flags&32 != 0 {
		opts.MaxRecordBytes = 1 + int(flags>>6)*7
	} else {
		opts.MaxRecordLines = int(flags >> 6)
	}
	return opts, 1 + int(flags>>6)*5
}

// FuzzReader: random bytes never panic or loop, Read and ReadBatch agree,
// and the accounting invariant holds.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"", "\ufeff", "a,b\nc,d\n", "a,\"b\nc\",d\n", "\"", "\"\"\"", "a,\"b\"c\n", "x\x00y\n",
		"\"a\nb\"c\nd", "\r\n\r\n", "a,\"b\"\r", "\"abc\n2,x\"y\n3,z\n", " 00004 0001 19970101  2   29.33\r\n",
		"\x01\x02\xff\xfe,\x03\n", "\"a\"\"b\",c\r\nd,e", strings.Repeat("x", 300) + "\ny\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), byte(i*37))
	}
	f.Fuzz(func(t *testing.T, data []byte, flags byte) {
		opts, max := fuzzOpts(flags)
		r1, rows := readAll(t, bytes.NewReader(data), opts)
		r2, brows := readAllBatch(t, bytes.NewReader(data), opts, max)
		if !sameRows(rows, brows) {
			t.Fatalf("Read %v\nReadBatch %v", rows, brows)
		}
		if r1.Stats() != r2.Stats() {
			t.Fatalf("stats %+v vs %+v", r1.Stats(), r2.Stats())
		}
		checkTiling(t, data, opts, rows, r1.Stats(), 0)
	})
}

// FuzzRoundTrip: whatever fields the Writer writes, the Reader gives back.
// Records are separated by 0x1e and fields by 0x1f in the fuzz input.
func FuzzRoundTrip(f *testing.F) {
	seeds := []string{
		"a\x1fb\x1ec\x1fd", "\x1f", "\"", "a,b\x1f\"q\"\x1fline\nbreak", "\ufeffbom\x1fx", "\r\x1f\r\n",
		" lead\x1ftrail \x1e\x1e", "", "é\x1f张三",
	}
	for i, s := range seeds {
		f.Add(s, byte(i))
	}
	f.Fuzz(func(t *testing.T, s string, flags byte) {
		delim := []byte{',', ';', '\t', '|'}[flags&3]
		s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "?")
		var recs [][]string
		for _, line := range strings.Split(s, "\x1e") {
			recs = append(recs, strings.Split(line, "\x1f"))
		}
		data := writeRecords(t, recs, delim)
		if !utf8.Valid(data) {
			t.Fatalf("writer made invalid UTF-8 from valid fields")
		}
		_, rows := readAll(t, bytes.NewReader(data), Options{Delimiter: delim, FieldsPerRecord: -1})
		if len(rows) != len(recs) {
			t.Fatalf("%d records written, %d read\n%q", len(recs), len(rows), data)
		}
		for i, row := range rows {
			if row.Err != nil {
				t.Fatalf("row %d: %v", i, row.Err)
			}
			if strings.Join(row.Fields, "\x1f") != strings.Join(recs[i], "\x1f") {
				t.Fatalf("row %d: read %q, wrote %q\n%q", i, row.Fields, recs[i], data)
			}
		}
	})
}
