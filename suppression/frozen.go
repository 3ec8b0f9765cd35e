package suppression

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/hushcrm/hush/internal/prefetch"
)

// frozen is a published set: its bitmap in the roaring portable
// serialisation (roaring64's format for phones, one 32-bit bitmap for
// dense ids), with its containers in their smallest form, read in place.
//
// Why bytes and not a roaring.Bitmap: probes read the containers in
// place — a gallop over a dense index of container keys, one directory
// word, then one cache line of the container — three to six times faster
// than the roaring API allows (its iterators step container by container
// at ~17 ns a step, its Contains searches from scratch every time). The
// bytes are also exactly what snapshots write and digests hash, a
// snapshot loads by reading them, and with the index (10 bytes a
// container) they take less memory than the roaring structures. Set
// operations run on roaring views of the bytes (view), built without
// copying the containers.
type frozen struct {
	data    []byte
	buckets []fbucket // ascending hi; exactly one (hi 0) for dense ids
	card    uint64
	ncont   uint64
	phone   bool
	cum     []uint64 // rank of each container's first value (withRanks); nil without
}

// fbucket is one 32-bit roaring bitmap inside data: the values whose high
// 32 bits are hi.
type fbucket struct {
	first int // index of its first container among all of f's
	hi    uint32
	n     int // containers
	start int // offset in data of the bitmap's cookie
	// dir has one word per container: key u16 | cardinality-1 u16 |
	// run flag (1 bit) | offset from start (31 bits: a 32-bit bitmap
	// takes at most 65536 containers of 8 KiB). The serialisation keeps
	// cardinalities, offsets and run flags in three places; one word
	// brings all three in one miss.
	dir []uint64
	// keys are the containers' keys again, densely (a search reads a
	// quarter of the lines dir would take), and jump[h] is the first
	// container whose key's high byte is >= h: a search starts within
	// 1/256 of the bucket.
	keys []uint16
	jump *[257]int32
}

// Portable format constants (RoaringFormatSpec).
const (
	cookieNoRun       = 12346
	cookieRun         = 12347
	noOffsetThreshold = 4
	arrayMaxCard      = 4096
	bitmapBytes       = 8192
)

var errRoaringFormat = errors.New("bad roaring serialisation")

const (
	dirOffBits = 31
	dirRun     = 1 << dirOffBits
)

func (b *fbucket) key(i int) uint16 { return b.keys[i] }
func (b *fbucket) card(i int) int   { return int(uint16(b.dir[i]>>32)) + 1 }
func (b *fbucket) off(i int) int    { return b.start + int(b.dir[i]&(dirRun-1)) }
func (b *fbucket) isRun(i int) bool { return b.dir[i]&dirRun != 0 }

// search returns the index of the container with key k, or -1.
func (b *fbucket) search(k uint16) int {
	if b.n == 0 {
		return -1
	}
	keys := b.keys
	lo, hi := int(b.jump[k>>8]), int(b.jump[k>>8+1])
	end := hi
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m] < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < end && keys[lo] == k {
		return lo
	}
	return -1
}

// find returns the first container index >= from whose key is >= k, or
// b.n: a gallop, as successive keys of a sorted batch land close
// together.
func (b *fbucket) find(k uint16, from int) int {
	keys := b.keys
	if from >= len(keys) || keys[from] >= k {
		return from
	}
	lo, step, hi := from, 1, from+1
	for hi < len(keys) && keys[hi] < k {
		lo = hi
		step <<= 1
		hi = lo + step
	}
	hi = min(hi, len(keys))
	// keys[lo] < k, and keys[hi] >= k or hi == len(keys).
	for lo+1 < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m] < k {
			lo = m
		} else {
			hi = m
		}
	}
	return hi
}

// has reports whether container i holds low.
func (b *fbucket) has(data []byte, i int, low uint16) bool {
	c := b.container(data, i)
	return c.has(low)
}

// arrayHas searches a sorted array container of card entries. Entries
// are spread about evenly over the container's 65536 values, so low, if
// present, almost always sits in the window of 16 entries around where it
// would be were they exactly even: one or two cache lines, compared four
// 16-bit lanes at a time, with no branch on the data but the bracket
// check. A binary search handles what falls outside the window.
func arrayHas(a []byte, card int, low uint16) bool {
	const win = 16
	if card < win {
		return arraySearch(a, 0, card, low)
	}
	g := int(uint32(low)*uint32(card)>>16) - win/2
	g = max(0, min(g, card-win))
	w := a[2*g : 2*g+2*win]
	if low < binary.LittleEndian.Uint16(w) {
		lo, hi := gallopDown(a, g, low)
		return arraySearch(a, lo, hi, low)
	}
	if low > binary.LittleEndian.Uint16(w[2*win-2:]) {
		lo, hi := gallopUp(a, card, g+win, low)
		return arraySearch(a, lo, hi, low)
	}
	const ones, highs = 0x0001000100010001, 0x8000800080008000
	b := ones * uint64(low)
	x0 := binary.LittleEndian.Uint64(w) ^ b
	x1 := binary.LittleEndian.Uint64(w[8:]) ^ b
	x2 := binary.LittleEndian.Uint64(w[16:]) ^ b
	x3 := binary.LittleEndian.Uint64(w[24:]) ^ b
	// (x - 1) &^ x has a lane's high bit set where some lane is zero,
	// that is where an entry equals low.
	z := (x0-ones)&^x0 | (x1-ones)&^x1 | (x2-ones)&^x2 | (x3-ones)&^x3
	return z&highs != 0
}

// gallopDown brackets low, known to be below entry hi of an array
// container, in [lo, hi): steps of 16, 32, 64... down from hi. The
// entries of a few hundred random values stray from their even spread by
// about the square root of their number, so low is usually one step off
// the window, in a line next to it, where a binary search over all
// entries below the window would touch several lines.
func gallopDown(a []byte, hi int, low uint16) (int, int) {
	step := 16
	lo := hi - step
	for lo > 0 && low < binary.LittleEndian.Uint16(a[2*lo:]) {
		hi = lo
		step *= 2
		lo = hi - step
	}
	return max(lo, 0), hi
}

// gallopUp brackets low, known to be above entry lo-1 of an array
// container of card entries, in [lo, hi).
func gallopUp(a []byte, card, lo int, low uint16) (int, int) {
	step := 16
	hi := lo + step
	for hi < card && low > binary.LittleEndian.Uint16(a[2*(hi-1):]) {
		lo = hi
		step *= 2
		hi = lo + step
	}
	return lo, min(hi, card)
}

// arraySearch binary-searches entries lo..hi-1 of an array container.
func arraySearch(a []byte, lo, hi int, low uint16) bool {
	end := hi
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if binary.LittleEndian.Uint16(a[2*m:]) < low {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < end && binary.LittleEndian.Uint16(a[2*lo:]) == low
}

// runsHave searches the nr runs of a run container: (start, length-1)
// pairs.
func runsHave(r []byte, nr int, low uint16) bool {
	lo, hi := 0, nr
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if binary.LittleEndian.Uint16(r[4*m:]) <= low {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return false
	}
	start := binary.LittleEndian.Uint16(r[4*(lo-1):])
	length := binary.LittleEndian.Uint16(r[4*(lo-1)+2:])
	return uint32(low) <= uint32(start)+uint32(length)
}

// pos returns the position of low, known to be present, among the
// container's values.
func (c *container) pos(low uint16) int {
	switch c.kind {
	case arrayKind:
		lo, hi := 0, c.card
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if binary.LittleEndian.Uint16(c.bytes[2*m:]) < low {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo
	case bitmapKind:
		w := int(low >> 6)
		n := 0
		for i := 0; i < w; i++ {
			n += bits.OnesCount64(binary.LittleEndian.Uint64(c.bytes[8*i:]))
		}
		return n + bits.OnesCount64(binary.LittleEndian.Uint64(c.bytes[8*w:])&(1<<(low&63)-1))
	}
	n := 0
	for i := 0; i < c.card; i++ {
		start := binary.LittleEndian.Uint16(c.bytes[4*i:])
		length := int(binary.LittleEndian.Uint16(c.bytes[4*i+2:]))
		if low <= start+uint16(length) {
			return n + int(low-start)
		}
		n += length + 1
	}
	return n
}

// appendValues appends the container's values, ascending.
func (c *container) appendValues(dst []uint16) []uint16 {
	switch c.kind {
	case arrayKind:
		for i := range c.card {
			dst = append(dst, binary.LittleEndian.Uint16(c.bytes[2*i:]))
		}
	case bitmapKind:
		for i := range bitmapBytes / 8 {
			w := binary.LittleEndian.Uint64(c.bytes[8*i:])
			for w != 0 {
				dst = append(dst, uint16(64*i+bits.TrailingZeros64(w)))
				w &= w - 1
			}
		}
	case runKind:
		for i := range c.card {
			start := int(binary.LittleEndian.Uint16(c.bytes[4*i:]))
			length := int(binary.LittleEndian.Uint16(c.bytes[4*i+2:]))
			for x := start; x <= start+length; x++ {
				dst = append(dst, uint16(x))
			}
		}
	}
	return dst
}

// withRanks indexes the rank of every container's first value, for
// probeRank and lookupRank: 8 bytes a container.
func (f *frozen) withRanks() {
	f.cum = make([]uint64, 0, f.ncont)
	var n uint64
	for bi := range f.buckets {
		b := &f.buckets[bi]
		b.first = len(f.cum)
		for i := range b.n {
			f.cum = append(f.cum, n)
			n += uint64(b.card(i))
		}
	}
}

// lookupRank returns the rank of v in f, if v is in f. f must have its
// rank index.
func (f *frozen) lookupRank(v uint64) (uint64, bool) {
	hi := uint32(v >> 32)
	for i := range f.buckets {
		b := &f.buckets[i]
		if b.hi > hi {
			break
		}
		if b.hi == hi {
			ci := b.search(uint16(v >> 16))
			if ci < 0 {
				return 0, false
			}
			c := b.container(f.data, ci)
			if !c.has(uint16(v)) {
				return 0, false
			}
			return f.cum[b.first+ci] + uint64(c.pos(uint16(v))), true
		}
	}
	return 0, false
}

// contains reports whether v is in f.
func (f *frozen) contains(v uint64) bool {
	hi := uint32(v >> 32)
	for i := range f.buckets {
		b := &f.buckets[i]
		if b.hi == hi {
			c := b.search(uint16(v >> 16))
			return c >= 0 && b.has(f.data, c, uint16(v))
		}
		if b.hi > hi {
			break
		}
	}
	return false
}

// probe calls fn(k) for every u[k] in f, in ascending k. u must be in
// container order (v>>16 ascending; any order within a container, repeats
// allowed), as batchScratch.order gives it. One pass, driven by whichever
// side is sparser: the keys, galloping through f's containers alongside,
// or, when f has several times fewer containers than u has keys, f's
// containers, galloping through u. Either way the cost is about one
// container lookup per key or per container, however large f is.
func (f *frozen) probe(u []uint64, fn func(k int)) {
	f.walk(u, false, func(k int, _ uint64) { fn(k) })
}

// probeRank is probe that also passes the rank of u[k] in f (its
// position among f's values), for a rank-indexed side table (unionSet).
// f must have its rank index (withRanks).
func (f *frozen) probeRank(u []uint64, fn func(k int, rank uint64)) {
	f.walk(u, true, fn)
}

func (f *frozen) walk(u []uint64, rank bool, fn func(k int, rank uint64)) {
	if len(u) == 0 || f.ncont == 0 {
		return
	}
	if 4*f.ncont < uint64(len(u)) {
		f.walkByContainer(u, rank, fn)
		return
	}
	// Blocks go through two stages a block apart: block i's containers
	// are located and the lines its searches start on prefetched, then
	// block i-1's keys are searched, their lines now arrived (or on the
	// way) — the misses of a block are in flight while the CPU searches
	// the one before.
	w := walker{f: f, b: &f.buckets[0], cur: ^uint64(0), rank: rank}
	var prev []uint64 // the located block waiting for its search
	prevBase, cur := 0, 0
	for base := 0; base < len(u); base += walkBlock {
		blk := u[base:min(base+walkBlock, len(u))]
		more := w.locate(blk, w.cs[cur][:len(blk)])
		if prev != nil {
			w.search(prev, prevBase, w.cs[1-cur][:len(prev)], fn)
		}
		prev, prevBase, cur = blk, base, 1-cur
		if !more {
			break
		}
	}
	w.search(prev, prevBase, w.cs[1-cur][:len(prev)], fn)
}

// walkBlock is how many keys walk takes through each stage at once.
const walkBlock = 32

// walker is the state of walk between blocks: the bucket and container
// index it got to, the container of the last key, and the containers of
// the two blocks in flight.
type walker struct {
	f     *frozen
	bi    int
	ci    int
	b     *fbucket
	cur   uint64 // the container (v>>16) of the previous key
	c     container
	rank  bool
	cs    [2][walkBlock]container
	addrs [2 * walkBlock]uintptr
}

// locate finds the container of every key of u (cs[k]; kind absent
// when f has none), galloping on from where the previous key's was (the
// dense key index is mostly cached), and prefetches the lines each
// search will start on: with a set of 100 MB, that line is a miss for
// nearly every key. It returns false when no later key can be in f.
func (w *walker) locate(u []uint64, cs []container) bool {
	f, bs, data := w.f, w.f.buckets, w.f.data
	more := true
	na := 0
	for k, v := range u {
		if v>>16 != w.cur {
			w.cur = v >> 16
			w.c.kind = absent
			if !more {
				cs[k].kind = absent
				continue
			}
			b := w.b
			if hi := uint32(v >> 32); hi != b.hi {
				if hi < b.hi {
					cs[k].kind = absent
					continue
				}
				for w.bi < len(bs) && bs[w.bi].hi < hi {
					w.bi++
				}
				if w.bi == len(bs) {
					more = false
					cs[k].kind = absent
					continue
				}
				w.b, w.ci = &bs[w.bi], 0
				b = w.b
				if b.hi != hi {
					cs[k].kind = absent
					continue
				}
			}
			key := uint16(v >> 16)
			if w.ci = b.find(key, w.ci); w.ci < b.n && b.key(w.ci) == key {
				w.c = b.container(data, w.ci)
				if w.rank {
					w.c.rank = f.cum[b.first+w.ci]
				}
			}
		}
		cs[k] = w.c
		na = cs[k].lines(uint16(v), w.addrs[:], na)
	}
	prefetch.Lines(w.addrs[:na])
	return more
}

// search calls fn for the keys of u (u[0] is key base of the batch)
// found in their containers cs.
func (w *walker) search(u []uint64, base int, cs []container, fn func(k int, rank uint64)) {
	for k, v := range u {
		c := &cs[k]
		if c.kind == absent {
			continue
		}
		if w.rank {
			if p, ok := c.find(uint16(v)); ok {
				fn(base+k, c.rank+uint64(p))
			}
		} else if c.has(uint16(v)) {
			fn(base+k, 0)
		}
	}
}

// lines puts at addrs[n:] the addresses of the lines of c where a search
// for low starts (two for an array container's window, which may
// straddle a line; none for absent) and returns the new count. addrs
// has room for two.
func (c *container) lines(low uint16, addrs []uintptr, n int) int {
	switch c.kind {
	case arrayKind:
		const win = 16
		g := 0
		if c.card > win {
			g = int(uint32(low)*uint32(c.card)>>16) - win/2
			g = max(0, min(g, c.card-win))
		}
		p := uintptr(unsafe.Pointer(unsafe.SliceData(c.bytes))) + uintptr(2*g)
		addrs[n], addrs[n+1] = p, p+2*win-1
		return n + 2
	case bitmapKind:
		addrs[n] = uintptr(unsafe.Pointer(&c.bytes[8*int(low>>6)]))
		return n + 1
	case runKind:
		if len(c.bytes) > 0 {
			addrs[n] = uintptr(unsafe.Pointer(&c.bytes[2*len(c.bytes)/4&^3]))
			return n + 1
		}
	}
	return n
}

// find is has and, when low is there, its position among c's values.
func (c *container) find(low uint16) (int, bool) {
	if c.kind == arrayKind {
		return arrayFind(c.bytes, c.card, low)
	}
	if !c.has(low) {
		return 0, false
	}
	return c.pos(low), true
}

// arrayFind is arrayHas that also returns the position of low: it
// searches the same window first.
func arrayFind(a []byte, card int, low uint16) (int, bool) {
	const win = 16
	lo, hi := 0, card
	if card >= win {
		g := int(uint32(low)*uint32(card)>>16) - win/2
		g = max(0, min(g, card-win))
		switch {
		case low < binary.LittleEndian.Uint16(a[2*g:]):
			lo, hi = gallopDown(a, g, low)
		case low > binary.LittleEndian.Uint16(a[2*(g+win-1):]):
			lo, hi = gallopUp(a, card, g+win, low)
		default:
			lo, hi = g, g+win
		}
	}
	end := hi
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if binary.LittleEndian.Uint16(a[2*m:]) < low {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < end && binary.LittleEndian.Uint16(a[2*lo:]) == low
}

// walkByContainer is walk driven by f's containers.
func (f *frozen) walkByContainer(u []uint64, rank bool, fn func(k int, rank uint64)) {
	data := f.data
	k := 0
	for bi := range f.buckets {
		b := &f.buckets[bi]
		base := uint64(b.hi) << 16
		for ci := 0; ci < b.n; ci++ {
			key := base | uint64(b.key(ci))
			// Skip to the first key of this container or later.
			if u[k]>>16 < key {
				k += gallopContainer(u[k:], key)
				if k == len(u) {
					return
				}
			}
			if u[k]>>16 != key {
				continue
			}
			c := b.container(data, ci)
			if rank {
				c.rank = f.cum[b.first+ci]
			}
			for ; k < len(u) && u[k]>>16 == key; k++ {
				if c.has(uint16(u[k])) {
					var r uint64
					if rank {
						r = c.rank + uint64(c.pos(uint16(u[k])))
					}
					fn(k, r)
				}
			}
			if k == len(u) {
				return
			}
		}
	}
}

// gallopContainer returns the index of the first element of u whose
// container (v>>16) is >= key, or len(u); u[0]>>16 < key.
func gallopContainer(u []uint64, key uint64) int {
	lo, step, hi := 0, 1, 1
	for hi < len(u) && u[hi]>>16 < key {
		lo = hi
		step <<= 1
		hi = lo + step
	}
	hi = min(hi, len(u))
	for lo+1 < hi {
		m := int(uint(lo+hi) >> 1)
		if u[m]>>16 < key {
			lo = m
		} else {
			hi = m
		}
	}
	return hi
}

// container is one container's bytes, located once for all the keys of
// a batch that fall in it.
type container struct {
	kind  uint8
	card  int // entries; runs for a run container
	bytes []byte
	rank  uint64 // of the container's first value in the set (walk with ranks)
}

const (
	absent uint8 = iota
	arrayKind
	bitmapKind
	runKind
)

func (b *fbucket) container(data []byte, i int) container {
	d := b.dir[i]
	off := b.start + int(d&(dirRun-1))
	if d&dirRun != 0 {
		nr := int(binary.LittleEndian.Uint16(data[off:]))
		return container{kind: runKind, card: nr, bytes: data[off+2 : off+2+4*nr]}
	}
	card := int(uint16(d>>32)) + 1
	if card > arrayMaxCard {
		return container{kind: bitmapKind, card: card, bytes: data[off : off+bitmapBytes]}
	}
	return container{kind: arrayKind, card: card, bytes: data[off : off+2*card]}
}

func (c *container) has(low uint16) bool {
	switch c.kind {
	case arrayKind:
		return arrayHas(c.bytes, c.card, low)
	case bitmapKind:
		return binary.LittleEndian.Uint64(c.bytes[8*int(low>>6):])&(1<<(low&63)) != 0
	case runKind:
		return runsHave(c.bytes, c.card, low)
	}
	return false
}

// view returns a roaring bitmap over f's bytes, for set operations. Its
// containers are the bytes themselves, marked copy-on-write: it must not
// be modified in place (the functional operations, And, Or, AndNot,
// FastOr, and Clone followed by changes, are safe).
func (f *frozen) view() set {
	var err error
	var s set
	if f.phone {
		s.b64 = roaring64.New()
		_, err = s.b64.FromUnsafeBytes(f.data)
	} else {
		s.b32 = roaring.New()
		_, err = s.b32.FromUnsafeBytes(f.data)
	}
	if err != nil {
		// The bytes were written by roaring or validated on load.
		panic(fmt.Sprintf("suppression: frozen set does not parse: %v", err))
	}
	return s
}

// freeze publishes s: optimised (canonical), serialised, parsed. s must
// not be used afterwards.
func freeze(s set) *frozen {
	s.optimize()
	w := appendWriter{b: make([]byte, 0, s.serializedSize())}
	if _, err := s.writeTo(&w); err != nil {
		panic(fmt.Sprintf("suppression: serialising a bitmap: %v", err)) // appendWriter never fails
	}
	f, err := parseFrozen(w.b, s.phone())
	if err != nil {
		panic(fmt.Sprintf("suppression: roaring wrote what it cannot read: %v", err))
	}
	f.card = s.card()
	return f
}

func emptyFrozen(phone bool) *frozen { return freeze(newSet(phone)) }

type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// loadFrozen reads untrusted bytes (a snapshot's): the structure is
// checked here, container contents by roaring's Validate, so that the
// in-place probes and roaring agree on every byte.
func loadFrozen(data []byte, phone bool) (f *frozen, err error) {
	f, err = parseFrozen(data, phone)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%w: %v", errRoaringFormat, r)
		}
	}()
	v := f.view()
	if phone {
		err = v.b64.Validate()
	} else {
		err = v.b32.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errRoaringFormat, err)
	}
	f.card = v.card()
	return f, nil
}

// parseFrozen indexes the buckets of data, checking that every length
// and offset stays inside it and that the offsets agree with the
// containers' sizes (roaring reads containers in sequence and ignores the
// offsets; the probes use them).
func parseFrozen(data []byte, phone bool) (*frozen, error) {
	f := &frozen{data: data, phone: phone}
	if !phone {
		b, end, err := parseBucket(data, 0)
		if err != nil {
			return nil, err
		}
		if end != len(data) {
			return nil, fmt.Errorf("%w: %d bytes after the bitmap", errRoaringFormat, len(data)-end)
		}
		f.buckets = []fbucket{b}
		f.ncont = uint64(b.n)
		return f, nil
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: %d bytes", errRoaringFormat, len(data))
	}
	nb := binary.LittleEndian.Uint64(data)
	if nb > uint64(len(data)-8)/12 {
		return nil, fmt.Errorf("%w: %d buckets in %d bytes", errRoaringFormat, nb, len(data))
	}
	f.buckets = make([]fbucket, 0, nb)
	p := 8
	for i := range nb {
		if len(data)-p < 4 {
			return nil, fmt.Errorf("%w: bucket %d: truncated key", errRoaringFormat, i)
		}
		hi := binary.LittleEndian.Uint32(data[p:])
		if i > 0 && hi <= f.buckets[i-1].hi {
			return nil, fmt.Errorf("%w: bucket keys out of order", errRoaringFormat)
		}
		b, end, err := parseBucket(data, p+4)
		if err != nil {
			return nil, fmt.Errorf("bucket %d: %w", i, err)
		}
		b.hi = hi
		f.buckets = append(f.buckets, b)
		f.ncont += uint64(b.n)
		p = end
	}
	if p != len(data) {
		return nil, fmt.Errorf("%w: %d bytes after the bitmap", errRoaringFormat, len(data)-p)
	}
	return f, nil
}

// parseBucket indexes the 32-bit bitmap at data[start:] and returns where
// it ends.
func parseBucket(data []byte, start int) (fbucket, int, error) {
	b := fbucket{start: start}
	p := start
	if len(data)-p < 4 {
		return b, 0, fmt.Errorf("%w: truncated cookie", errRoaringFormat)
	}
	cookie := binary.LittleEndian.Uint32(data[p:])
	p += 4
	var runs []byte // is-run flags; nil when no container is a run
	switch {
	case cookie&0xffff == cookieRun:
		b.n = int(cookie>>16) + 1
		rl := (b.n + 7) / 8
		if len(data)-p < rl {
			return b, 0, fmt.Errorf("%w: truncated run flags", errRoaringFormat)
		}
		runs = data[p : p+rl]
		p += rl
	case cookie == cookieNoRun:
		if len(data)-p < 4 {
			return b, 0, fmt.Errorf("%w: truncated size", errRoaringFormat)
		}
		n := binary.LittleEndian.Uint32(data[p:])
		p += 4
		if n > 1<<16 {
			return b, 0, fmt.Errorf("%w: %d containers", errRoaringFormat, n)
		}
		b.n = int(n)
	default:
		return b, 0, fmt.Errorf("%w: cookie %#x", errRoaringFormat, cookie)
	}
	if len(data)-p < 4*b.n {
		return b, 0, fmt.Errorf("%w: truncated header", errRoaringFormat)
	}
	hdr := data[p : p+4*b.n] // key u16, cardinality-1 u16
	p += 4 * b.n
	var offs []byte // u32 offsets from start, when the format has them
	if runs == nil || b.n >= noOffsetThreshold {
		if len(data)-p < 4*b.n {
			return b, 0, fmt.Errorf("%w: truncated offsets", errRoaringFormat)
		}
		offs = data[p : p+4*b.n]
		p += 4 * b.n
	}
	b.dir = make([]uint64, b.n)
	b.keys = make([]uint16, b.n)
	b.jump = new([257]int32)
	for i := range b.n {
		key := binary.LittleEndian.Uint16(hdr[4*i:])
		b.keys[i] = key
		if i > 0 && key <= b.key(i-1) {
			return b, 0, fmt.Errorf("%w: container keys out of order", errRoaringFormat)
		}
		if offs != nil {
			if o := int(binary.LittleEndian.Uint32(offs[4*i:])); o != p-start {
				return b, 0, fmt.Errorf("%w: container %d at %d, its offset says %d", errRoaringFormat, i, p-start, o)
			}
		}
		if p-start >= dirRun {
			return b, 0, fmt.Errorf("%w: bitmap of more than %d bytes", errRoaringFormat, dirRun)
		}
		cardm1 := binary.LittleEndian.Uint16(hdr[4*i+2:])
		d := uint64(key)<<48 | uint64(cardm1)<<32 | uint64(p-start)
		var size int
		switch {
		case runs != nil && runs[i>>3]&(1<<(i&7)) != 0:
			if len(data)-p < 2 {
				return b, 0, fmt.Errorf("%w: truncated run container", errRoaringFormat)
			}
			size = 2 + 4*int(binary.LittleEndian.Uint16(data[p:]))
			d |= dirRun
		case int(cardm1)+1 > arrayMaxCard:
			size = bitmapBytes
		default:
			size = 2 * (int(cardm1) + 1)
		}
		if len(data)-p < size {
			return b, 0, fmt.Errorf("%w: truncated container %d", errRoaringFormat, i)
		}
		b.dir[i] = d
		p += size
	}
	h := 0
	for i, k := range b.keys {
		for ; h <= int(k>>8); h++ {
			b.jump[h] = int32(i)
		}
	}
	for ; h <= 256; h++ {
		b.jump[h] = int32(b.n)
	}
	return b, p, nil
}

// sizeBytes is the memory f holds.
func (f *frozen) sizeBytes() uint64 {
	n := uint64(cap(f.data)) + uint64(cap(f.buckets))*uint64(fbucketSize) + uint64(cap(f.cum))*8
	for i := range f.buckets {
		n += uint64(cap(f.buckets[i].dir))*8 + uint64(cap(f.buckets[i].keys))*2 + 257*4
	}
	return n
}

const fbucketSize = unsafe.Sizeof(fbucket{})

// maximum returns the largest value of f, if f is not empty.
func (f *frozen) maximum() (uint64, bool) {
	for i := len(f.buckets) - 1; i >= 0; i-- {
		b := &f.buckets[i]
		if b.n == 0 {
			continue
		}
		c := b.n - 1
		off := b.off(c)
		card := b.card(c)
		var low uint16
		switch {
		case b.isRun(c):
			nr := int(binary.LittleEndian.Uint16(f.data[off:]))
			if nr == 0 {
				continue
			}
			r := f.data[off+2+4*(nr-1):]
			low = binary.LittleEndian.Uint16(r) + binary.LittleEndian.Uint16(r[2:])
		case card > arrayMaxCard:
			w := f.data[off : off+bitmapBytes]
			for j := bitmapBytes/8 - 1; j >= 0; j-- {
				if x := binary.LittleEndian.Uint64(w[8*j:]); x != 0 {
					low = uint16(64*j + 63 - bits.LeadingZeros64(x))
					break
				}
			}
		default:
			low = binary.LittleEndian.Uint16(f.data[off+2*(card-1):])
		}
		return uint64(b.hi)<<32 | uint64(b.key(c))<<16 | uint64(low), true
	}
	return 0, false
}
