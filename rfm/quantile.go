package rfm

import (
	"math/big"
	"slices"
)

// Cut is a cut point as an exact rational Num/Den (Den > 0): quantiles
// interpolate between two values, and comparing a customer's integer
// value against the exact fraction is what keeps "same cents, same score"
// true across tools.
type Cut struct {
	Num, Den int64
}

// Float is the cut's value, for display only.
func (c Cut) Float() float64 {
	f, _ := new(big.Rat).SetFrac64(c.Num, c.Den).Float64()
	return f
}

// below reports v < c exactly.
func (c Cut) below(v int64) bool { return mulCmp(v, c.Den, c.Num) < 0 }

// mulCmp compares v*den with num without overflow.
func mulCmp(v, den, num int64) int {
	x := new(big.Int).Mul(big.NewInt(v), big.NewInt(den))
	return x.Cmp(big.NewInt(num))
}

// fits reports whether v*den fits in an int64 for all |v| <= bound.
func fits(bound, den int64) bool {
	return bound < (1<<62)/den
}

// type7Cuts returns the type-7 sample quantiles (R's default, numpy's
// default: linear interpolation) of sorted-select values at i/bins for
// i = 1..bins-1, as exact rationals over bins.
func type7Cuts(vals []int64, bins int) []Cut {
	return type7From(len(vals), bins, func(ranks []int) map[int]int64 { return orderStats(vals, ranks) })
}

// type7From is type7Cuts of n values whose order statistics stats gives.
func type7From(n, bins int, stats func(ranks []int) map[int]int64) []Cut {
	if n == 0 {
		return nil
	}
	nb := int64(bins)
	ranks := make([]int, 0, 2*(bins-1))
	for i := 1; i < bins; i++ {
		h := int64(n-1) * int64(i)
		lo := int(h / nb)
		ranks = append(ranks, lo)
		if lo+1 < n {
			ranks = append(ranks, lo+1)
		}
	}
	at := stats(ranks)
	cuts := make([]Cut, 0, bins-1)
	for i := 1; i < bins; i++ {
		h := int64(n-1) * int64(i)
		lo := int(h / nb)
		r := h - int64(lo)*nb
		x0 := at[lo]
		if r == 0 {
			cuts = append(cuts, Cut{x0 * nb, nb})
			continue
		}
		x1 := at[lo+1]
		cuts = append(cuts, Cut{x0*nb + r*(x1-x0), nb})
	}
	return cuts
}

// orderStats returns the values of the given ranks (0-based positions in
// sorted order) without sorting everything. vals is reordered.
func orderStats(vals []int64, ranks []int) map[int]int64 {
	out := make(map[int]int64, len(ranks))
	if len(vals) == 0 {
		return out
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	// Days and order counts span small ranges: count them.
	if countable(lo, hi) {
		counts := make([]int64, hi-lo+1)
		for _, v := range vals {
			counts[v-lo]++
		}
		return countedStats(counts, lo, ranks)
	}
	rs := slices.Clone(ranks)
	slices.Sort(rs)
	rs = slices.Compact(rs)
	multiSelect(vals, 0, rs, out)
	return out
}

// countable: values in lo..hi are few enough to count instead of select.
func countable(lo, hi int64) bool { return hi >= lo && uint64(hi-lo) < 1<<22 }

// countedStats is orderStats of the values counts[v-lo] times v.
func countedStats(counts []int64, lo int64, ranks []int) map[int]int64 {
	out := make(map[int]int64, len(ranks))
	rs := slices.Clone(ranks)
	slices.Sort(rs)
	var seen int64
	j := 0
	for k, c := range counts {
		seen += c
		for j < len(rs) && int64(rs[j]) < seen {
			out[rs[j]] = lo + int64(k)
			j++
		}
		if j == len(rs) {
			break
		}
	}
	return out
}

// multiSelect finds the values at ranks (sorted, relative to base) in a by
// quickselect with a three-way partition, so runs of equal values (common:
// many customers spend exactly the same) cost one pass.
func multiSelect(a []int64, base int, ranks []int, out map[int]int64) {
	for len(ranks) > 0 {
		if len(a) <= 64 {
			slices.Sort(a)
			for _, r := range ranks {
				out[r] = a[r-base]
			}
			return
		}
		p := ninther(a)
		lt, gt := 0, len(a)
		for i := 0; i < gt; {
			switch v := a[i]; {
			case v < p:
				a[lt], a[i] = a[i], a[lt]
				lt++
				i++
			case v > p:
				gt--
				a[gt], a[i] = a[i], a[gt]
			default:
				i++
			}
		}
		// ranks in [base, base+lt) left, [base+lt, base+gt) = p, rest right.
		split1 := 0
		for split1 < len(ranks) && ranks[split1] < base+lt {
			split1++
		}
		split2 := split1
		for split2 < len(ranks) && ranks[split2] < base+gt {
			out[ranks[split2]] = p
			split2++
		}
		left, right := ranks[:split1], ranks[split2:]
		if len(left) > 0 && len(right) > 0 {
			multiSelect(a[:lt], base, left, out)
		} else if len(left) > 0 {
			a, ranks = a[:lt], left
			continue
		}
		a, base, ranks = a[gt:], base+gt, right
	}
}

func ninther(a []int64) int64 {
	n := len(a)
	m3 := func(i, j, k int) int64 {
		x, y, z := a[i], a[j], a[k]
		if x > y {
			x, y = y, x
		}
		if y > z {
			y = z
		}
		if x > y {
			y = x
		}
		return y
	}
	s := n / 8
	x := m3(0, s, 2*s)
	y := m3(n/2-s, n/2, n/2+s)
	z := m3(n-1-2*s, n-1-s, n-1)
	if x > y {
		x, y = y, x
	}
	if y > z {
		y = z
	}
	if x > y {
		y = x
	}
	return y
}
