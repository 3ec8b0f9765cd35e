package rfm

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
)

// Lapsed is the "who should have bought" analysis of one period.
type Lapsed struct {
	Start, End Day
	// Expected: customers with two or more orders before the period whose
	// expected next purchase (last order + their mean gap between orders)
	// fell on or before the period's end.
	Expected *roaring.Bitmap
	// Bought: of those, who ordered in the period; NotBought is the action
	// list (stored as segment rfm:lapsed).
	Bought, NotBought *roaring.Bitmap
}

// LapsedSlug is the segment of the did-not-buy list.
const LapsedSlug = "lapsed"

// FindLapsed compares before (a ledger cut off the day before start) with
// after (cut off at end); both must be fed by the same Book.
func FindLapsed(before, after *Ledger, start, end Day) (*Lapsed, error) {
	if before.cfg.Cutoff >= start {
		return nil, fmt.Errorf("rfm: lapsed: the before-ledger is cut off at %s, not before %s", before.cfg.Cutoff, start)
	}
	if end < start {
		return nil, fmt.Errorf("rfm: lapsed: period %s..%s is empty", start, end)
	}
	words := (before.Len() + 63) / 64
	exp := make([]uint64, words)
	bought := make([]uint64, words)
	not := make([]uint64, words)
	for i := range before.n {
		a := before.at(uint32(i))
		k := int64(a.AllOrders)
		if k < 2 {
			continue
		}
		// last + (last-first)/(k-1) <= end, exactly: last*(k-1) + (last-first) <= end*(k-1)
		if int64(a.Last)*(k-1)+int64(a.Last-a.First) > int64(end)*(k-1) {
			continue
		}
		exp[i/64] |= 1 << (i % 64)
		b := after.Aggregate(uint32(i))
		if b.AllOrders > a.AllOrders && b.Last >= start {
			bought[i/64] |= 1 << (i % 64)
		} else {
			not[i/64] |= 1 << (i % 64)
		}
	}
	return &Lapsed{Start: start, End: end,
		Expected: roaring.FromDense(exp, false), Bought: roaring.FromDense(bought, false), NotBought: roaring.FromDense(not, false)}, nil
}

// Migration counts customers moving between segments from one run to a
// later one (both scored over the same Customers).
type Migration struct {
	From, To Day
	// Rows are the earlier run's segments, columns the later run's; the
	// last row and column are "not scored" (new customers; customers with
	// no orders in the later run's window).
	Segments [2][]SegmentInfo
	Counts   [][]int
}

// NotScored labels the extra row and column of a Migration.
const NotScored = "(not scored)"

// Migrate computes the segment-to-segment matrix from a to b.
func Migrate(a, b *Result) (*Migration, error) {
	if a.customers != b.customers {
		return nil, fmt.Errorf("rfm: migration needs two runs over the same customer ids")
	}
	na, nb := len(a.segments), len(b.segments)
	m := &Migration{From: a.AsOf, To: b.AsOf, Segments: [2][]SegmentInfo{a.segments, b.segments}}
	m.Counts = make([][]int, na+1)
	for i := range m.Counts {
		m.Counts[i] = make([]int, nb+1)
	}
	n := max(a.n, b.n)
	for i := 0; i < n; i++ {
		ra, rb := na, nb
		if i < a.n && a.scored[i/64]&(1<<(i%64)) != 0 {
			ra = int(a.seg[i])
		}
		if i < b.n && b.scored[i/64]&(1<<(i%64)) != 0 {
			rb = int(b.seg[i])
		}
		if ra == na && rb == nb {
			continue
		}
		m.Counts[ra][rb]++
	}
	return m, nil
}
