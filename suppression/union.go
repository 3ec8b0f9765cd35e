package suppression

// unionSet is the union of some deny lists of one kind, with, for every
// value, which of them hold it: a union hit tells at once which lists a
// key is in, so those lists are never probed themselves.
type unionSet struct {
	set *frozen // with its rank index
	// planes[p][rank] has bit b set when part 8p+b holds the value of
	// that rank: a byte a value for up to eight lists.
	planes [][]uint8
	parts  int
}

// inPart reports whether part i holds the value of rank r.
func (u *unionSet) inPart(i int, r uint64) bool {
	return u.planes[i>>3][r]&(1<<(i&7)) != 0
}

// mask returns the parts holding the value of rank r, as bits (for up
// to 64 parts; buildUnions makes no union of more).
func (u *unionSet) mask(r uint64) uint64 {
	var m uint64
	for p, plane := range u.planes {
		m |= uint64(plane[r]) << (8 * p)
	}
	return m
}

func buildUnionSet(phone bool, parts []*frozen) *unionSet {
	views := make([]set, len(parts))
	for i, f := range parts {
		views[i] = f.view()
	}
	f := freeze(setFastOr(phone, views))
	f.withRanks()
	u := &unionSet{set: f, parts: len(parts), planes: make([][]uint8, (len(parts)+7)/8)}
	for p := range u.planes {
		u.planes[p] = make([]uint8, f.card)
	}
	var a, b []uint16
	for i, part := range parts {
		plane, bit := u.planes[i>>3], uint8(1)<<(i&7)
		// Walk the part's containers alongside the union's (the part is
		// a subset) and merge each pair's values to find the ranks.
		ub, uc := 0, 0
		for pb := range part.buckets {
			pbk := &part.buckets[pb]
			for ub < len(f.buckets) && f.buckets[ub].hi < pbk.hi {
				ub, uc = ub+1, 0
			}
			fb := &f.buckets[ub]
			for pc := range pbk.n {
				key := pbk.key(pc)
				uc = fb.find(key, uc)
				pcn := pbk.container(part.data, pc)
				ucn := fb.container(f.data, uc)
				a = pcn.appendValues(a[:0])
				b = ucn.appendValues(b[:0])
				r := f.cum[fb.first+uc]
				j := 0
				for _, x := range a {
					for b[j] < x {
						j++
					}
					plane[r+uint64(j)] |= bit
				}
			}
		}
	}
	return u
}

func (u *unionSet) sizeBytes() uint64 {
	n := u.set.sizeBytes()
	for _, p := range u.planes {
		n += uint64(cap(p))
	}
	return n
}
