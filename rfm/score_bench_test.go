package rfm

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// benchLedger is n customers with skewed aggregates (as the 100M-order
// file gives them), built directly.
func benchLedger(n int) (*Customers, *Ledger) {
	r := rand.New(rand.NewPCG(9, 10))
	c := NewCustomers()
	l := NewLedger(LedgerConfig{Cutoff: NoCutoff, WindowStart: NoWindow})
	l.grow(n)
	asOf := Day(20788)
	for i := range n {
		c.assign(uint64(i+1), nil)
		a := l.at(uint32(i))
		orders := uint32(1)
		if r.IntN(10) >= 4 {
			orders = 1 + uint32(r.ExpFloat64()*15)
		}
		a.AllOrders, a.Orders = orders, orders
		a.Last = asOf - Day(r.IntN(2555))
		a.First = a.Last - Day(r.IntN(100))
		a.Total = int64(orders) * int64(500+r.ExpFloat64()*3000)
	}
	l.maxDay = asOf
	return c, l
}

// BenchmarkScore re-scores HUSH_BENCH_CUSTOMERS customers (default 1M):
// values, cut points, scores, segments, the segment bitmaps and the six
// bit-sliced indexes.
func BenchmarkScore(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("HUSH_BENCH_CUSTOMERS")); err == nil && v > 0 {
		n = v
	}
	c, l := benchLedger(n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Score(c, l, Options{AsOf: 20788, MoneyExponent: 2}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/customer")
}
