package segments

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// benchWorld is a resolver shaped like hush's after an RFM run over 10M
// customers: ten segments from the scores, scores 1..5, monetary in
// cents with a Pareto-like spread, a deny list and a defined segment.
type benchWorld struct {
	universe *roaring64.Bitmap
	sets     map[Ref]*roaring64.Bitmap
	attrs    map[Attribute]*roaring64.BSI
	values   map[Attribute]map[int64]*roaring64.Bitmap
}

// AttributeValues: the engine's resolver keeps per-value bitmaps of the
// scores once per scoring; so does the bench world.
func (w *benchWorld) AttributeValues(a Attribute) (map[int64]*roaring64.Bitmap, bool) {
	v, ok := w.values[a]
	return v, ok
}

// planesOnly is the bench world without per-value bitmaps: every
// comparison walks the index's bit planes.
type planesOnly struct{ w *benchWorld }

func (p planesOnly) HasSet(ns Namespace, name string) bool { return p.w.HasSet(ns, name) }
func (p planesOnly) SetNames(ns Namespace) []string        { return p.w.SetNames(ns) }
func (p planesOnly) HasAttribute(a Attribute) bool         { return p.w.HasAttribute(a) }
func (p planesOnly) Universe() *roaring64.Bitmap           { return p.w.Universe() }
func (p planesOnly) Set(ns Namespace, name string) (*roaring64.Bitmap, error) {
	return p.w.Set(ns, name)
}
func (p planesOnly) Attribute(a Attribute) (*roaring64.BSI, uint8, error) { return p.w.Attribute(a) }

var segmentNames = []string{"champions", "loyal_customers", "potential_loyalist", "new_customers", "promising",
	"need_attention", "about_to_sleep", "at_risk", "cant_lose_them", "lost"}

// NewBenchWorld builds it deterministically (seeded).
func newBenchWorld(n int) *benchWorld {
	rng := rand.New(rand.NewPCG(10, 5))
	ids := make([]uint64, n)
	r, f, m, mon, rec := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	segIDs := make([][]uint64, len(segmentNames))
	var dnm, complained []uint64
	for i := range n {
		id := uint64(i)
		ids[i] = id
		r[i], f[i], m[i] = 1+rng.Int64N(5), 1+rng.Int64N(5), 1+rng.Int64N(5)
		rec[i] = rng.Int64N(3000)
		// Pareto(α=1.2) spend from $5, in cents.
		mon[i] = int64(500 / math.Pow(1-rng.Float64(), 1/1.2))
		if mon[i] > 1e9 {
			mon[i] = 1e9
		}
		s := rng.IntN(len(segmentNames))
		segIDs[s] = append(segIDs[s], id)
		if rng.IntN(50) == 0 {
			dnm = append(dnm, id)
		}
		if rng.IntN(200) == 0 {
			complained = append(complained, id)
		}
	}
	w := &benchWorld{universe: roaring64.NewBitmap(), sets: map[Ref]*roaring64.Bitmap{}, attrs: map[Attribute]*roaring64.BSI{}, values: map[Attribute]map[int64]*roaring64.Bitmap{}}
	w.universe.AddRange(0, uint64(n))
	w.universe.RunOptimize()
	for k, name := range segmentNames {
		bm := roaring64.NewBitmap()
		bm.AddMany(segIDs[k])
		bm.RunOptimize()
		w.sets[Ref{NS: NSRFM, Name: name}] = bm
	}
	for name, l := range map[Ref][]uint64{{NS: NSList, Name: "mail_dnm"}: dnm, {NS: NSSegment, Name: "complained_2026"}: complained} {
		bm := roaring64.NewBitmap()
		bm.AddMany(l)
		bm.RunOptimize()
		w.sets[name] = bm
	}
	for a, vals := range map[Attribute][]int64{AttrR: r, AttrF: f, AttrM: m, AttrMonetary: mon, AttrRecencyDays: rec} {
		b, err := BuildIndex(ids, vals)
		if err != nil {
			panic(err)
		}
		w.attrs[a] = b
		if vs, ok := ValueBitmaps(b); ok {
			w.values[a] = vs
		}
	}
	return w
}

func (w *benchWorld) HasSet(ns Namespace, name string) bool {
	_, ok := w.sets[Ref{NS: ns, Name: name}]
	return ok
}
func (w *benchWorld) SetNames(Namespace) []string   { return nil }
func (w *benchWorld) HasAttribute(a Attribute) bool { _, ok := w.attrs[a]; return ok }
func (w *benchWorld) Universe() *roaring64.Bitmap   { return w.universe }
func (w *benchWorld) Set(ns Namespace, name string) (*roaring64.Bitmap, error) {
	return w.sets[Ref{NS: ns, Name: name}], nil
}
func (w *benchWorld) Attribute(a Attribute) (*roaring64.BSI, uint8, error) {
	if a == AttrMonetary {
		return w.attrs[a], 2, nil
	}
	return w.attrs[a], 0, nil
}

var (
	benchOnce     sync.Once
	benchWorld10M *benchWorld
)

// BenchmarkCount10M: hush segment count over 10M customers. Targets:
// ≤ 2 ms for scores and segments with three set operations, ≤ 20 ms
// with a range on monetary.
func BenchmarkCount10M(b *testing.B) {
	benchOnce.Do(func() { benchWorld10M = newBenchWorld(10_000_000) })
	w := benchWorld10M
	for _, bc := range []struct{ name, expr string }{
		{"segments_3ops", "(rfm:champions OR rfm:loyal_customers) AND NOT list:mail_dnm AND NOT segment:complained_2026"},
		{"scores_segments_3ops", "(rfm:champions OR rfm:loyal_customers) AND r >= 4 AND NOT list:mail_dnm"},
		{"monetary_range", "(rfm:champions OR rfm:loyal_customers) AND monetary >= 100 AND NOT list:mail_dnm"},
		{"monetary_range_alone", "monetary >= 500"},
	} {
		n, err := Compile(bc.expr, w)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range []struct {
			name string
			r    Resolver
		}{{"", w}, {"/planes_only", planesOnly{w}}} {
			b.Run(bc.name+r.name, func(b *testing.B) {
				b.ReportAllocs()
				var c uint64
				for b.Loop() {
					c, err = Count(n, r.r)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(c), "customers")
			})
		}
	}
}
