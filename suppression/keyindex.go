package suppression

import "slices"

// keyIndex is a growing set of values — the phone numbers, or the
// dictionary ids of one hashed kind, that have opt-out events — kept
// probe-friendly while the writer adds to it one value at a time: two
// frozen levels and a small sorted slice in front. A value is added to
// the slice; a full slice is merged into mid, and mid into base once it
// reaches a quarter of base, so a merge costs in proportion to the
// level it rebuilds and the total stays a few copies per value. Frozen
// views share base and mid and copy the slice.
type keyIndex struct {
	phone     bool
	base, mid *frozen
	delta     []uint64 // sorted, disjoint from base and mid
}

// deltaMax bounds the sorted slice: an insertion moves at most 32 KiB,
// and a batch walks at most this many values besides its probes.
const deltaMax = 4096

func newKeyIndex(phone bool) keyIndex {
	e := emptyFrozen(phone)
	return keyIndex{phone: phone, base: e, mid: e}
}

// buildKeyIndex indexes values given in ascending order.
func buildKeyIndex(phone bool, sorted []uint64) keyIndex {
	ix := newKeyIndex(phone)
	s := newSet(phone)
	s.addSorted(sorted)
	ix.base = freeze(s)
	return ix
}

func (ix *keyIndex) card() uint64 { return ix.base.card + ix.mid.card + uint64(len(ix.delta)) }

func (ix *keyIndex) contains(v uint64) bool {
	if _, ok := slices.BinarySearch(ix.delta, v); ok {
		return true
	}
	return ix.mid.contains(v) || ix.base.contains(v)
}

// add inserts v (a no-op when present).
func (ix *keyIndex) add(v uint64) {
	i, ok := slices.BinarySearch(ix.delta, v)
	if ok || ix.mid.contains(v) || ix.base.contains(v) {
		return
	}
	ix.delta = slices.Insert(ix.delta, i, v)
	if len(ix.delta) < deltaMax {
		return
	}
	d := newSet(ix.phone)
	d.addSorted(ix.delta)
	ix.mid = freeze(setOr(ix.mid.view(), d))
	// A new slice: frozen views copied the old one, but keep them apart.
	ix.delta = make([]uint64, 0, deltaMax)
	if ix.mid.card >= max(1<<16, ix.base.card/4) {
		ix.base = freeze(setOr(ix.base.view(), ix.mid.view()))
		ix.mid = emptyFrozen(ix.phone)
	}
}

// probe calls fn(k) for every u[k] in the index; u in container order
// (v>>16 ascending), as frozen.probe takes it. Each k comes once, in no
// particular order.
func (ix *keyIndex) probe(u []uint64, fn func(k int)) {
	ix.base.probe(u, fn)
	ix.mid.probe(u, fn)
	d := ix.delta
	if len(d) == 0 || len(u) == 0 {
		return
	}
	// For each container of the slice, the keys of u in it: compared
	// pairwise when few, through a bitmap of the container when many
	// (dense ids put thousands of keys of a batch in one container).
	var bm *[1024]uint64
	k := 0
	for j := 0; j < len(d); {
		c := d[j] >> 16
		e := j + 1
		for e < len(d) && d[e]>>16 == c {
			e++
		}
		if u[k]>>16 < c {
			k += gallopContainer(u[k:], c)
			if k == len(u) {
				return
			}
		}
		ke := k
		for ke < len(u) && u[ke]>>16 == c {
			ke++
		}
		switch {
		case ke == k:
		case (e-j)*(ke-k) <= 64:
			for x := k; x < ke; x++ {
				for _, y := range d[j:e] {
					if u[x] == y {
						fn(x)
						break
					}
				}
			}
		default:
			if bm == nil {
				bm = new([1024]uint64)
			}
			for _, y := range d[j:e] {
				bm[uint16(y)>>6] |= 1 << (y & 63)
			}
			for x := k; x < ke; x++ {
				if low := uint16(u[x]); bm[low>>6]&(1<<(low&63)) != 0 {
					fn(x)
				}
			}
			for _, y := range d[j:e] {
				bm[uint16(y)>>6] = 0
			}
		}
		j, k = e, ke
		if k == len(u) {
			return
		}
	}
}

// galloping returns the index of the first element of s (ascending) that
// is >= v, or len(s); s[0] < v.
func galloping(s []uint64, v uint64) int {
	lo, step, hi := 0, 1, 1
	for hi < len(s) && s[hi] < v {
		lo = hi
		step <<= 1
		hi = lo + step
	}
	hi = min(hi, len(s))
	for lo+1 < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m] < v {
			lo = m
		} else {
			hi = m
		}
	}
	return hi
}

// clone returns a copy that shares the frozen levels.
func (ix *keyIndex) clone() keyIndex {
	c := *ix
	c.delta = slices.Clone(ix.delta)
	return c
}

func (ix *keyIndex) sizeBytes() uint64 {
	return ix.base.sizeBytes() + ix.mid.sizeBytes() + uint64(cap(ix.delta))*8
}
