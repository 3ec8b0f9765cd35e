package rfm

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
)

// Dimension is one of recency, frequency, monetary.
type Dimension uint8

const (
	Recency Dimension = iota
	Frequency
	Monetary
)

var dimNames = [3]string{"recency", "frequency", "monetary"}

func (d Dimension) String() string { return dimNames[d] }

// ParseDimension reads "recency"/"r", "frequency"/"f", "monetary"/"m".
func ParseDimension(s string) (Dimension, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "recency", "r":
		return Recency, nil
	case "frequency", "f":
		return Frequency, nil
	case "monetary", "m":
		return Monetary, nil
	}
	return 0, fmt.Errorf("unknown dimension %q (want recency, frequency or monetary)", s)
}

// Method is how cut points are found.
type Method uint8

const (
	// Quantiles: type-7 quantiles of the customer distribution at i/n; a
	// value above cut i scores above level i. Equal values, equal scores.
	Quantiles Method = iota
	// CompatR reproduces the R rfm package (v0.3.0): type-7 quantiles plus
	// one unit (a day, an order, one major currency unit); bin i is
	// [lower_i, upper_i).
	CompatR
	// Fixed cut points given by the user: a value above cut i scores above
	// level i (recency ≤ the first cut gets the top score).
	Fixed
)

func (m Method) String() string {
	switch m {
	case CompatR:
		return "r-rfm"
	case Fixed:
		return "fixed"
	}
	return "quantiles"
}

// Options configure a scoring run.
type Options struct {
	AsOf Day
	Bins int // score levels per dimension, 2..10 (5 when 0)
	// CompatR: the R rfm package's method for every dimension without
	// fixed cuts.
	CompatR bool
	// Cuts, per dimension, are fixed cut points (days, orders, minor
	// units), ascending; len = Bins-1. Nil: from the data.
	Cuts [3][]int64
	// MonetaryMean scores the mean order value instead of the total.
	MonetaryMean bool
	// Rules maps scores to segments; DefaultRules when nil.
	Rules *RuleTable
	// MoneyExponent is the currency's minor-unit digits, as
	// CurrencyExponent gives them: CompatR's "plus one" is one major unit,
	// and reports format money with it.
	MoneyExponent int
	// Parallelism bounds the goroutines used; GOMAXPROCS when 0.
	Parallelism int
	// DeferIndexes leaves the segment bitmaps and bit-sliced indexes to
	// their first use (Segment, Attribute, Where, Scored, Memory): a
	// one-shot run that only writes scores and a report never builds them.
	DeferIndexes bool
}

// Errors of a scoring run.
var (
	ErrBins       = errors.New("bins must be 2..10")
	ErrCuts       = errors.New("bad cut points")
	ErrAsOf       = errors.New("as-of date is before stored events")
	ErrMoneyRange = errors.New("monetary values too large")
)

// DimensionCuts describe one dimension's scoring.
type DimensionCuts struct {
	Dimension string   `json:"dimension"`
	Method    string   `json:"method"`
	Cuts      []Cut    `json:"-"`
	CutValues []string `json:"cuts"`
	// Thresholds: customers with a value >= Thresholds[i] are in bin i+2
	// or above (bins count up with the value; recency scores count down).
	Thresholds []int64 `json:"thresholds"`
	Levels     []Level `json:"levels"`
}

// Level is one score level of a dimension: the values it takes
// (inclusive, in days/orders/minor units; nil = open end) and how many
// customers got it.
type Level struct {
	Score     int    `json:"score"`
	Min       *int64 `json:"min"`
	Max       *int64 `json:"max"`
	Customers int    `json:"-"`
}

// Score scores every customer of l as of opts.AsOf. The ledger must not
// hold events after the as-of date (build it with that Cutoff). It
// returns an immutable Result.
func Score(book *Customers, l *Ledger, opts Options) (*Result, error) {
	if opts.Bins == 0 {
		opts.Bins = 5
	}
	if opts.Bins < 2 || opts.Bins > 10 {
		return nil, fmt.Errorf("%w: got %d", ErrBins, opts.Bins)
	}
	if l.maxDay > opts.AsOf {
		return nil, fmt.Errorf("%w: latest event %s, as-of %s", ErrAsOf, l.maxDay, opts.AsOf)
	}
	rules := opts.Rules
	if rules == nil {
		rules = DefaultRules()
		if opts.Bins != DefaultRulesBins {
			return nil, fmt.Errorf("%w: the default segment table is for %d score levels; give --rules for %d", ErrRules, DefaultRulesBins, opts.Bins)
		}
	}
	cells, err := rules.Compile(opts.Bins)
	if err != nil {
		return nil, err
	}
	for d, c := range opts.Cuts {
		if c == nil {
			continue
		}
		if len(c) != opts.Bins-1 {
			return nil, fmt.Errorf("%w: %s has %d cut points, %d score levels need %d", ErrCuts, Dimension(d), len(c), opts.Bins, opts.Bins-1)
		}
		for i := 1; i < len(c); i++ {
			if c[i] <= c[i-1] {
				return nil, fmt.Errorf("%w: %s cut points must ascend", ErrCuts, Dimension(d))
			}
		}
	}
	par := opts.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	n := l.Len()
	res := &Result{
		AsOf: opts.AsOf, Bins: opts.Bins, MonetaryMean: opts.MonetaryMean, Exponent: opts.MoneyExponent,
		Window: l.cfg, customers: book, n: n,
		recency: make([]int32, n), frequency: make([]uint32, n), monetary: make([]int64, n),
		r: make([]uint8, n), f: make([]uint8, n), m: make([]uint8, n), seg: make([]uint8, n),
		scored: make([]uint64, (n+63)/64),
	}
	if opts.MonetaryMean {
		res.total = make([]int64, n)
	} else {
		res.total = res.monetary
	}
	// Values.
	var maxAbs int64
	var mu sync.Mutex
	res.ranges = [2][2]int64{{math.MaxInt64, math.MinInt64}, {math.MaxInt64, math.MinInt64}}
	parallel(n, par, func(lo, hi int) {
		var local int64
		var scored int
		rlo, rhi := int32(math.MaxInt32), int32(math.MinInt32)
		flo, fhi := uint32(math.MaxUint32), uint32(0)
		for i := lo; i < hi; i++ {
			a := l.at(uint32(i))
			if a.AllOrders == 0 {
				continue
			}
			res.scored[i/64] |= 1 << (i % 64)
			scored++
			rv := int32(opts.AsOf - a.Last)
			res.recency[i] = rv
			res.frequency[i] = a.Orders
			rlo, rhi = min(rlo, rv), max(rhi, rv)
			flo, fhi = min(flo, a.Orders), max(fhi, a.Orders)
			mv := a.Total
			if opts.MonetaryMean {
				res.total[i] = a.Total
				mv = meanRounded(a.Total, int64(a.Orders))
			}
			res.monetary[i] = mv
			if mv < 0 {
				mv = -mv
			}
			local = max(local, mv)
		}
		mu.Lock()
		maxAbs = max(maxAbs, local)
		res.count += scored
		if scored > 0 {
			res.ranges[0] = [2]int64{min(res.ranges[0][0], int64(rlo)), max(res.ranges[0][1], int64(rhi))}
			res.ranges[1] = [2]int64{min(res.ranges[1][0], int64(flo)), max(res.ranges[1][1], int64(fhi))}
		}
		mu.Unlock()
	})
	if maxAbs > math.MaxInt64/32 {
		return nil, fmt.Errorf("%w: %d minor units", ErrMoneyRange, maxAbs)
	}
	// Cut points per dimension, in parallel: each gathers its values.
	var wg sync.WaitGroup
	for d := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.dims[d] = res.cutsFor(Dimension(d), opts)
		}()
	}
	wg.Wait()
	// Scores and segments.
	nb := opts.Bins
	res.segCount = make([]int, len(rules.Rules)+1)
	parallel(n, par, func(lo, hi int) {
		tr, tf, tm := res.dims[0].Thresholds, res.dims[1].Thresholds, res.dims[2].Thresholds
		var counts [256]int
		defer func() {
			mu.Lock()
			for s := range res.segCount {
				res.segCount[s] += counts[s]
			}
			mu.Unlock()
		}()
		for i := lo; i < hi; i++ {
			if res.scored[i/64]&(1<<(i%64)) == 0 {
				continue
			}
			rb := bin(int64(res.recency[i]), tr)
			r := nb + 1 - rb
			f := bin(int64(res.frequency[i]), tf)
			m := bin(res.monetary[i], tm)
			res.r[i], res.f[i], res.m[i] = uint8(r), uint8(f), uint8(m)
			sg := cells[((r-1)*nb+(f-1))*nb+(m-1)]
			res.seg[i] = sg
			counts[sg]++
		}
	})
	res.segments = make([]SegmentInfo, 0, len(rules.Rules)+1)
	for _, ru := range rules.Rules {
		res.segments = append(res.segments, SegmentInfo{Name: ru.Name, Slug: ru.Slug})
	}
	res.segments = append(res.segments, SegmentInfo{Name: OthersName, Slug: OthersSlug})
	res.rules = rules
	res.levelsAndWarnings()
	res.ix = &indexes{par: par}
	if !opts.DeferIndexes {
		res.index()
	}
	return res, nil
}

// bin is 1 + the number of thresholds at or below v.
func bin(v int64, th []int64) int {
	b := 1
	for _, t := range th {
		if v >= t {
			b++
		}
	}
	return b
}

func meanRounded(total, orders int64) int64 {
	if orders == 0 {
		return 0
	}
	q, r := total/orders, total%orders
	if 2*abs64(r) >= orders {
		if total < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func parallel(n, par int, fn func(lo, hi int)) {
	if par <= 1 || n < 1<<16 {
		fn(0, n)
		return
	}
	// Chunks are multiples of 64 so goroutines never share a scored word.
	chunk := ((n+par-1)/par + 63) &^ 63
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

func floorDivCut(c Cut) int64 {
	q := c.Num / c.Den
	if c.Num%c.Den != 0 && c.Num < 0 {
		q--
	}
	return q
}

func ceilDivCut(c Cut) int64 {
	q := c.Num / c.Den
	if c.Num%c.Den != 0 && c.Num > 0 {
		q++
	}
	return q
}

func (res *Result) values(d Dimension) []int64 {
	vals := make([]int64, res.count)
	k := 0
	// Whole words of scored customers (the usual case: every id has
	// orders) copy without walking bits.
	for w, word := range res.scored {
		lo := w * 64
		if word == ^uint64(0) {
			out := vals[k : k+64]
			switch d {
			case Recency:
				for j, v := range res.recency[lo : lo+64] {
					out[j] = int64(v)
				}
			case Frequency:
				for j, v := range res.frequency[lo : lo+64] {
					out[j] = int64(v)
				}
			default:
				copy(out, res.monetary[lo:lo+64])
			}
			k += 64
			continue
		}
		for word != 0 {
			i := lo + trailingZeros(word)
			word &= word - 1
			switch d {
			case Recency:
				vals[k] = int64(res.recency[i])
			case Frequency:
				vals[k] = int64(res.frequency[i])
			default:
				vals[k] = res.monetary[i]
			}
			k++
		}
	}
	return vals
}

// counts is how many scored customers have each recency or frequency
// value v in lo..hi (at v-lo).
func (res *Result) counts(d Dimension, lo, hi int64) []int64 {
	counts := make([]int64, hi-lo+1)
	for w, word := range res.scored {
		base := w * 64
		if word == ^uint64(0) {
			if d == Recency {
				for _, v := range res.recency[base : base+64] {
					counts[int64(v)-lo]++
				}
			} else {
				for _, v := range res.frequency[base : base+64] {
					counts[int64(v)-lo]++
				}
			}
			continue
		}
		for word != 0 {
			i := base + trailingZeros(word)
			word &= word - 1
			if d == Recency {
				counts[int64(res.recency[i])-lo]++
			} else {
				counts[int64(res.frequency[i])-lo]++
			}
		}
	}
	return counts
}

func (res *Result) cutsFor(d Dimension, opts Options) DimensionCuts {
	dc := DimensionCuts{Dimension: d.String()}
	unit := int64(1)
	if d == Monetary {
		unit = pow10(opts.MoneyExponent)
	}
	switch {
	case opts.Cuts[d] != nil:
		dc.Method = Fixed.String()
		for _, c := range opts.Cuts[d] {
			cut := Cut{c, 1}
			dc.Cuts = append(dc.Cuts, cut)
			dc.Thresholds = append(dc.Thresholds, c+1)
		}
	default:
		var cuts []Cut
		if rg := res.ranges[min(int(d), 1)]; d != Monetary && res.count > 0 && countable(rg[0], rg[1]) {
			lo, hi := rg[0], rg[1]
			// Days and order counts: counted where they lie, no copy.
			counts := res.counts(d, lo, hi)
			cuts = type7From(res.count, res.Bins, func(ranks []int) map[int]int64 { return countedStats(counts, lo, ranks) })
		} else {
			cuts = type7Cuts(res.values(d), res.Bins)
		}
		if opts.CompatR {
			dc.Method = CompatR.String()
			for _, c := range cuts {
				c.Num += unit * c.Den
				dc.Cuts = append(dc.Cuts, c)
				dc.Thresholds = append(dc.Thresholds, ceilDivCut(c))
			}
		} else {
			dc.Method = Quantiles.String()
			for _, c := range cuts {
				dc.Cuts = append(dc.Cuts, c)
				dc.Thresholds = append(dc.Thresholds, floorDivCut(c)+1)
			}
		}
	}
	for _, c := range dc.Cuts {
		dc.CutValues = append(dc.CutValues, formatCut(c, d, opts.MoneyExponent))
	}
	return dc
}

func pow10(e int) int64 {
	p := int64(1)
	for range e {
		p *= 10
	}
	return p
}

// formatCut prints a cut in the dimension's unit, exactly when it can.
func formatCut(c Cut, d Dimension, exp int) string {
	num, den := c.Num, c.Den
	if d == Monetary {
		den *= pow10(exp)
	}
	if num%den == 0 {
		return fmt.Sprint(num / den)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", float64(num)/float64(den)), "0"), ".")
}
