package segments

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// fixture is a Resolver over plain maps, with the bitmaps and indexes
// built from them: the naive model the property test compares with.
type fixture struct {
	universe map[uint64]bool
	sets     map[Namespace]map[string]map[uint64]bool
	attrs    map[Attribute]map[uint64]int64 // stored integers
	decimals map[Attribute]uint8

	ubm   *roaring64.Bitmap
	bms   map[Ref]*roaring64.Bitmap
	index map[Attribute]*roaring64.BSI
}

func newFixture() *fixture {
	return &fixture{
		universe: map[uint64]bool{},
		sets:     map[Namespace]map[string]map[uint64]bool{},
		attrs:    map[Attribute]map[uint64]int64{},
		decimals: map[Attribute]uint8{AttrMonetary: 2},
	}
}

func (f *fixture) addSet(ns Namespace, name string, ids ...uint64) {
	if f.sets[ns] == nil {
		f.sets[ns] = map[string]map[uint64]bool{}
	}
	m := map[uint64]bool{}
	for _, id := range ids {
		m[id] = true
		f.universe[id] = true
	}
	f.sets[ns][name] = m
}

func (f *fixture) setAttr(a Attribute, vals map[uint64]int64) {
	f.attrs[a] = vals
	for id := range vals {
		f.universe[id] = true
	}
}

// build makes the bitmaps and indexes from the maps.
func (f *fixture) build() *fixture {
	f.ubm = roaring64.NewBitmap()
	for id := range f.universe {
		f.ubm.Add(id)
	}
	f.bms = map[Ref]*roaring64.Bitmap{}
	for ns, m := range f.sets {
		for name, ids := range m {
			bm := roaring64.NewBitmap()
			for id := range ids {
				bm.Add(id)
			}
			f.bms[Ref{NS: ns, Name: name}] = bm
		}
	}
	f.index = map[Attribute]*roaring64.BSI{}
	for a, vals := range f.attrs {
		ids := slices.Sorted(maps.Keys(vals))
		vs := make([]int64, len(ids))
		for i, id := range ids {
			vs[i] = vals[id]
		}
		b, err := BuildIndex(ids, vs)
		if err != nil {
			panic(err)
		}
		f.index[a] = b
	}
	return f
}

var errNoSuchSet = errors.New("no such set")

func (f *fixture) HasSet(ns Namespace, name string) bool { _, ok := f.sets[ns][name]; return ok }
func (f *fixture) SetNames(ns Namespace) []string {
	names := slices.Collect(maps.Keys(f.sets[ns]))
	sort.Strings(names)
	return names
}
func (f *fixture) HasAttribute(a Attribute) bool { _, ok := f.attrs[a]; return ok }
func (f *fixture) Universe() *roaring64.Bitmap   { return f.ubm }
func (f *fixture) Set(ns Namespace, name string) (*roaring64.Bitmap, error) {
	bm, ok := f.bms[Ref{NS: ns, Name: name}]
	if !ok {
		return nil, errNoSuchSet
	}
	return bm, nil
}
func (f *fixture) Attribute(a Attribute) (*roaring64.BSI, uint8, error) {
	b, ok := f.index[a]
	if !ok {
		return nil, 0, fmt.Errorf("%s: no index", a)
	}
	return b, f.decimals[a], nil
}

// naive evaluates n over the maps, by the language's definition.
func (f *fixture) naive(n Node) map[uint64]bool {
	out := map[uint64]bool{}
	switch n := n.(type) {
	case *Ref:
		maps.Copy(out, f.sets[n.NS][n.Name])
	case *Compare:
		// Compare in exact integers: stored × 10^Scale vs Units × 10^dec.
		for id, v := range f.attrs[n.Attr] {
			l := new128(v, int(n.Value.Scale))
			r := new128(n.Value.Units, int(f.decimals[n.Attr]))
			c := l.cmp(r)
			var ok bool
			switch n.Op {
			case OpEQ:
				ok = c == 0
			case OpNE:
				ok = c != 0
			case OpLT:
				ok = c < 0
			case OpLE:
				ok = c <= 0
			case OpGT:
				ok = c > 0
			case OpGE:
				ok = c >= 0
			}
			if ok {
				out[id] = true
			}
		}
	case *Not:
		x := f.naive(n.X)
		for id := range f.universe {
			if !x[id] {
				out[id] = true
			}
		}
	case *And:
		first := f.naive(n.Xs[0])
		rest := make([]map[uint64]bool, 0, len(n.Xs)-1)
		for _, y := range n.Xs[1:] {
			rest = append(rest, f.naive(y))
		}
		for id := range first {
			in := true
			for _, y := range rest {
				if !y[id] {
					in = false
					break
				}
			}
			if in {
				out[id] = true
			}
		}
	case *Or:
		for _, x := range n.Xs {
			maps.Copy(out, f.naive(x))
		}
	}
	return out
}

// i128 is v × 10^e, exact for the small exponents the tests use.
type i128 struct {
	neg    bool
	hi, lo uint64
}

func new128(v int64, e int) i128 {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	var hi, lo uint64 = 0, u
	for range e {
		// (hi,lo) *= 10
		h1, l1 := mul64(lo, 10)
		hi = hi*10 + h1
		lo = l1
	}
	return i128{neg: neg && (hi|lo) != 0, hi: hi, lo: lo}
}

func mul64(a, b uint64) (uint64, uint64) {
	const mask32 = 1<<32 - 1
	a0, a1 := a&mask32, a>>32
	b0, b1 := b&mask32, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1 := t & mask32
	w2 := t >> 32
	w1 += a0 * b1
	hi := a1*b1 + w2 + w1>>32
	return hi, a * b
}

func (a i128) cmp(b i128) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := 0
	switch {
	case a.hi != b.hi:
		c = cmpUint64(a.hi, b.hi)
	default:
		c = cmpUint64(a.lo, b.lo)
	}
	if a.neg {
		return -c
	}
	return c
}

// valueFixture is a fixture that also offers per-value bitmaps, so the
// property test covers both ways of answering a comparison.
type valueFixture struct{ *fixture }

func (f valueFixture) AttributeValues(a Attribute) (map[int64]*roaring64.Bitmap, bool) {
	b, ok := f.index[a]
	if !ok {
		return nil, false
	}
	return ValueBitmaps(b)
}
