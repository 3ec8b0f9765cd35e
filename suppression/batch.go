package suppression

import (
	"math/bits"

	"github.com/hushcrm/hush/contactkey"
)

// smallBatch is the size below which DecideBatch checks key by key:
// sorting pays off only for many keys.
const smallBatch = 64

// DecideBatch checks many keys of one kind and calls hit for every
// (index, reason): in ascending index order, and for each index in the
// order Decide gives for a row holding only that key. It checks the
// opt-outs of the keys and the lists of that kind; consent lists of other
// kinds are the caller's (ConsentKinds): a row lacking a key of such a
// kind fails them.
//
// It orders the batch by roaring container (radix, on the container
// bits only) and walks each list alongside it (frozen.probe: a gallop
// through the list's containers, so a batch costs in proportion to its
// own size, not the list's). Lists in the policy's union of a kind are
// not walked: the union's walk says which of them hold each key. Batches
// of 256k keys amortise the walks best; 64k is nearly as good. Like
// Decide it needs the engine's read lock.
func (p *Policy) DecideBatch(kind contactkey.Kind, keys []uint64, at int64, hit func(i int, r Reason)) {
	n := len(keys)
	if n == 0 || !kind.Valid() {
		return
	}
	s := p.store
	var steps []*step
	var partStep [maxUnionParts]int // union part → index in steps
	for i := range p.steps {
		if st := &p.steps[i]; st.list.spec.Kind == kind {
			if st.filtered {
				partStep[st.part] = len(steps)
			}
			steps = append(steps, st)
		}
	}
	opt := &s.optIndex[kind]
	hasOpt := opt.card() > 0
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

	sc, _ := p.scratch.Get().(*batchScratch)
	if sc == nil {
		sc = &batchScratch{}
	}
	defer p.scratch.Put(sc)

	// A hashed kind without opt-outs: dense bitsets where its lists
	// have them. (With opt-outs the walk stays: the opt-out index is
	// walked in container order, which a per-key probe of it, at ~100 ns
	// a found key, is slower than.)
	if kind != contactkey.KindPhone && !hasOpt && !p.walkHashed {
		if dense := sc.denseSteps(steps); dense != nil {
			p.decideDense(sc, kind, keys, at, steps, dense, hit)
			return
		}
	}

	// u: the values the lists use, in container order (frozen.probe),
	// and idx: the index each came from. Hashes with no dictionary id are
	// in no list and have no opt-out.
	var u []uint64
	var idx []uint32
	if kind == contactkey.KindPhone {
		u, idx = sc.order(keys, nil)
	} else {
		u, idx = sc.order(keys, s.dicts[kind])
	}

	words := (n + 63) / 64
	hitBits := grow(sc.bits, words*len(steps))
	clear(hitBits)
	sc.bits = hitBits
	mark := func(si int, k int, on bool) {
		i := idx[k]
		if on {
			hitBits[si*words+int(i>>6)] |= 1 << (i & 63)
		} else {
			hitBits[si*words+int(i>>6)] &^= 1 << (i & 63)
		}
	}
	found := func(si, k int) {
		st := steps[si]
		if st.list.unexpired(u[k], at) {
			mark(si, k, !st.consent)
		}
	}
	// The union says which of its lists hold each key it holds.
	if un := p.union[kind]; un != nil {
		un.set.probeRank(u, func(k int, r uint64) {
			for m := un.mask(r); m != 0; m &= m - 1 {
				found(partStep[bits.TrailingZeros64(m)], k)
			}
		})
	}
	for si, st := range steps {
		if st.filtered {
			continue
		}
		if st.consent {
			// Every index fails until found active in the list.
			failAll(hitBits[si*words:(si+1)*words], n)
		}
		st.list.entries.probe(u, func(k int) { found(si, k) })
	}

	var opts []optHit
	if hasOpt {
		c := p.scope.Channel
		opts = sc.opts[:0]
		opt.probe(u, func(k int) {
			i := int(idx[k])
			evs := s.optouts[contactkey.Key{Kind: kind, V: keys[i]}]
			for _, purpose := range p.purposes[:p.nPurposes] {
				if e, ok := decideOptOut(evs, c, purpose); ok {
					opts = append(opts, optHit{i, Reason{Code: ReasonOptOut, List: OptOutsList, Source: e.Source, Since: e.At, Kind: kind, Purpose: purpose}})
				}
			}
		})
		sc.opts = opts
		opts = sc.sortOpts(opts, words)
	}

	emitHits(steps, hitBits, words, opts, hit)
}

// emitHits calls hit for every index with a hit, ascending; for each,
// its opt-outs (opts: sorted by index, purpose order within one) and
// then the steps whose bits (hitBits: words per step) it has.
func emitHits(steps []*step, hitBits []uint64, words int, opts []optHit, hit func(i int, r Reason)) {
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

// denseSteps returns the dense bitsets of the steps' lists (a hashed
// kind's), in step order, or nil unless every list has one.
func (sc *batchScratch) denseSteps(steps []*step) [][]uint64 {
	d := sc.dense[:0]
	for _, st := range steps {
		b := st.list.denseBits()
		if b == nil {
			return nil
		}
		d = append(d, b)
	}
	sc.dense = d
	return d
}

// decideDense is DecideBatch for a hashed kind without opt-outs whose
// lists all have dense bitsets: every key is looked up in the
// dictionary, and each id found is tested in the bitsets in the batch's
// order — no sort, no walks, and no union (its lists are tested one by
// one: a bit each). It makes the same calls to hit as the walks.
func (p *Policy) decideDense(sc *batchScratch, kind contactkey.Kind, keys []uint64, at int64, steps []*step, dense [][]uint64, hit func(i int, r Reason)) {
	n := len(keys)
	s := p.store
	ids, found := grow(sc.ids, n), grow(sc.found, n)
	sc.ids, sc.found = ids, found
	s.dicts[kind].LookupBatch(keys, ids, found)

	words := (n + 63) / 64
	hitBits := grow(sc.bits, words*len(steps))
	clear(hitBits)
	sc.bits = hitBits
	for si, st := range steps {
		if st.consent {
			// Every index fails until found active in the list.
			failAll(hitBits[si*words:(si+1)*words], n)
		}
	}
	for i, ok := range found[:n] {
		if !ok {
			continue
		}
		v := uint64(ids[i])
		for si, st := range steps {
			if denseHas(dense[si], v) && st.list.unexpired(v, at) {
				w, b := si*words+i>>6, uint64(1)<<(i&63)
				if st.consent {
					hitBits[w] &^= b
				} else {
					hitBits[w] |= b
				}
			}
		}
	}
	emitHits(steps, hitBits, words, nil, hit)
}

// order puts a batch in the order frozen.probe walks: by roaring
// container (value>>16), which is all the walk needs — within a
// container each value is looked up on its own — and cheaper than a full
// sort. It returns the values and, parallel, the index each came from.
// With dict nil the values are the keys (phones); otherwise they are the
// keys' ids in dict (keys without one are left out).
//
// When the container range, 16 low bits and the index fit in 64 bits,
// (container, low, index) are packed in one word and radix-sorted on the
// container bits alone: one array to move, two passes for the phones of
// a country. Otherwise (value, index) pairs are sorted in full.
func (sc *batchScratch) order(keys []uint64, dict *contactkey.Dictionary) ([]uint64, []uint32) {
	n := len(keys)
	vals := grow(sc.vals, n)[:0]
	idx := grow(sc.idx, n)[:0]
	in := keys // the values to order
	lookup := dict != nil
	if lookup {
		sc.ids, sc.found = grow(sc.ids, n), grow(sc.found, n)
		vals, idx = lookupIDs(dict, keys, vals, idx, sc.ids, sc.found)
		in = vals
	}
	vals = vals[:len(in)]
	sc.vals = vals
	m := len(in)
	if m == 0 {
		return vals, idx[:0]
	}
	lo, hi := in[0], in[0]
	for _, v := range in {
		lo, hi = min(lo, v), max(hi, v)
	}
	ib := uint(bits.Len(uint(m)))
	minC := lo >> 16
	cb := uint(bits.Len64(hi>>16 - minC))
	sc.tmp = grow(sc.tmp, m)
	if cb+16+ib > 64 {
		if !lookup {
			copy(vals, in)
			idx = idx[:m]
			for i := range idx {
				idx[i] = uint32(i)
			}
		}
		sc.idx, sc.itmp = idx, grow(sc.itmp, m)
		radixSort(vals, idx, sc.tmp, sc.itmp)
		return vals, idx
	}
	// Digits of equal width, at most 11 bits (their counters stay in
	// L1): two passes for the containers of one country's numbers.
	nd := (cb + 10) / 11
	var w uint
	if nd > 0 {
		w = (cb + nd - 1) / nd
	}
	dmask := uint64(1)<<w - 1
	sh := 16 + ib // where the container bits start
	counts := grow(sc.counts, int(nd)<<w)
	clear(counts)
	// Pack, and count every digit in the same pass. The index is the
	// position in vals, mapped back below for looked-up ids.
	switch nd {
	case 2: // the common case, unrolled
		c0, c1 := counts[:1<<w], counts[1<<w:2<<w]
		for i, v := range in {
			c := v>>16 - minC
			vals[i] = c<<sh | (v&0xffff)<<ib | uint64(i)
			c0[c&dmask]++
			c1[c>>w&dmask]++
		}
	default:
		for i, v := range in {
			c := v>>16 - minC
			vals[i] = c<<sh | (v&0xffff)<<ib | uint64(i)
			for d := uint(0); d < nd; d++ {
				counts[d<<w|uint(c>>(d*w)&dmask)]++
			}
		}
	}
	for d := uint(0); d < nd; d++ {
		sum := int32(0)
		for i, x := range counts[d<<w : (d+1)<<w] {
			counts[d<<w+uint(i)] = sum
			sum += x
		}
	}
	src, dst := vals, sc.tmp[:m]
	for d := uint(0); d+1 < nd; d++ {
		cnt := counts[d<<w : (d+1)<<w]
		s := sh + d*w
		for _, p := range src {
			x := p >> s & dmask
			dst[cnt[x]] = p
			cnt[x]++
		}
		src, dst = dst, src
	}
	// The last pass scatters and unpacks at once.
	out := grow(sc.itmp, m)
	imask := uint64(1)<<ib - 1
	var cnt []int32
	s := sh
	if nd > 0 {
		cnt = counts[(nd-1)<<w : nd<<w]
		s = sh + (nd-1)*w
	}
	for pos, p := range src { // one container (nd == 0): any order will do
		if nd > 0 {
			x := p >> s & dmask
			pos = int(cnt[x])
			cnt[x]++
		}
		j := uint32(p & imask)
		if lookup {
			j = idx[j]
		}
		out[pos] = j
		dst[pos] = (p>>sh+minC)<<16 | (p>>ib)&0xffff
	}
	sc.vals, sc.tmp = dst, src
	sc.itmp, sc.idx, sc.counts = idx, out, counts
	return dst, out
}

// lookupIDs appends the ids of the keys that have one to vals, and their
// indexes to idx. The dictionary's LookupBatch keeps a block of probes'
// cache misses in flight together (a big dictionary misses the cache on
// nearly every probe); found and ids are scratch of len(keys).
func lookupIDs(dict *contactkey.Dictionary, keys []uint64, vals []uint64, idx []uint32, ids []uint32, found []bool) ([]uint64, []uint32) {
	dict.LookupBatch(keys, ids, found)
	for i, ok := range found[:len(keys)] {
		if ok {
			vals = append(vals, uint64(ids[i]))
			idx = append(idx, uint32(i))
		}
	}
	return vals, idx
}

// optHit is an opt-out reason of index i of a batch.
type optHit struct {
	i int
	r Reason
}

// sortOpts orders opt-out hits by index, keeping the order of one
// index's reasons (purpose order): a counting sort by 64-index word,
// then insertion within each word, where there are few.
func (sc *batchScratch) sortOpts(opts []optHit, words int) []optHit {
	if len(opts) < 2 {
		return opts
	}
	cnt := grow(sc.optCount, words+1)
	clear(cnt)
	for _, o := range opts {
		cnt[o.i>>6+1]++
	}
	for w := 1; w <= words; w++ {
		cnt[w] += cnt[w-1]
	}
	out := grow(sc.optSorted, len(opts))
	for _, o := range opts {
		w := o.i >> 6
		out[cnt[w]] = o
		cnt[w]++
	}
	for j := 1; j < len(out); j++ {
		for x := j; x > 0 && out[x-1].i > out[x].i; x-- {
			out[x-1], out[x] = out[x], out[x-1]
		}
	}
	sc.optCount, sc.optSorted = cnt, out
	return out
}

// batchScratch holds DecideBatch's buffers between calls (Policy.scratch):
// a scrub calls it for batch after batch of the same size.
type batchScratch struct {
	vals, tmp []uint64
	idx, itmp []uint32
	bits      []uint64
	opts      []optHit
	optSorted []optHit
	optCount  []int32
	counts    []int32
	ids       []uint32 // dictionary lookups
	found     []bool
	dense     [][]uint64 // decideDense's bitsets
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// failAll sets the bits of indexes 0..n-1 in b (a consent step's row of
// hit bits: every key fails until found active in the list).
func failAll(b []uint64, n int) {
	for w := range b {
		b[w] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		b[len(b)-1] = 1<<r - 1
	}
}
