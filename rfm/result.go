package rfm

import (
	"fmt"
	"math/bits"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

func trailingZeros(w uint64) int { return bits.TrailingZeros64(w) }

// SegmentInfo names a segment of a Result.
type SegmentInfo struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Key is the segment's bitmap name, "rfm:<slug>".
func (s SegmentInfo) Key() string { return "rfm:" + s.Slug }

// Attribute names of the bit-sliced indexes a Result keeps.
const (
	AttrRecencyDays = "recency_days"
	AttrFrequency   = "frequency"
	AttrMonetary    = "monetary"
	AttrR           = "r"
	AttrF           = "f"
	AttrM           = "m"
)

// AttributeNames lists the attributes in a fixed order.
var AttributeNames = []string{AttrRecencyDays, AttrFrequency, AttrMonetary, AttrR, AttrF, AttrM}

// Result is one scoring run. It is immutable once Score returns it, so it
// can be published (an atomic pointer swap) and read by any number of
// goroutines while the next run is built.
type Result struct {
	AsOf         Day
	Bins         int
	MonetaryMean bool
	Exponent     int // money's minor-unit digits
	Window       LedgerConfig
	Warnings     []string

	customers *Customers
	rules     *RuleTable
	n         int // dense id space
	count     int // customers scored
	scored    []uint64
	recency   []int32
	frequency []uint32
	monetary  []int64 // the scored monetary value (total or mean)
	total     []int64 // revenue (== monetary unless MonetaryMean)
	r, f, m   []uint8
	seg       []uint8
	dims      [3]DimensionCuts
	segments  []SegmentInfo

	segCount []int       // customers per segment
	ranges   [2][2]int64 // recency, frequency: lowest and highest scored value

	ix    *indexes
	extra map[string]*roaring.Bitmap // e.g. rfm:lapsed
}

// indexes are a Result's bitmaps, built by Score or, with
// Options.DeferIndexes, on first use (shared by WithSegment's copies).
type indexes struct {
	once     sync.Once
	par      int
	scoredBM *roaring.Bitmap
	segBM    []*roaring.Bitmap
	attrs    map[string]*roaring64.BSI
}

// index returns the result's bitmaps, building them if still deferred.
func (res *Result) index() *indexes {
	res.ix.once.Do(func() { res.buildIndexes(res.ix) })
	return res.ix
}

// CustomerScore is one customer's row.
type CustomerScore struct {
	ID          uint32
	RecencyDays int32
	Frequency   uint32
	Monetary    int64 // scored value, minor units
	Revenue     int64 // total spend in the window, minor units
	R, F, M     int
	Segment     SegmentInfo
}

// RFMScore is 100·R + 10·F + M.
func (c CustomerScore) RFMScore() int { return 100*c.R + 10*c.F + c.M }

// Len is the number of customers scored.
func (res *Result) Len() int { return res.count }

// IDSpace is one past the largest dense customer id the run knows.
func (res *Result) IDSpace() int { return res.n }

// Customers is the id dictionary the run's ids belong to.
func (res *Result) Customers() *Customers { return res.customers }

// Rules is the rule table used.
func (res *Result) Rules() *RuleTable { return res.rules }

// Dimensions are the cut points and levels of R, F and M.
func (res *Result) Dimensions() [3]DimensionCuts { return res.dims }

// Segments lists the segments in rule order, Others last.
func (res *Result) Segments() []SegmentInfo { return res.segments }

// Scored is the bitmap of every scored customer. Do not modify it.
func (res *Result) Scored() *roaring.Bitmap { return res.index().scoredBM }

// Segment returns the bitmap of a segment by slug ("champions") or key
// ("rfm:champions"), or nil. Do not modify it (Clone first).
func (res *Result) Segment(slug string) *roaring.Bitmap {
	slug = strings.TrimPrefix(slug, "rfm:")
	for i, s := range res.segments {
		if s.Slug == slug {
			return res.index().segBM[i]
		}
	}
	if bm, ok := res.extra[slug]; ok {
		return bm
	}
	return nil
}

// Attribute returns the bit-sliced index of an attribute (recency_days,
// frequency, monetary in minor units, r, f, m), or nil. Column ids are the
// dense customer ids. Do not modify it. Prefer Where for comparisons:
// roaring64 v2.30.0's CompareValue is wrong for values outside the
// index's range.
func (res *Result) Attribute(name string) *roaring64.BSI {
	switch name {
	case "recency":
		name = AttrRecencyDays
	case "recency_score":
		name = AttrR
	case "frequency_score":
		name = AttrF
	case "monetary_score":
		name = AttrM
	}
	return res.index().attrs[name]
}

// Where returns the customers whose attribute compares with value (see
// roaring64.Operation: EQ, LT, LE, GT, GE; RANGE takes value..end) as a
// 32-bit bitmap. Monetary values are minor units.
func (res *Result) Where(attr string, op roaring64.Operation, value, end int64) (*roaring.Bitmap, error) {
	bsi := res.Attribute(attr)
	if bsi == nil {
		return nil, fmt.Errorf("unknown attribute %q (want one of %s)", attr, strings.Join(AttributeNames, ", "))
	}
	return To32(compareClamped(bsi, op, value, end)), nil
}

// compareClamped is bsi.CompareValue made safe for values outside the
// stored range: roaring64 v2.30.0 sends a value that does not fit the
// index's bit width down a big-integer path that answers wrongly (a BSI of
// 1..5 says 40 of 100 columns are >= 100). Out-of-range comparisons are
// decided from the range instead.
func compareClamped(bsi *roaring64.BSI, op roaring64.Operation, value, end int64) *roaring64.Bitmap {
	lo, hi := bsi.MinValue, bsi.MaxValue
	all := func() *roaring64.Bitmap { return bsi.GetExistenceBitmap().Clone() }
	none := roaring64.NewBitmap
	if bsi.GetCardinality() == 0 {
		return none()
	}
	switch op {
	case roaring64.EQ:
		if value < lo || value > hi {
			return none()
		}
	case roaring64.GE, roaring64.GT:
		if op == roaring64.GT {
			if value >= hi {
				return none()
			}
			if value < lo {
				return all()
			}
		} else {
			if value > hi {
				return none()
			}
			if value <= lo {
				return all()
			}
		}
	case roaring64.LE, roaring64.LT:
		if op == roaring64.LT {
			if value <= lo {
				return none()
			}
			if value > hi {
				return all()
			}
		} else {
			if value < lo {
				return none()
			}
			if value >= hi {
				return all()
			}
		}
	case roaring64.RANGE:
		value, end = max(value, lo), min(end, hi)
		if value > end {
			return none()
		}
	}
	return bsi.CompareValue(0, op, value, end, nil)
}

// To32 converts a roaring64 bitmap of dense customer ids to 32-bit.
func To32(b *roaring64.Bitmap) *roaring.Bitmap {
	out := roaring.New()
	it := b.ManyIterator()
	buf := make([]uint64, 4096)
	ids := make([]uint32, 4096)
	for {
		k := it.NextMany(buf)
		if k == 0 {
			break
		}
		for i := 0; i < k; i++ {
			ids[i] = uint32(buf[i])
		}
		out.AddMany(ids[:k])
	}
	return out
}

// Customer returns a customer's scores.
func (res *Result) Customer(id uint32) (CustomerScore, bool) {
	i := int(id)
	if i >= res.n || res.scored[i/64]&(1<<(i%64)) == 0 {
		return CustomerScore{}, false
	}
	return CustomerScore{
		ID: id, RecencyDays: res.recency[i], Frequency: res.frequency[i],
		Monetary: res.monetary[i], Revenue: res.total[i],
		R: int(res.r[i]), F: int(res.f[i]), M: int(res.m[i]),
		Segment: res.segments[res.seg[i]],
	}, true
}

// Each calls fn for every scored customer in id order; fn returns false
// to stop.
func (res *Result) Each(fn func(CustomerScore) bool) {
	for w, word := range res.scored {
		for word != 0 {
			i := uint32(w*64 + trailingZeros(word))
			word &= word - 1
			cs, _ := res.Customer(i)
			if !fn(cs) {
				return
			}
		}
	}
}

// EachIn is Each over the dense ids lo..hi-1 only (lo a multiple of 64):
// disjoint ranges may be walked on different goroutines.
func (res *Result) EachIn(lo, hi int, fn func(CustomerScore) bool) {
	hi = min(hi, res.n)
	for w := lo / 64; w*64 < hi; w++ {
		word := res.scored[w]
		for word != 0 {
			i := w*64 + trailingZeros(word)
			word &= word - 1
			if i >= hi {
				return
			}
			cs, _ := res.Customer(uint32(i))
			if !fn(cs) {
				return
			}
		}
	}
}

// WithSegment returns a copy of the result (sharing everything else) with
// an extra named bitmap, e.g. "lapsed"; the original is unchanged.
func (res *Result) WithSegment(slug string, bm *roaring.Bitmap) *Result {
	cp := *res
	cp.extra = make(map[string]*roaring.Bitmap, len(res.extra)+1)
	for k, v := range res.extra {
		cp.extra[k] = v
	}
	cp.extra[slug] = bm
	return &cp
}

// Extra lists the slugs of extra bitmaps (WithSegment).
func (res *Result) Extra() []string {
	var out []string
	for k := range res.extra {
		out = append(out, k)
	}
	return out
}

func (res *Result) levelsAndWarnings() {
	if res.count == 0 {
		res.Warnings = append(res.Warnings, "no customers to score: the input has no orders up to the as-of date")
	}
	var counts [3][11]int
	for w, word := range res.scored {
		for word != 0 {
			i := w*64 + trailingZeros(word)
			word &= word - 1
			counts[0][res.r[i]]++
			counts[1][res.f[i]]++
			counts[2][res.m[i]]++
		}
	}
	nb := res.Bins
	for d := range 3 {
		dc := &res.dims[d]
		th := dc.Thresholds
		for b := 1; b <= nb; b++ {
			var lv Level
			if b >= 2 && b-2 < len(th) {
				v := th[b-2]
				lv.Min = &v
			}
			if b <= len(th) {
				v := th[b-1] - 1
				lv.Max = &v
			}
			score := b
			if d == int(Recency) {
				score = nb + 1 - b
			}
			lv.Score = score
			lv.Customers = counts[d][score]
			dc.Levels = append(dc.Levels, lv)
		}
		if res.count == 0 {
			continue
		}
		var empty []string
		for s := 1; s <= nb; s++ {
			if counts[d][s] == 0 {
				empty = append(empty, fmt.Sprint(s))
			}
		}
		if len(empty) > 0 {
			why := "ties make cut points coincide"
			if dc.Method == Fixed.String() {
				why = "no customer falls between those fixed cut points"
			}
			word := "levels %s are"
			if len(empty) == 1 {
				word = "level %s is"
			}
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: score "+word+" empty (%s)",
				dimNames[d], strings.Join(empty, ", "), why))
		}
	}
}

// buildIndexes builds the segment bitmaps and bit-sliced indexes in bulk:
// one dense bitset per bitmap, filled in one pass over the customers, then
// handed to roaring (setting BSI values one at a time is ~100× slower).
func (res *Result) buildIndexes(ix *indexes) {
	par := ix.par
	ix.scoredBM = roaring.FromDense(res.scored, true)
	nseg := len(res.segments)
	words := len(res.scored)
	type job func()
	var jobs []job
	segDense := make([][]uint64, nseg)
	jobs = append(jobs, func() {
		for s := range segDense {
			segDense[s] = make([]uint64, words)
		}
		for w, word := range res.scored {
			for word != 0 {
				i := w*64 + trailingZeros(word)
				word &= word - 1
				segDense[res.seg[i]][w] |= 1 << (i % 64)
			}
		}
		ix.segBM = make([]*roaring.Bitmap, nseg)
		for s := range segDense {
			bm := roaring.FromDense(segDense[s], false)
			bm.RunOptimize()
			ix.segBM[s] = bm
		}
	})
	ix.attrs = make(map[string]*roaring64.BSI, len(AttributeNames))
	var mu sync.Mutex
	put := func(name string, bsi *roaring64.BSI) {
		mu.Lock()
		ix.attrs[name] = bsi
		mu.Unlock()
	}
	jobs = append(jobs,
		func() { put(AttrRecencyDays, buildBSI(res.scored, res.recency)) },
		func() { put(AttrFrequency, buildBSI(res.scored, res.frequency)) },
		func() { put(AttrMonetary, buildBSI(res.scored, res.monetary)) },
		func() { put(AttrR, buildBSI(res.scored, res.r)) },
		func() { put(AttrF, buildBSI(res.scored, res.f)) },
		func() { put(AttrM, buildBSI(res.scored, res.m)) },
	)
	ch := make(chan job)
	var wg sync.WaitGroup
	for range max(par, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				j()
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
}

// buildBSI builds a roaring64.BSI over the set bits of exist with values
// from get, plane by plane from dense bitsets, in the library's own
// encoding (two's complement over BitCount()+1 planes, the last one the
// sign).
func buildBSI[T int32 | uint32 | int64 | uint8](exist []uint64, vals []T) *roaring64.BSI {
	var lo, hi int64
	first := true
	for w, word := range exist {
		for word != 0 {
			i := w*64 + trailingZeros(word)
			word &= word - 1
			v := int64(vals[i])
			if first {
				lo, hi, first = v, v, false
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	bitCount := max(bits.Len64(uint64(abs64(lo))), bits.Len64(uint64(hi)), 1)
	planes := make([][]uint64, bitCount+1)
	for p := range planes {
		planes[p] = make([]uint64, len(exist))
	}
	mask := uint64(1)<<uint(bitCount+1) - 1
	for w, word := range exist {
		for word != 0 {
			tz := trailingZeros(word)
			i := w*64 + tz
			word &= word - 1
			enc := uint64(int64(vals[i])) & mask
			bit := uint64(1) << tz
			for enc != 0 {
				p := trailingZeros(enc)
				enc &= enc - 1
				planes[p][w] |= bit
			}
		}
	}
	bms := make([]roaring64.Bitmap, bitCount+2)
	bms[0] = *roaring64.Roaring32AsRoaring64(roaring.FromDense(exist, true))
	for p := range planes {
		b32 := roaring.FromDense(planes[p], false)
		bms[p+1] = *roaring64.Roaring32AsRoaring64(b32)
	}
	bsi := roaring64.NewDefaultBSI()
	bsi.FromBitmaps(bms)
	bsi.MinValue, bsi.MaxValue = lo, hi
	return bsi
}

// Memory is what a Result holds, in bytes, by part.
type Memory struct {
	Scores   int `json:"scores"`   // per-customer arrays (values, scores, segment)
	Segments int `json:"segments"` // segment bitmaps
	Indexes  int `json:"indexes"`  // bit-sliced indexes
}

// Memory reports the result's size.
func (res *Result) Memory() Memory {
	var m Memory
	m.Scores = len(res.recency)*4 + len(res.frequency)*4 + len(res.monetary)*8 + len(res.r)*4 + len(res.scored)*8
	if res.MonetaryMean {
		m.Scores += len(res.total) * 8
	}
	ix := res.index()
	for _, bm := range ix.segBM {
		m.Segments += int(bm.GetSizeInBytes())
	}
	for _, b := range ix.attrs {
		m.Indexes += b.GetSizeInBytes()
	}
	return m
}
