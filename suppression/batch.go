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
// It sorts the batch (radix), builds a bitmap of it, and intersects that
// with each list and with the set of keys that have opt-outs, so its cost
// follows the batch and the hits, not one random probe per key and list.
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
	vals := make([]uint64, 0, n)
	idx := make([]uint32, 0, n)
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
	radixSort(vals, idx, nil, nil)
	batch := newSet(phone)
	batch.addSorted(vals)

	words := (n + 63) / 64
	hitBits := make([]uint64, words*len(steps))
	buf := make([]uint64, 4096)
	for si, st := range steps {
		b := hitBits[si*words : (si+1)*words]
		if st.consent {
			// Every index fails until found active in the list.
			for w := range b {
				b[w] = ^uint64(0)
			}
			if r := n % 64; r != 0 {
				b[words-1] = 1<<r - 1
			}
		}
		l := st.list
		checkExp := l.exp.len() > 0
		j := 0
		setAnd(batch, l.entries).each(buf, func(hs []uint64) {
			for _, h := range hs {
				j = advance(vals, j, h)
				active := !checkExp || func() bool { e := l.exp.lookup(h); return e == 0 || e > at }()
				for ; j < len(vals) && vals[j] == h; j++ {
					i := idx[j]
					if st.consent {
						if active {
							b[i>>6] &^= 1 << (i & 63)
						}
					} else if active {
						b[i>>6] |= 1 << (i & 63)
					}
				}
			}
		})
	}

	type optHit struct {
		i int
		r Reason
	}
	var opts []optHit
	if hasOpt {
		c := p.scope.Channel
		j := 0
		setAnd(batch, optSet).each(buf, func(hs []uint64) {
			for _, h := range hs {
				j = advance(vals, j, h)
				if j == len(vals) || vals[j] != h {
					continue
				}
				key := contactkey.Key{Kind: kind, V: keys[idx[j]]}
				evs := s.optouts[key]
				var rs [2]Reason
				nr := 0
				for _, purpose := range p.purposes[:p.nPurposes] {
					if e, ok := decideOptOut(evs, c, purpose); ok {
						rs[nr] = Reason{Code: ReasonOptOut, List: OptOutsList, Source: e.Source, Since: e.At, Kind: kind, Purpose: purpose}
						nr++
					}
				}
				for ; j < len(vals) && vals[j] == h; j++ {
					for _, r := range rs[:nr] {
						opts = append(opts, optHit{int(idx[j]), r})
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

// advance returns the first position >= j whose value is >= h (vals
// sorted), galloping so that sparse hits cost O(log gap) each.
func advance(vals []uint64, j int, h uint64) int {
	if j >= len(vals) || vals[j] >= h {
		return j
	}
	step := 1
	lo := j
	for lo+step < len(vals) && vals[lo+step] < h {
		lo += step
		step *= 2
	}
	hi := min(lo+step, len(vals))
	k, _ := slices.BinarySearch(vals[lo+1:hi], h)
	return lo + 1 + k
}
