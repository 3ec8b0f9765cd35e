package rfm

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The report's per-segment medians (histograms for small ranges, arrays
// otherwise) must be the plain medians of the segment's values.
func TestReportMediansArePlainMedians(t *testing.T) {
	for _, tc := range []struct {
		name string
		days int // spread of order days: > 65536 makes recency take the array path
	}{{"histograms", 3000}, {"wide recency", 100_000}} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 8))
			book := NewBook(0, NewLedger(LedgerConfig{Cutoff: NoCutoff, WindowStart: NoWindow}))
			asOf := Day(80_000)
			for i := range 40_000 {
				e := Event{Order: uint64(i + 1), Customer: uint64(1 + r.IntN(4000)),
					Day: asOf - Day(r.IntN(tc.days)), Amount: int64(500 + r.IntN(200_000))}
				if r.IntN(3) == 0 {
					e.Customer = uint64(1 + r.IntN(30)) // heavy buyers: a wide frequency range
				}
				book.Add(&e)
			}
			res, err := Score(book.Customers, book.Ledgers()[0], Options{AsOf: asOf, MoneyExponent: 2})
			if err != nil {
				t.Fatal(err)
			}
			rep := NewReport(res, 2)
			vals := map[string][3][]int64{}
			res.Each(func(cs CustomerScore) bool {
				v := vals[cs.Segment.Name]
				v[0] = append(v[0], int64(cs.RecencyDays))
				v[1] = append(v[1], int64(cs.Frequency))
				v[2] = append(v[2], cs.Monetary)
				vals[cs.Segment.Name] = v
				return true
			})
			plain := func(v []int64) float64 {
				v = slices.Clone(v)
				slices.Sort(v)
				return float64(v[(len(v)-1)/2]+v[len(v)/2]) / 2
			}
			checked := 0
			for _, row := range rep.Segments {
				v, ok := vals[row.Name]
				if !ok || row.Recency == nil {
					continue
				}
				checked++
				if got, want := row.Recency.Median, plain(v[0]); got != want {
					t.Errorf("%s recency median %v, want %v", row.Name, got, want)
				}
				if got, want := row.Frequency.Median, plain(v[1]); got != want {
					t.Errorf("%s frequency median %v, want %v", row.Name, got, want)
				}
				if got, want := row.Monetary.Median, plain(v[2])/100; got != want {
					t.Errorf("%s monetary median %v, want %v", row.Name, got, want)
				}
			}
			if checked < 3 {
				t.Fatalf("only %d segments checked", checked)
			}
		})
	}
}

// Cut points gathered from whole words of scored customers (the fast
// path) and from words with gaps must be those of the plain value lists.
func TestCutsFromAllValues(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	cut := Day(5000)
	book := NewBook(0, NewLedger(LedgerConfig{Cutoff: cut, WindowStart: NoWindow}))
	for c := range 5000 {
		day := cut - Day(r.IntN(900))
		if c%300 < 40 {
			day = cut + 1 // only after the cutoff: a gap in the scored words
		}
		for range 1 + r.IntN(4) {
			book.Add(&Event{Customer: uint64(c + 1), Day: day, Amount: int64(r.IntN(90_000))})
		}
	}
	res, err := Score(book.Customers, book.Ledgers()[0], Options{AsOf: cut, MoneyExponent: 2})
	if err != nil {
		t.Fatal(err)
	}
	var vals [3][]int64
	res.Each(func(cs CustomerScore) bool {
		vals[0] = append(vals[0], int64(cs.RecencyDays))
		vals[1] = append(vals[1], int64(cs.Frequency))
		vals[2] = append(vals[2], cs.Monetary)
		return true
	})
	if len(vals[0]) == 5000 || len(vals[0]) < 4000 {
		t.Fatalf("%d scored: want gaps", len(vals[0]))
	}
	for d := range 3 {
		want := type7Cuts(slices.Clone(vals[d]), 5)
		if got := res.Dimensions()[d].Cuts; !slices.Equal(got, want) {
			t.Errorf("%s cuts %v, want %v", Dimension(d), got, want)
		}
	}
}
