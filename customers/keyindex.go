package customers

import (
	"slices"
	"unsafe"

	"github.com/hushcrm/hush/contactkey"
)

// KeyIndex is the reverse of Customer.Keys for one kind of contact key:
// which customers of a directory hold a key. A change to a suppression
// list or an opt-out names keys; the index turns them into the customers
// whose suppression must be decided again.
//
// Most keys belong to one customer, so the index is sorted runs of
// (key, customer id) pairs — 12 bytes a pair, a shared key simply has one
// pair per holder — rather than a map or a bitmap per key. An index is
// immutable: Advance makes the index of a newer view of the directory by
// adding a run with the pairs of the customers that changed, merging runs
// like a binary counter (a run is merged into the one before it once it
// holds a quarter as many pairs), so a change costs in proportion to its
// size and the total merge work stays a few copies per pair. Pairs of
// customers that later lost the key stay in older runs until a merge
// drops them; Lookup checks every hit against the indexed directory, so
// it returns exactly the current holders.
type KeyIndex struct {
	kind contactkey.Kind
	dir  *Directory
	runs []*keyRun // largest (oldest) first
}

// keyRun is a run of pairs sorted by key, then customer id.
type keyRun struct {
	keys []uint64
	ids  []uint32
}

func (r *keyRun) len() int { return len(r.keys) }

// maxRuns bounds the runs a lookup searches: past it the two newest are
// merged whatever their sizes.
const maxRuns = 12

// NewKeyIndex indexes the keys of kind of every customer of d.
func NewKeyIndex(d *Directory, kind contactkey.Kind) *KeyIndex {
	ps := make([]pair, 0, d.count)
	for id := 0; id < d.n; id++ {
		c := &d.chunks[id>>chunkBits][id&(chunkSize-1)]
		if !c.Present() {
			continue
		}
		for _, k := range c.Keys(kind) {
			ps = append(ps, pair{k, uint32(id)})
		}
	}
	x := &KeyIndex{kind: kind, dir: d}
	if len(ps) > 0 {
		x.runs = []*keyRun{runOf(ps)}
	}
	return x
}

// Kind is the kind of key the index holds.
func (x *KeyIndex) Kind() contactkey.Kind { return x.kind }

// Directory is the view the index answers for.
func (x *KeyIndex) Directory() *Directory { return x.dir }

// Advance returns the index of d, a later view of x's directory, built
// from x and the customers that changed in between; ok is false when d
// does not say which customers changed (Directory.ChangedSince), and the
// caller builds a new index.
func (x *KeyIndex) Advance(d *Directory) (next *KeyIndex, ok bool) {
	if d == x.dir {
		return x, true
	}
	changed, ok := d.ChangedSince(x.dir.version)
	if !ok {
		return nil, false
	}
	var ps []pair
	for it := changed.Iterator(); it.HasNext(); {
		id := uint32(it.Next())
		if c, ok := d.Get(id); ok {
			for _, k := range c.Keys(x.kind) {
				ps = append(ps, pair{k, id})
			}
		}
	}
	next = &KeyIndex{kind: x.kind, dir: d, runs: slices.Clone(x.runs)}
	if len(ps) == 0 {
		return next, true
	}
	next.runs = append(next.runs, runOf(ps))
	for n := len(next.runs); n >= 2 && (next.runs[n-1].len()*4 >= next.runs[n-2].len() || n > maxRuns); n = len(next.runs) {
		next.runs[n-2] = next.merge(next.runs[n-2], next.runs[n-1])
		next.runs = next.runs[:n-1]
	}
	return next, true
}

// holds reports whether customer id of the index's directory holds key.
func (x *KeyIndex) holds(id uint32, key uint64) bool {
	c, ok := x.dir.Get(id)
	return ok && slices.Contains(c.Keys(x.kind), key)
}

// merge merges two runs into a new one, leaving out duplicates and the
// pairs of customers that no longer hold the key.
func (x *KeyIndex) merge(a, b *keyRun) *keyRun {
	out := &keyRun{keys: make([]uint64, 0, a.len()+b.len()), ids: make([]uint32, 0, a.len()+b.len())}
	emit := func(k uint64, id uint32) {
		if n := len(out.keys); n > 0 && out.keys[n-1] == k && out.ids[n-1] == id {
			return
		}
		if x.holds(id, k) {
			out.keys = append(out.keys, k)
			out.ids = append(out.ids, id)
		}
	}
	i, j := 0, 0
	for i < a.len() || j < b.len() {
		if j == b.len() || i < a.len() && (a.keys[i] < b.keys[j] || a.keys[i] == b.keys[j] && a.ids[i] <= b.ids[j]) {
			emit(a.keys[i], a.ids[i])
			i++
		} else {
			emit(b.keys[j], b.ids[j])
			j++
		}
	}
	out.keys, out.ids = slices.Clip(out.keys), slices.Clip(out.ids)
	return out
}

// Lookup calls fn for every customer of the directory that holds key (a
// customer may come more than once).
func (x *KeyIndex) Lookup(key uint64, fn func(id uint32)) {
	for _, r := range x.runs {
		i, _ := slices.BinarySearch(r.keys, key)
		for ; i < len(r.keys) && r.keys[i] == key; i++ {
			if x.holds(r.ids[i], key) {
				fn(r.ids[i])
			}
		}
	}
}

// Pairs is the number of (key, customer) pairs the runs hold, stale
// ones included.
func (x *KeyIndex) Pairs() int {
	n := 0
	for _, r := range x.runs {
		n += r.len()
	}
	return n
}

// MemoryBytes is what the runs hold (12 bytes a pair).
func (x *KeyIndex) MemoryBytes() uint64 {
	var n uint64
	for _, r := range x.runs {
		n += uint64(cap(r.keys))*8 + uint64(cap(r.ids))*4 + uint64(unsafe.Sizeof(*r))
	}
	return n
}

type pair struct {
	key uint64
	id  uint32
}

// runOf sorts pairs given in ascending id order (by key, then id) into a
// run, without duplicates.
func runOf(ps []pair) *keyRun {
	ps = radixSortPairs(ps)
	r := &keyRun{keys: make([]uint64, 0, len(ps)), ids: make([]uint32, 0, len(ps))}
	for _, p := range ps {
		if n := len(r.keys); n > 0 && r.keys[n-1] == p.key && r.ids[n-1] == p.id {
			continue
		}
		r.keys = append(r.keys, p.key)
		r.ids = append(r.ids, p.id)
	}
	r.keys, r.ids = slices.Clip(r.keys), slices.Clip(r.ids)
	return r
}

// radixSortPairs sorts pairs given in ascending id order by key, then
// id: an LSD radix sort on the key, 16 bits a pass (stable, so equal
// keys keep their id order; a pass whose digit is the same for every
// pair is skipped). A directory of 10M customers sorts in a fraction of
// what a comparison sort takes.
func radixSortPairs(ps []pair) []pair {
	if len(ps) < 256 {
		slices.SortFunc(ps, func(a, b pair) int {
			if a.key != b.key {
				if a.key < b.key {
					return -1
				}
				return 1
			}
			return int(a.id) - int(b.id)
		})
		return ps
	}
	tmp := make([]pair, len(ps))
	var count [1 << 16]int
	digit := func(p pair, pass int) int { return int(p.key>>(16*pass)) & 0xffff }
	for pass := range 4 {
		clear(count[:])
		for _, p := range ps {
			count[digit(p, pass)]++
		}
		if count[digit(ps[0], pass)] == len(ps) {
			continue
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, p := range ps {
			d := digit(p, pass)
			tmp[count[d]] = p
			count[d]++
		}
		ps, tmp = tmp, ps
	}
	return ps
}
