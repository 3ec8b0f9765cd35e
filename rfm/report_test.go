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
