package suppression

import (
	"io"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// set is a bitmap being worked on — an import's staged keys, the result
// of a commit's or a union's set operations (often over views of frozen
// sets) — until freeze publishes it: a roaring64 bitmap of phone
// numbers, or a 32-bit bitmap of dense dictionary ids for the hashed
// kinds. Exactly one of b32 and b64 is set.
type set struct {
	b32 *roaring.Bitmap
	b64 *roaring64.Bitmap
}

func newSet(phone bool) set {
	if phone {
		return set{b64: roaring64.New()}
	}
	return set{b32: roaring.New()}
}

func (s set) phone() bool { return s.b64 != nil }

func (s set) contains(v uint64) bool {
	if s.b64 != nil {
		return s.b64.Contains(v)
	}
	return v <= 0xffffffff && s.b32.Contains(uint32(v))
}

func (s set) card() uint64 {
	if s.b64 != nil {
		return s.b64.GetCardinality()
	}
	return s.b32.GetCardinality()
}

// addSorted adds values sorted ascending (duplicates allowed): the fast
// path of both roaring flavours.
func (s set) addSorted(vs []uint64) {
	if len(vs) == 0 {
		return
	}
	if s.b64 != nil {
		s.b64.AddMany(vs)
		return
	}
	const chunk = 1 << 16
	var buf [chunk]uint32
	for len(vs) > 0 {
		n := min(len(vs), chunk)
		for i, v := range vs[:n] {
			buf[i] = uint32(v)
		}
		s.b32.AddMany(buf[:n])
		vs = vs[n:]
	}
}

func (s set) andCard(o set) uint64 {
	if s.b64 != nil {
		return s.b64.AndCardinality(o.b64)
	}
	return s.b32.AndCardinality(o.b32)
}

func setOr(a, b set) set {
	if a.b64 != nil {
		return set{b64: roaring64.Or(a.b64, b.b64)}
	}
	return set{b32: roaring.Or(a.b32, b.b32)}
}

func setAndNot(a, b set) set {
	if a.b64 != nil {
		return set{b64: roaring64.AndNot(a.b64, b.b64)}
	}
	return set{b32: roaring.AndNot(a.b32, b.b32)}
}

func setXor(a, b set) set {
	if a.b64 != nil {
		return set{b64: roaring64.Xor(a.b64, b.b64)}
	}
	return set{b32: roaring.Xor(a.b32, b.b32)}
}

func setAnd(a, b set) set {
	if a.b64 != nil {
		return set{b64: roaring64.And(a.b64, b.b64)}
	}
	return set{b32: roaring.And(a.b32, b.b32)}
}

func setFastOr(phone bool, parts []set) set {
	switch len(parts) {
	case 0:
		return newSet(phone)
	case 1:
		return parts[0]
	}
	if phone {
		bs := make([]*roaring64.Bitmap, len(parts))
		for i, p := range parts {
			bs[i] = p.b64
		}
		return set{b64: roaring64.FastOr(bs...)}
	}
	bs := make([]*roaring.Bitmap, len(parts))
	for i, p := range parts {
		bs[i] = p.b32
	}
	return set{b32: roaring.FastOr(bs...)}
}

// optimize puts every container in its smallest form. After it the
// serialised bytes are a function of the content alone, which is what
// makes snapshots and digests canonical.
func (s set) optimize() {
	if s.b64 != nil {
		s.b64.RunOptimize()
	} else {
		s.b32.RunOptimize()
	}
}

func (s set) serializedSize() uint64 {
	if s.b64 != nil {
		return s.b64.GetSerializedSizeInBytes()
	}
	return s.b32.GetSerializedSizeInBytes()
}

func (s set) writeTo(w io.Writer) (int64, error) {
	if s.b64 != nil {
		return s.b64.WriteTo(w)
	}
	return s.b32.WriteTo(w)
}

func (s set) maximum() uint64 {
	if s.b64 != nil {
		if s.b64.IsEmpty() {
			return 0
		}
		return s.b64.Maximum()
	}
	if s.b32.IsEmpty() {
		return 0
	}
	return uint64(s.b32.Maximum())
}

// each calls fn with runs of values in ascending order (buf is reused).
func (s set) each(buf []uint64, fn func(vs []uint64)) {
	if s.b64 != nil {
		it := s.b64.ManyIterator()
		for {
			n := it.NextMany(buf)
			if n == 0 {
				return
			}
			fn(buf[:n])
		}
	}
	b32 := make([]uint32, len(buf))
	it := s.b32.ManyIterator()
	for {
		n := it.NextMany(b32)
		if n == 0 {
			return
		}
		for i, v := range b32[:n] {
			buf[i] = uint64(v)
		}
		fn(buf[:n])
	}
}

// expiries maps the entries of a list that expire to their expiry (unix
// seconds). Entries without expiry are not in it. Sorted parallel slices:
// 16 bytes per expiring entry, binary search on a hit, and a canonical
// serialised form. Like sets, published expiries are never modified.
type expiries struct {
	keys []uint64
	at   []int64
}

func (e expiries) len() int { return len(e.keys) }

// lookup returns the expiry of v, 0 when it has none.
func (e expiries) lookup(v uint64) int64 {
	if len(e.keys) == 0 {
		return 0
	}
	i, ok := slices.BinarySearch(e.keys, v)
	if !ok {
		return 0
	}
	return e.at[i]
}

// expPair is one staged (value, expiry).
type expPair struct {
	v  uint64
	at int64
}

// laterExpiry is the expiry that suppresses longest: 0 (never) beats any
// time, otherwise the later time.
func laterExpiry(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	return max(a, b)
}

// sortPairs sorts pairs by value and merges duplicates with laterExpiry.
func sortPairs(ps []expPair) []expPair {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].v != ps[j].v {
			return ps[i].v < ps[j].v
		}
		return ps[i].at < ps[j].at
	})
	out := ps[:0]
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].v == p.v {
			out[n-1].at = laterExpiry(out[n-1].at, p.at)
			continue
		}
		out = append(out, p)
	}
	return out
}

// mergeExpiries builds the expiries of a new list version: for every value
// in final, its expiry is combine(old, new) where each side is 0 when that
// side has no expiring entry for it, and has tells whether that side holds
// the value at all. Values of final that end with expiry 0 are left out.
func mergeExpiries(final set, old expiries, oldSet set, staged []expPair, stagedSet set, rule func(inOld, inNew bool, oldAt, newAt int64) int64) expiries {
	var out expiries
	i, j := 0, 0
	emit := func(v uint64, at int64) {
		if at != 0 && final.contains(v) {
			out.keys = append(out.keys, v)
			out.at = append(out.at, at)
		}
	}
	for i < len(old.keys) || j < len(staged) {
		switch {
		case j == len(staged) || i < len(old.keys) && old.keys[i] < staged[j].v:
			v := old.keys[i]
			emit(v, rule(true, stagedSet.contains(v), old.at[i], 0))
			i++
		case i == len(old.keys) || staged[j].v < old.keys[i]:
			v := staged[j].v
			emit(v, rule(oldSet.contains(v), true, 0, staged[j].at))
			j++
		default:
			emit(old.keys[i], rule(true, true, old.at[i], staged[j].at))
			i++
			j++
		}
	}
	return out
}
