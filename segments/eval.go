package segments

import (
	"fmt"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// Resolver hands out what an expression names. Bitmaps and indexes it
// returns are read-only to the evaluator and must not change while an
// evaluation runs (hand out an immutable view).
type Resolver interface {
	Catalog
	// Universe is every known customer: what NOT complements within.
	Universe() *roaring64.Bitmap
	// Set returns a named set.
	Set(ns Namespace, name string) (*roaring64.Bitmap, error)
	// Attribute returns an attribute's bit-sliced index and the number
	// of decimal places its stored integers carry (2 for monetary in
	// cents: 500 is stored 50000).
	Attribute(a Attribute) (bsi *roaring64.BSI, decimals uint8, err error)
}

// ValueSets is implemented by resolvers that keep, for attributes with few
// distinct values (the scores 1..n), one customer bitmap per value (see
// ValueBitmaps): a comparison is then the union of a few bitmaps instead
// of a walk over the index's bit planes.
type ValueSets interface {
	// AttributeValues returns the per-value bitmaps of a (in the index's
	// integer units), or false when the attribute has too many values.
	AttributeValues(a Attribute) (map[int64]*roaring64.Bitmap, bool)
}

// MaxValueSets is the most distinct values ValueBitmaps splits an index
// into.
const MaxValueSets = 16

// ValueBitmaps returns one bitmap per value of b, when b's values span at
// most MaxValueSets integers.
func ValueBitmaps(b *roaring64.BSI) (map[int64]*roaring64.Bitmap, bool) {
	if b.GetCardinality() == 0 || b.MaxValue-b.MinValue >= MaxValueSets || b.MaxValue < b.MinValue {
		return nil, false
	}
	out := map[int64]*roaring64.Bitmap{}
	for v := b.MinValue; v <= b.MaxValue; v++ {
		bm := InRange(b, v, v)
		if !bm.IsEmpty() {
			bm.RunOptimize()
			out[v] = bm
		}
	}
	return out, true
}

// Eval returns the customers n selects. The result is the caller's to
// keep and change.
func Eval(n Node, r Resolver) (*roaring64.Bitmap, error) {
	ev := evaluator{r: r}
	bm, owned, err := ev.eval(n, nil)
	if err != nil {
		return nil, err
	}
	if !owned {
		bm = bm.Clone()
	}
	return bm, nil
}

// Count returns how many customers n selects. An AND at the top is
// counted without taking its negated operands out: |sets| − |sets ∧ negated|.
func Count(n Node, r Resolver) (uint64, error) {
	ev := evaluator{r: r}
	if a, ok := n.(*And); ok {
		acc, neg, err := ev.andParts(a, nil)
		if err != nil {
			return 0, err
		}
		c := acc.GetCardinality()
		if neg != nil {
			c -= acc.AndCardinality(neg)
		}
		return c, nil
	}
	bm, _, err := ev.eval(n, nil)
	if err != nil {
		return 0, err
	}
	return bm.GetCardinality(), nil
}

type evaluator struct {
	r Resolver
}

// eval returns n's set. owned says whether the bitmap is a fresh one the
// caller may change; otherwise it belongs to the resolver. within, when
// not nil, is a superset the caller will intersect with anyway: a range
// query may restrict its work to it (and may return members outside it).
func (ev *evaluator) eval(n Node, within *roaring64.Bitmap) (*roaring64.Bitmap, bool, error) {
	switch n := n.(type) {
	case *Ref:
		bm, err := ev.r.Set(n.NS, n.Name)
		if err != nil {
			return nil, false, fmt.Errorf("column %d: %s: %w", n.Offset+1, n, err)
		}
		return bm, false, nil
	case *Attr:
		return nil, false, &TypeError{Pos: n.Offset, Msg: fmt.Sprintf("%s is a number, not a set of customers", n.Name)}
	case *Compare:
		bm, err := ev.compare(n, within)
		return bm, true, err
	case *Not:
		x, _, err := ev.eval(n.X, within)
		if err != nil {
			return nil, false, err
		}
		return roaring64.AndNot(ev.r.Universe(), x), true, nil
	case *Or:
		parts := make([]*roaring64.Bitmap, 0, len(n.Xs))
		for _, x := range n.Xs {
			bm, _, err := ev.eval(x, within)
			if err != nil {
				return nil, false, err
			}
			parts = append(parts, bm)
		}
		return roaring64.FastOr(parts...), true, nil
	case *And:
		return ev.and(n, within)
	}
	return nil, false, fmt.Errorf("segments: unknown node %T", n)
}

// and intersects the plain sets first (smallest first), then runs the
// range queries restricted to that intersection, then takes away the
// negated operands with AndNot: NOT inside AND never materialises a
// complement of the universe.
func (ev *evaluator) and(n *And, within *roaring64.Bitmap) (*roaring64.Bitmap, bool, error) {
	acc, neg, err := ev.andParts(n, within)
	if err != nil {
		return nil, false, err
	}
	if neg != nil {
		acc.AndNot(neg)
	}
	return acc, true, nil
}

// andParts returns the intersection of the plain operands and range
// queries (a bitmap the caller owns), and the union of the negated
// operands (nil if none): one AndNot of a union costs less than one per
// operand.
func (ev *evaluator) andParts(n *And, within *roaring64.Bitmap) (*roaring64.Bitmap, *roaring64.Bitmap, error) {
	var sets, negs []*roaring64.Bitmap
	var owned []bool
	var compares []Node
	for _, x := range n.Xs {
		switch x := x.(type) {
		case *Compare:
			compares = append(compares, x)
		case *Not:
			neg, _, err := ev.eval(x.X, nil)
			if err != nil {
				return nil, nil, err
			}
			negs = append(negs, neg)
		default:
			bm, own, err := ev.eval(x, within)
			if err != nil {
				return nil, nil, err
			}
			sets = append(sets, bm)
			owned = append(owned, own)
		}
	}
	var acc *roaring64.Bitmap
	switch len(sets) {
	case 0:
	case 1:
		// A set this evaluation made (an OR, a comparison) is changed in
		// place; only a resolver's set is copied.
		if acc = sets[0]; !owned[0] {
			acc = acc.Clone()
		}
	default:
		slices.SortFunc(sets, func(a, b *roaring64.Bitmap) int {
			return cmpUint64(a.GetCardinality(), b.GetCardinality())
		})
		acc = roaring64.And(sets[0], sets[1])
		for _, s := range sets[2:] {
			acc.And(s)
		}
	}
	for _, c := range compares {
		scope := acc
		if scope == nil {
			scope = within
		}
		bm, err := ev.compare(c.(*Compare), scope)
		if err != nil {
			return nil, nil, err
		}
		if acc == nil {
			acc = bm
		} else {
			acc.And(bm)
		}
	}
	if acc == nil {
		acc = ev.r.Universe().Clone()
	}
	switch len(negs) {
	case 0:
		return acc, nil, nil
	case 1:
		return acc, negs[0], nil
	}
	return acc, roaring64.FastOr(negs...), nil
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare runs a range query on the attribute's index. The literal is
// converted to the index's integer units exactly: monetary >= 12.345 on
// cents is monetary >= 1235.
func (ev *evaluator) compare(c *Compare, within *roaring64.Bitmap) (*roaring64.Bitmap, error) {
	bsi, decimals, err := ev.r.Attribute(c.Attr)
	if err != nil {
		return nil, fmt.Errorf("column %d: %s: %w", c.Offset+1, c.Attr, err)
	}
	floor, ceil, ok := c.Value.inUnits(decimals)
	if !ok {
		return nil, &TypeError{Pos: c.Offset, Msg: fmt.Sprintf("%s is out of range for %s", c.Value, c.Attr)}
	}
	exist := bsi.GetExistenceBitmap()
	if exist.IsEmpty() {
		return roaring64.NewBitmap(), nil
	}
	if vs, ok := ev.r.(ValueSets); ok {
		if sets, ok := vs.AttributeValues(c.Attr); ok {
			return compareValues(sets, c.Op, floor, ceil), nil
		}
	}
	// Thresholds outside what the index's bit planes can hold are
	// answered without it: roaring64.BSI only promises right answers for
	// values in its range.
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if bc := bsi.BitCount(); bc < 63 {
		lo, hi = -(int64(1) << bc), int64(1)<<bc-1
	}
	all := func() *roaring64.Bitmap {
		if within != nil {
			return roaring64.And(exist, within)
		}
		return exist.Clone()
	}
	none := roaring64.NewBitmap
	switch c.Op {
	case OpGE, OpGT:
		t := ceil // v >= t
		if c.Op == OpGT {
			t = floor + 1
		}
		if t <= lo {
			return all(), nil
		}
		if t > hi {
			return none(), nil
		}
		return bsi.CompareValue(0, roaring64.GE, t, 0, within), nil
	case OpLE, OpLT:
		t := floor // v <= t
		if c.Op == OpLT {
			t = ceil - 1
		}
		if t >= hi {
			return all(), nil
		}
		if t < lo {
			return none(), nil
		}
		return bsi.CompareValue(0, roaring64.LE, t, 0, within), nil
	case OpEQ, OpNE:
		var eq *roaring64.Bitmap
		if floor != ceil || floor < lo || floor > hi {
			eq = none()
		} else {
			eq = bsi.CompareValue(0, roaring64.EQ, floor, 0, within)
		}
		if c.Op == OpEQ {
			return eq, nil
		}
		res := all()
		res.AndNot(eq)
		return res, nil
	}
	return nil, fmt.Errorf("segments: unknown operator %d", c.Op)
}

// compareValues answers a comparison from per-value bitmaps: the union of
// the values that compare true.
func compareValues(sets map[int64]*roaring64.Bitmap, op Op, floor, ceil int64) *roaring64.Bitmap {
	var parts []*roaring64.Bitmap
	for v, bm := range sets {
		var ok bool
		switch op {
		case OpGE:
			ok = v >= ceil
		case OpGT:
			ok = v > floor
		case OpLE:
			ok = v <= floor
		case OpLT:
			ok = v < ceil
		case OpEQ:
			ok = floor == ceil && v == floor
		case OpNE:
			ok = floor != ceil || v != floor
		}
		if ok {
			parts = append(parts, bm)
		}
	}
	if len(parts) == 0 {
		return roaring64.NewBitmap()
	}
	return roaring64.FastOr(parts...)
}
