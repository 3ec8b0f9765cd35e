package suppression

import (
	"math/bits"
	"slices"

	"github.com/hushcrm/hush/contactkey"
)

// smallBatch is the size below which DecideBatch probes key by key:
// building a bitmap of the batch pays off only for many keys.
const smallBatch = 64

// DecideBatch checks many keys of one kind and calls hit for every
// (index, reason): in ascending index order, and for each index in the
// order Decide gives for a row holding only that key. It checks the
// opt-outs of the keys and the lists of that kind; consent lists of other
// kinds are the caller's (ConsentKinds): a row lacking a key of such a
// kind fails them.
//
// It sorts the batch (radix) and walks each list alongside it, or probes
// the list key by key in ascending order when the list has many more
// containers than the batch has keys (set.probe); lists in the policy's
// union of a kind are probed only for the keys the union holds.
// Like Decide it needs the engine's read lock.
func (p *Policy) DecideBatch(kind contactkey.Kind, keys []uint64, at int64, hit func(i int, r Reason)) {
	n := len(keys)
	if n == 0 || !kind.Valid() {
		return
	}
	s := p.store
	var steps []*step
	for i := range p.steps {
		if p.steps[i].list.spec.Kind == kind {
			steps = append(steps, &p.steps[i])
		}
	}
	phone := kind == contactkey.KindPhone
	var optSet set
	if phone {
		optSet = set{b64: s.optPhones}
	} else {
		optSet = set{b32: s.optIDs[kind]}
	}
	hasOpt := optSet.card() > 0
	if len(steps) == 0 && !hasOpt {
		return
	}
	if n < smallBatch {
		var buf [8]Reason
		for i, v := range keys {
			_, rs := p.decide([]contactkey.Key{{Kind: kind, V: v}}, at, buf[:0], kind)
			for _, r := range rs {
				hit(i, r)
			}
		}
		return
	}

	// Values the lists use, with the index they came from; hashes with
	// no dictionary id are in no list and have no opt-out.
	sc, _ := p.scratch.Get().(*batchScratch)
	if sc == nil {
		sc = &batchScratch{}
	}
	defer p.scratch.Put(sc)
	vals := sc.vals[:0]
	idx := sc.idx[:0]
	for i, k := range keys {
		v, ok := k, true
		if !phone {
			var id uint32
			id, ok = s.dicts[kind].Lookup(k)
			v = uint64(id)
		}
		if ok {
			vals = append(vals, v)
			idx = append(idx, uint32(i))
		}
	}
	sc.vals, sc.idx = vals, idx
	sc.tmp, sc.itmp = grow(sc.tmp, len(vals)), grow(sc.itmp, len(vals))
	radixSort(vals, idx, sc.tmp, sc.itmp)
	// u: the distinct values; their indexes are idx[starts[k]:starts[k+1]].
	u := sc.u[:0]
	starts := sc.starts[:0]
	for j, v := range vals {
		if j == 0 || v != vals[j-1] {
			u = append(u, v)
			starts = append(starts, int32(j))
		}
	}
	starts = append(starts, int32(len(vals)))
	sc.u, sc.starts = u, starts
	batch := &sortedBatch{u: u, phone: phone}

	words := (n + 63) / 64
	hitBits := grow(sc.bits, words*len(steps))
	clear(hitBits)
	sc.bits = hitBits
	mark := func(si int, k int, on bool) {
		b := hitBits[si*words : (si+1)*words]
		for _, i := range idx[starts[k]:starts[k+1]] {
			if on {
				b[i>>6] |= 1 << (i & 63)
			} else {
				b[i>>6] &^= 1 << (i & 63)
			}
		}
	}
	var unionHits []int
	if p.union[kind].b32 != nil || p.union[kind].b64 != nil {
		p.union[kind].probe(batch, p.unionContainers[kind], func(k int) { unionHits = append(unionHits, k) })
	}
	for si, st := range steps {
		l := st.list
		if st.consent {
			// Every index fails until found active in the list.
			b := hitBits[si*words : (si+1)*words]
			for w := range b {
				b[w] = ^uint64(0)
			}
			if r := n % 64; r != 0 {
				b[words-1] = 1<<r - 1
			}
		}
		found := func(k int) {
			if e := l.exp.lookup(u[k]); e == 0 || e > at {
				mark(si, k, !st.consent)
			}
		}
		if st.filtered {
			// Only what the union holds can be in this list.
			for _, k := range unionHits {
				if l.entries.contains(u[k]) {
					found(k)
				}
			}
			continue
		}
		l.entries.probe(batch, l.containers(), found)
	}

	type optHit struct {
		i int
		r Reason
	}
	var opts []optHit
	if hasOpt {
		c := p.scope.Channel
		// The opt-out index changes with every opt-out: its container
		// count is not kept, and its cardinality bounds it.
		optSet.probe(batch, optSet.card(), func(k int) {
			key := contactkey.Key{Kind: kind, V: keys[idx[starts[k]]]}
			evs := s.optouts[key]
			for _, purpose := range p.purposes[:p.nPurposes] {
				if e, ok := decideOptOut(evs, c, purpose); ok {
					r := Reason{Code: ReasonOptOut, List: OptOutsList, Source: e.Source, Since: e.At, Kind: kind, Purpose: purpose}
					for _, i := range idx[starts[k]:starts[k+1]] {
						opts = append(opts, optHit{int(i), r})
					}
				}
			}
		})
		// Stable: the reasons of one index stay in purpose order.
		slices.SortStableFunc(opts, func(a, b optHit) int { return a.i - b.i })
	}

	oi := 0
	for w := 0; w < words; w++ {
		var any uint64
		for si := range steps {
			any |= hitBits[si*words+w]
		}
		for k := oi; k < len(opts) && opts[k].i>>6 == w; k++ {
			any |= 1 << (opts[k].i & 63)
		}
		for any != 0 {
			t := bits.TrailingZeros64(any)
			any &= any - 1
			i := w<<6 | t
			for ; oi < len(opts) && opts[oi].i == i; oi++ {
				hit(i, opts[oi].r)
			}
			for si, st := range steps {
				if hitBits[si*words+w]&(1<<t) != 0 {
					hit(i, st.reason)
				}
			}
		}
	}
}

// batchScratch holds DecideBatch's buffers between calls (Policy.scratch):
// a scrub calls it for batch after batch of the same size.
type batchScratch struct {
	vals, tmp, u []uint64
	idx, itmp    []uint32
	starts       []int32
	bits         []uint64
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
