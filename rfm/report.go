package rfm

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Count is a group size in a report: exact when the group has at least K
// members (or none), suppressed ("<K") otherwise, so a report can leave the
// company without identifying anyone.
type Count struct {
	N          int
	Suppressed bool
	K          int
}

func (c Count) String() string {
	if c.Suppressed {
		return fmt.Sprintf("<%d", c.K)
	}
	return fmt.Sprint(c.N)
}

// MarshalJSON writes a number, or the string "<K" when suppressed (an
// encoder with SetEscapeHTML(false) keeps the '<' as it is).
func (c Count) MarshalJSON() ([]byte, error) {
	if c.Suppressed {
		return []byte(`"<` + fmt.Sprint(c.K) + `"`), nil
	}
	return json.Marshal(c.N)
}

// Stat is a mean and median; nil in a suppressed group.
type Stat struct {
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
}

// SegmentRow is one segment's line of a report. Everything but the
// (suppressed) count is nil for a group smaller than K.
type SegmentRow struct {
	Name         string   `json:"name"`
	Key          string   `json:"key"`
	Customers    Count    `json:"customers"`
	Share        *float64 `json:"share"`
	Orders       *int64   `json:"orders"`
	Revenue      *string  `json:"revenue"`
	RevenueShare *float64 `json:"revenue_share"`
	AvgOrder     *string  `json:"average_order_value"`
	Recency      *Stat    `json:"recency_days"`
	Frequency    *Stat    `json:"frequency"`
	Monetary     *Stat    `json:"monetary"`
	Lapsed       *Count   `json:"lapsed,omitempty"`
}

// GridCell is one R×F cell.
type GridCell struct {
	R            int     `json:"r"`
	F            int     `json:"f"`
	Customers    Count   `json:"customers"`
	MeanMonetary *string `json:"mean_monetary"`
}

// LevelRow is one score level of a dimension in a report.
type LevelRow struct {
	Score     int     `json:"score"`
	Min       *string `json:"min"`
	Max       *string `json:"max"`
	Customers Count   `json:"customers"`
}

// DimensionRow is a dimension's cut points and levels in a report.
type DimensionRow struct {
	Dimension string     `json:"dimension"`
	Method    string     `json:"method"`
	Cuts      []string   `json:"cuts"`
	Levels    []LevelRow `json:"levels"`
}

// Report is the group-level summary of a run.
type Report struct {
	AsOf       string         `json:"as_of"`
	Bins       int            `json:"bins"`
	K          int            `json:"k"`
	Monetary   string         `json:"monetary"`
	Customers  Count          `json:"customers"`
	Orders     *int64         `json:"orders"`
	Revenue    *string        `json:"revenue"`
	Segments   []SegmentRow   `json:"segments"`
	Dimensions []DimensionRow `json:"dimensions"`
	Grid       []GridCell     `json:"rf_grid"`
	Warnings   []string       `json:"warnings"`
}

// NewReport summarises res for groups of at least k customers (k < 2
// means 10). The lapsed bitmap, when the run has one (WithSegment
// "lapsed"), is counted per segment.
func NewReport(res *Result, k int) *Report {
	if k < 2 {
		k = 10
	}
	exp := res.Exponent
	rep := &Report{AsOf: res.AsOf.String(), Bins: res.Bins, K: k, Customers: suppress([]int{res.count}, k)[0],
		Warnings: slices.Clone(res.Warnings), Monetary: "total"}
	if res.MonetaryMean {
		rep.Monetary = "mean"
	}
	nseg := len(res.segments)
	cust := make([]int, nseg)
	orders := make([]int64, nseg)
	revenue := make([]int64, nseg)
	sumR := make([]int64, nseg)
	sumF := make([]int64, nseg)
	sumM := make([]float64, nseg)
	// Medians: recency and frequency span small ranges, so per-segment
	// histograms (no copy of the values); monetary values are gathered per
	// segment into arrays sized from the segment bitmaps.
	hists := [2]segHist{newSegHist(res, 0, nseg), newSegHist(res, 1, nseg)}
	perSeg := make([][3][]int64, nseg)
	for s := range nseg {
		n := 0
		if s < len(res.segCount) {
			n = res.segCount[s]
		}
		if hists[0].counts == nil {
			perSeg[s][0] = make([]int64, 0, n)
		}
		if hists[1].counts == nil {
			perSeg[s][1] = make([]int64, 0, n)
		}
		perSeg[s][2] = make([]int64, 0, n)
	}
	lapsed := res.extra[LapsedSlug]
	lapsedN := make([]int, nseg)
	nb := res.Bins
	gridN := make([]int, nb*nb)
	gridM := make([]float64, nb*nb)
	var totalRev int64
	for w, word := range res.scored {
		for word != 0 {
			i := w*64 + trailingZeros(word)
			word &= word - 1
			s := res.seg[i]
			rv, fv, mv := int64(res.recency[i]), int64(res.frequency[i]), res.monetary[i]
			cust[s]++
			orders[s] += fv
			revenue[s] += res.total[i]
			totalRev += res.total[i]
			sumR[s] += rv
			sumF[s] += fv
			sumM[s] += float64(mv)
			if h := &hists[0]; h.counts != nil {
				h.counts[int(s)*h.width+int(rv-h.lo)]++
			} else {
				perSeg[s][0] = append(perSeg[s][0], rv)
			}
			if h := &hists[1]; h.counts != nil {
				h.counts[int(s)*h.width+int(fv-h.lo)]++
			} else {
				perSeg[s][1] = append(perSeg[s][1], fv)
			}
			perSeg[s][2] = append(perSeg[s][2], mv)
			if lapsed != nil && lapsed.Contains(uint32(i)) {
				lapsedN[s]++
			}
			g := (int(res.r[i])-1)*nb + int(res.f[i]) - 1
			gridN[g]++
			gridM[g] += float64(mv)
		}
	}
	segMedian := func(d, s int) float64 {
		if d < 2 && hists[d].counts != nil {
			return hists[d].median(s, cust[s])
		}
		return median(perSeg[s][d])
	}
	if !rep.Customers.Suppressed {
		var all int64
		for _, o := range orders {
			all += o
		}
		rev := FormatAmount(totalRev, exp)
		rep.Orders, rep.Revenue = &all, &rev
	}
	unit := math.Pow10(exp)
	money := func(v float64) *string {
		s := fmt.Sprintf("%.*f", exp, v/unit)
		return &s
	}
	counts := suppress(cust, k)
	for s, info := range res.segments {
		row := SegmentRow{Name: info.Name, Key: info.Key(), Customers: counts[s]}
		if !counts[s].Suppressed && cust[s] > 0 {
			share := float64(cust[s]) / float64(res.count)
			row.Share = &share
			o := orders[s]
			row.Orders = &o
			rv := FormatAmount(revenue[s], exp)
			row.Revenue = &rv
			if totalRev != 0 {
				rs := float64(revenue[s]) / float64(totalRev)
				row.RevenueShare = &rs
			}
			if o > 0 {
				row.AvgOrder = money(float64(revenue[s]) / float64(o))
			}
			n := float64(cust[s])
			row.Recency = &Stat{Mean: round1(float64(sumR[s]) / n), Median: segMedian(0, s)}
			row.Frequency = &Stat{Mean: round1(float64(sumF[s]) / n), Median: segMedian(1, s)}
			row.Monetary = &Stat{Mean: round1(sumM[s] / n / unit), Median: segMedian(2, s) / unit}
			if lapsed != nil {
				lc := suppress([]int{lapsedN[s]}, k)[0]
				row.Lapsed = &lc
			}
		}
		rep.Segments = append(rep.Segments, row)
	}
	for d, dc := range res.dims {
		dr := DimensionRow{Dimension: dc.Dimension, Method: dc.Method, Cuts: dc.CutValues}
		levelN := make([]int, len(dc.Levels))
		for i, lv := range dc.Levels {
			levelN[i] = lv.Customers
		}
		lc := suppress(levelN, k)
		for i, lv := range dc.Levels {
			lr := LevelRow{Score: lv.Score, Customers: lc[i]}
			format := func(v int64) *string {
				s := fmt.Sprint(v)
				if Dimension(d) == Monetary {
					s = FormatAmount(v, exp)
				}
				return &s
			}
			if lv.Min != nil {
				lr.Min = format(*lv.Min)
			}
			if lv.Max != nil {
				lr.Max = format(*lv.Max)
			}
			dr.Levels = append(dr.Levels, lr)
		}
		rep.Dimensions = append(rep.Dimensions, dr)
	}
	gc := suppress(gridN, k)
	for r := 1; r <= nb; r++ {
		for f := 1; f <= nb; f++ {
			g := (r-1)*nb + f - 1
			cell := GridCell{R: r, F: f, Customers: gc[g]}
			if !gc[g].Suppressed && gridN[g] > 0 {
				cell.MeanMonetary = money(gridM[g] / float64(gridN[g]))
			}
			rep.Grid = append(rep.Grid, cell)
		}
	}
	return rep
}

// suppress hides counts in 1..k-1. When exactly one group of a table is
// hidden, the total would give it away, so the next smallest non-empty
// group is hidden too.
func suppress(n []int, k int) []Count {
	out := make([]Count, len(n))
	hidden := 0
	for i, v := range n {
		out[i] = Count{N: v, K: k}
		if v > 0 && v < k {
			out[i].Suppressed = true
			hidden++
		}
	}
	if hidden == 1 && len(n) > 1 {
		best := -1
		for i, v := range n {
			if v > 0 && !out[i].Suppressed && (best < 0 || v < n[best]) {
				best = i
			}
		}
		if best >= 0 {
			out[best].Suppressed = true
		}
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// segHist counts one attribute's values per segment when their range is
// small (counts nil otherwise): segment s, value v at s*width+v-lo.
type segHist struct {
	lo     int64
	width  int
	counts []int32
}

// segHist for recency (d 0) or frequency (d 1).
func newSegHist(res *Result, d, nseg int) segHist {
	if res.count == 0 {
		return segHist{}
	}
	lo, hi := res.ranges[d][0], res.ranges[d][1]
	w := hi - lo + 1
	if w <= 0 || w > 1<<16 {
		return segHist{}
	}
	return segHist{lo: lo, width: int(w), counts: make([]int32, nseg*int(w))}
}

// median of segment s's n values, as median gives it.
func (h *segHist) median(s, n int) float64 {
	if n == 0 {
		return 0
	}
	lo, hi := (n-1)/2, n/2
	var a, b int64
	seen := 0
	gotA := false
	for k, c := range h.counts[s*h.width : (s+1)*h.width] {
		seen += int(c)
		if !gotA && seen > lo {
			a, gotA = h.lo+int64(k), true
		}
		if seen > hi {
			b = h.lo + int64(k)
			break
		}
	}
	return float64(a+b) / 2
}

func median(v []int64) float64 {
	n := len(v)
	if n == 0 {
		return 0
	}
	ranks := []int{(n - 1) / 2, n / 2}
	at := orderStats(v, ranks)
	return float64(at[ranks[0]]+at[ranks[1]]) / 2
}

// MigrationReport is a Migration with counts under K suppressed.
type MigrationReport struct {
	From  string    `json:"from"`
	To    string    `json:"to"`
	K     int       `json:"k"`
	Rows  []string  `json:"rows"`
	Cols  []string  `json:"columns"`
	Cells [][]Count `json:"counts"`
}

// Report renders the matrix with small cells suppressed.
func (m *Migration) Report(k int) *MigrationReport {
	if k < 2 {
		k = 10
	}
	r := &MigrationReport{From: m.From.String(), To: m.To.String(), K: k}
	for _, s := range m.Segments[0] {
		r.Rows = append(r.Rows, s.Name)
	}
	r.Rows = append(r.Rows, NotScored)
	for _, s := range m.Segments[1] {
		r.Cols = append(r.Cols, s.Name)
	}
	r.Cols = append(r.Cols, NotScored)
	var flat []int
	for _, row := range m.Counts {
		flat = append(flat, row...)
	}
	sup := suppress(flat, k)
	w := len(r.Cols)
	for i := range m.Counts {
		r.Cells = append(r.Cells, sup[i*w:(i+1)*w])
	}
	return r
}
