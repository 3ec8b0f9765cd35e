package rfm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// generalLine is what the block reader does with a record the fused
// parser leaves: cut at the newline, drop one '\r', split, ParseSplit.
func generalLine(p *RowParser, data []byte, delim byte, nfields int, e *Event, dates *DateCache) (int, error) {
	n := len(data)
	rec := data
	if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
		rec, n = data[:nl], nl+1
	}
	if len(rec) > 0 && rec[len(rec)-1] == '\r' {
		rec = rec[:len(rec)-1]
	}
	var offs []int32
	start := 0
	for {
		i := bytes.IndexByte(rec[start:], delim)
		if i < 0 {
			offs = append(offs, int32(start), int32(len(rec)))
			break
		}
		offs = append(offs, int32(start), int32(start+i))
		start += i + 1
	}
	if len(offs)/2 != nfields {
		return n, fmt.Errorf("field count %d", len(offs)/2)
	}
	return n, p.ParseSplit(rec, offs, e, dates)
}

// checkLine: where the fused parser takes a record, the general path
// takes it too, with the same event and length.
func checkLine(t *testing.T, p *RowParser, line string, nfields int) bool {
	t.Helper()
	var fast, slow, plain, fields Event
	var fd, sd, pd, gd DateCache
	// The straight-through parser takes a subset of what the loop over
	// fields takes, giving the same.
	if nfields == 4 && p.Cols == fastParser(0).Cols {
		if n, ok := p.parsePlain([]byte(line), ',', &plain, &pd); ok {
			plainTaken++
			m, ok := p.parseFields([]byte(line), ',', nfields, &fields, &gd)
			if !ok || n != m || fmt.Sprint(plain) != fmt.Sprint(fields) {
				t.Fatalf("%q: straight through %d %+v, loop over fields %v %d %+v", line, n, plain, ok, m, fields)
			}
		}
	}
	n, ok := p.ParseLine([]byte(line), ',', nfields, &fast, &fd)
	if !ok {
		return false
	}
	m, err := generalLine(p, []byte(line), ',', nfields, &slow, &sd)
	if err != nil {
		t.Fatalf("%q: fused parser took it, general path rejects it: %v", line, err)
	}
	if n != m || fmt.Sprint(fast) != fmt.Sprint(slow) {
		t.Fatalf("%q: fused %d %+v, general %d %+v", line, n, fast, m, slow)
	}
	// And again with the date remembered.
	if _, ok := p.ParseLine([]byte(line), ',', nfields, &fast, &fd); !ok || fmt.Sprint(fast) != fmt.Sprint(slow) {
		t.Fatalf("%q: second time (date cached) %v %+v", line, ok, fast)
	}
	return true
}

// plainTaken counts the records parsePlain took in checkLine (tests
// check that it was exercised).
var plainTaken int

func fastParser(exp int) *RowParser {
	return &RowParser{Cols: Columns{Order: 0, Customer: 1, Date: 2, Amount: 3, Return: -1, Currency: -1}, Amounts: AmountFormat{Exponent: exp}}
}

func TestParseLineTakesOnlyWhatItIsSureOf(t *testing.T) {
	p := fastParser(2)
	for _, tt := range []struct {
		line string
		take bool
	}{
		{"1,6000001,2019-12-03,55.62\n", true},
		{"1,6000001,2019-12-03,55.62\r\n", true},
		{"1,6000001,2019-12-03,55.62", true},
		{"0,0,2019-12-03,0\n", true},
		{"007,abc,2019-12-03,-5.5\n", true},
		{"1,6000001,2019-12-03,5.\n", true},
		{"1,6000001,2019-12-03,-0\n", true},
		{"1,6000001,2019-12-03,55.623\n", false},
		{"1,6000001,2019-12-03,55.620\n", false},
		{"1,6000001,2019-12-03,+5\n", false},
		{"1,6000001,2019-12-03,.5\n", false},
		{"1,6000001,2019-12-03, 5\n", false},
		{"1, 6000001,2019-12-03,5\n", false},
		{"1,,2019-12-03,5\n", false},
		{",1,2019-12-03,5\n", false},
		{"1,6000001,2019-02-30,5\n", false},
		{"1,6000001,2019-12-03T10:00:00Z,5\n", false},
		{"1,6000001,20191203,5\n", false},
		{"1,6000001,2019-12-03\n", false},
		{"1,6000001,2019-12-03,5,6\n", false},
		{"\n", false},
		{"1,6000001,2019-12-03,1234567890123456789\n", false},
		{"1,6000001,2019-12-03,1,000\n", false},
	} {
		if got := checkLine(t, p, tt.line, 4); got != tt.take {
			t.Errorf("%q: taken %v, want %v", tt.line, got, tt.take)
		}
	}
	if (&RowParser{Cols: Columns{Customer: 0, Date: 1, Amount: 2, Order: -1, Return: 3, Currency: -1}}).FastLines(',') {
		t.Error("a return column must go the general way")
	}
	if (&RowParser{Cols: Columns{Customer: 0, Date: 1, Amount: 2, Order: -1, Return: -1, Currency: -1}, Amounts: AmountFormat{Thousands: ','}}).FastLines(';') {
		t.Error("thousands separators must go the general way")
	}
}

// Random records built from pieces that are sometimes well formed and
// sometimes not: whatever the fused parser takes, the general path gives
// the same for.
func TestParseLineAgreesOnRandomRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pieces := [][]string{
		{"1", "42", "0", "007", "12a3", "1\r2", "18446744073709551615", "9223372036854775807", "x1", " 5", "5 ", ""},
		{"6000001", "0", "01", "abc", "12a3", "99x", "9223372036854775808", "\t7", "é", "12\r"},
		{"2019-12-03", "2000-02-29", "1900-01-01", "1899-12-31", "2199-12-31", "2200-01-01", "2019-13-01", "2019-1-03", "20191203", "1575331200", " 2019-12-03"},
		{"55.62", "5", "-5", "5.", "-0", "0.5", "0.05", "1.234", "1.230", "999999999999999999", "99999999999999999.9", "-", "1e3", "$5", "5.5.5"},
	}
	for _, exp := range []int{0, 2, 3} {
		p := fastParser(exp)
		taken := 0
		plainTaken = 0
		for range 50_000 {
			var b strings.Builder
			for f := range 4 {
				if f > 0 {
					b.WriteByte(',')
				}
				b.WriteString(pieces[f][r.IntN(len(pieces[f]))])
			}
			switch r.IntN(5) {
			case 0:
				b.WriteString("\r\n")
			case 1:
				b.WriteString("")
			case 2:
				b.WriteString("\r")
			default:
				b.WriteString("\n9,9,2019-12-03,1\n")
			}
			if checkLine(t, p, b.String(), 4) {
				taken++
			}
		}
		if taken < 1000 {
			t.Fatalf("exponent %d: the fused parser took only %d records", exp, taken)
		}
		if plainTaken < 500 {
			t.Fatalf("exponent %d: the straight-through parser took only %d records", exp, plainTaken)
		}
		plainTaken = 0
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"1,6000001,2019-12-03,55.62\n", "007,abc,2019-12-03,-5.5\r\n", "1,2,2019-02-29,5.", "\n"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, line string, exp int) {
		if exp < 0 || exp > 9 {
			return
		}
		checkLine(t, fastParser(exp), line, 4)
	})
}

// scanDigits against a digit at a time: runs of 0..25 digits followed by
// any byte, at every alignment near the end of the buffer too.
func TestScanDigits(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for range 200_000 {
		n := r.IntN(26)
		b := make([]byte, 0, n+12)
		for range n {
			b = append(b, byte('0'+r.IntN(10)))
		}
		for range r.IntN(12) {
			b = append(b, byte(r.IntN(256)))
		}
		at := 0
		if len(b) > 0 && r.IntN(4) == 0 {
			at = r.IntN(len(b))
		}
		var want uint64
		j := at
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			want = want*10 + uint64(b[j]-'0')
			j++
		}
		v, got := scanDigits(b, at)
		if got != j-at || (got <= 19 && v != want) {
			t.Fatalf("%q at %d: %d digits = %d, want %d digits = %d", b, at, got, v, j-at, want)
		}
	}
}

// benchLines is an order export like the benchmark's: ascending order
// ids, 7-digit customers, dates in order, two-decimal amounts.
func benchLines(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b []byte
	day := 0
	for i := range n {
		if r.IntN(1000) == 0 {
			day++
		}
		b = fmt.Appendf(b, "%d,%d,2019-%02d-%02d,%d.%02d\n", i+1, 1000000+r.IntN(9000000), 1+day/28%12, 1+day%28, r.IntN(200), r.IntN(100))
	}
	return b
}

func BenchmarkParseLine(b *testing.B) {
	data := benchLines(100_000)
	p := fastParser(2)
	for _, bc := range []struct {
		name  string
		parse func([]byte, *Event, *DateCache) (int, bool)
	}{
		{"fused", func(d []byte, e *Event, dc *DateCache) (int, bool) { return p.ParseLine(d, ',', 4, e, dc) }},
		{"fields", func(d []byte, e *Event, dc *DateCache) (int, bool) { return p.parseFields(d, ',', 4, e, dc) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var e Event
			for b.Loop() {
				var dc DateCache
				for d := data; len(d) > 0; {
					n, ok := bc.parse(d, &e, &dc)
					if !ok {
						b.Fatalf("not taken: %q", d[:min(40, len(d))])
					}
					d = d[n:]
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100_000, "ns/record")
		})
	}
}
