package contactkey

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/hushcrm/hush/internal/prefetch"
)

// Dictionary gives hashed keys (customers, e-mails, addresses) dense 32-bit
// ids, so they fit 32-bit roaring bitmaps: the first value assigned gets 0,
// the next new one 1, and so on. Ids are never reused or renumbered, so a
// bitmap written yesterday still means the same keys today.
//
// It is an open-addressing hash table (linear probing) of 4-byte ids plus
// a 1-byte tag per slot, beside the 8-byte values in id order: about 19
// bytes per entry at 30 million entries, half of what a Go map needs.
// Probes read the tags first, so a lookup of an absent value rarely
// touches the values.
//
// Beside the table, a filter (a blocked Bloom filter, two bits per value
// in one 64-bit word, 4 bits per slot: half a byte) says which values are
// surely absent. LookupBatch reads it first: a scrub's keys are mostly in
// no list, and a filter a tenth of the table's size mostly stays in the
// cache, where the table's tag and id are two misses.
//
// A Dictionary is not safe for concurrent use; the engine serialises
// access.
type Dictionary struct {
	values []uint64 // id → value
	slots  []uint32 // slot → id, meaningful where tags[slot] != 0
	tags   []uint8  // slot → 0 when empty, else 0x80 | 7 bits of the hash
	shift  uint8    // 64 - log2(len(slots))
	grow   int      // grow the table before the entry count exceeds this
	// filter has len(slots)/16 words (at least one): every value's two
	// bits (filterBits) are set in its word, filter[h>>fshift].
	filter []uint64
	fshift uint8
	// shared: slots, tags and filter are not the dictionary's own (they
	// lie in a read-only mapped snapshot, DictionaryFromBytes); the first
	// insert copies them.
	shared bool
}

// filterBits returns the word and the two bits of hash h in a filter
// indexed by h>>fshift. The bits come from the hash's low half; the tag
// uses the lowest 7 bits, the slot the top ones: the three are
// independent enough for the filter's purpose (any filter hit is checked
// in the table).
func filterBits(h uint64, fshift uint8) (uint64, uint64) {
	return h >> fshift, 1<<(h>>8&63) | 1<<(h>>14&63)
}

// initFilter sizes an empty filter for a table of n slots.
func (d *Dictionary) initFilter(n int) {
	words := max(n/16, 1)
	d.filter = make([]uint64, words)
	d.fshift = uint8(64 - log2(words)) // 64 for one word: h>>64 is 0
}

func (d *Dictionary) addFilter(h uint64) {
	w, m := filterBits(h, d.fshift)
	d.filter[w] |= m
}

// MaxDictionaryLen is the most entries a Dictionary holds (ids are
// uint32).
const MaxDictionaryLen = math.MaxUint32

const (
	minDictSlots = 16
	// Grow at 3/4 full: probe runs stay short, and the table holds 1.33
	// to 2.67 slots of 5 bytes per entry.
	dictMaxLoadNum, dictMaxLoadDen = 3, 4
)

// NewDictionary returns an empty Dictionary.
func NewDictionary() *Dictionary {
	d := &Dictionary{}
	d.resize(minDictSlots)
	return d
}

// mix is the splitmix64 finaliser: values may be sequential (raw ids fed
// in for tests, or a weak upstream hash), and linear probing needs every
// bit of the input to reach the slot index and the tag.
func mix(v uint64) uint64 {
	v ^= v >> 30
	v *= 0xbf58476d1ce4e5b9
	v ^= v >> 27
	v *= 0x94d049bb133111eb
	v ^= v >> 31
	return v
}

func (d *Dictionary) resize(n int) {
	d.slots = make([]uint32, n)
	d.tags = make([]uint8, n)
	d.shared = false
	d.shift = uint8(64 - log2(n))
	d.grow = n / dictMaxLoadDen * dictMaxLoadNum
	d.initFilter(n)
	mask := uint64(n - 1)
	for id, v := range d.values {
		h := mix(v)
		i := h >> d.shift
		for d.tags[i] != 0 {
			i = (i + 1) & mask
		}
		d.tags[i] = 0x80 | uint8(h&0x7f)
		d.slots[i] = uint32(id)
		d.addFilter(h)
	}
}

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	return l
}

// Len is the number of values (so also the next id Assign hands out).
func (d *Dictionary) Len() int { return len(d.values) }

// Value returns the value that has id. It panics if id >= Len(), like an
// index out of range.
func (d *Dictionary) Value(id uint32) uint64 { return d.values[id] }

// Lookup returns the id of v, if v has one. It does not allocate.
func (d *Dictionary) Lookup(v uint64) (uint32, bool) {
	h := mix(v)
	tag := 0x80 | uint8(h&0x7f)
	mask := uint64(len(d.tags) - 1)
	for i := h >> d.shift; ; i = (i + 1) & mask {
		t := d.tags[i]
		if t == 0 {
			return 0, false
		}
		if t == tag {
			if id := d.slots[i]; d.values[id] == v {
				return id, true
			}
		}
	}
}

// LookupBatch looks up every vs[k] as Lookup would, setting ids[k] and
// found[k] (ids[k] is 0 where found[k] is false). ids and found must be at
// least as long as vs. It does not allocate.
//
// A Lookup in a big table is a chain of cache misses (the home slot's tag
// and id, then the value the id points to) that a loop of Lookups mostly
// waits out one probe at a time: about 300 ns per hit at 4M entries.
// LookupBatch takes a block of probes through each stage in turn: every
// home slot's tag and id, then every candidate's value. The loads that
// miss are issued in loops where no branch waits for them, so the misses
// of a whole block are in flight together (about 40 ns per probe at 4M
// entries, 60 ns at 30M, on the 2-core test machine).
//
// The filter's words of a block are prefetched lookupAhead blocks
// before it is looked up, so their misses (the filter of a big
// dictionary is larger than the cache) are in flight while the CPU works
// on the blocks before; the hashes computed there are kept for the
// block's look-up.
func (d *Dictionary) LookupBatch(vs []uint64, ids []uint32, found []bool) {
	ids, found = ids[:len(vs)], found[:len(vs)]
	// hs[j]: the hashes of block j (mod the ring), computed once where
	// its filter words are prefetched, lookupAhead blocks before the
	// block is looked up.
	var (
		hs    [lookupAhead + 1][lookupBlock]uint64
		addrs [lookupBlock]uintptr
	)
	for j := range lookupAhead {
		lo := j * lookupBlock
		if lo >= len(vs) {
			break
		}
		d.prefetchFilter(vs[lo:min(len(vs), lo+lookupBlock)], &hs[j], &addrs)
	}
	for j := 0; len(vs) > 0; j++ {
		n := min(len(vs), lookupBlock)
		if lo := lookupAhead * lookupBlock; lo < len(vs) {
			d.prefetchFilter(vs[lo:min(len(vs), lo+lookupBlock)], &hs[(j+lookupAhead)%(lookupAhead+1)], &addrs)
		}
		d.lookupBlock(vs[:n], hs[j%(lookupAhead+1)][:n], ids[:n], found[:n])
		vs, ids, found = vs[n:], ids[n:], found[n:]
	}
}

// lookupAhead is how many blocks ahead LookupBatch prefetches the
// filter words.
const lookupAhead = 2

// prefetchFilter hashes vs (at most lookupBlock values) into h and
// prefetches their filter words.
func (d *Dictionary) prefetchFilter(vs []uint64, h *[lookupBlock]uint64, addrs *[lookupBlock]uintptr) {
	if len(vs) == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(d.filter)))
	fshift := d.fshift
	for k, v := range vs {
		x := mix(v)
		h[k] = x
		addrs[k] = base + uintptr(x>>fshift)*8
	}
	prefetch.Lines(addrs[:len(vs)])
}

// lookupBlock is how many probes LookupBatch keeps in flight: enough to
// cover a memory latency with independent loads, few enough that the
// block's own state stays in L1.
const lookupBlock = 64

// lookupBlock looks up vs, whose hashes are hs.
func (d *Dictionary) lookupBlock(vs, hs []uint64, ids []uint32, found []bool) {
	clear(ids)
	clear(found)
	if len(d.values) == 0 {
		return
	}
	// Stage 0: the filter drops the values surely absent (most of a
	// scrub's); the others go on, with their positions in vs.
	var (
		cand  [lookupBlock]uint64
		candH [lookupBlock]uint64
		where [lookupBlock]uint8
	)
	nc := 0
	filter, fshift := d.filter, d.fshift
	hs = hs[:len(vs)]
	for k, v := range vs[:len(ids)] {
		h := hs[k]
		w, m := filterBits(h, fshift)
		cand[nc], candH[nc], where[nc] = v, h, uint8(k)
		if filter[w]&m == m {
			nc++
		}
	}
	if nc == 0 {
		return
	}
	var cid [lookupBlock]uint32
	var cfound [lookupBlock]bool
	d.lookupTable(cand[:nc], candH[:nc], cid[:nc], cfound[:nc])
	for c, k := range where[:nc] {
		ids[k], found[k] = cid[c], cfound[c]
	}
}

// lookupTable looks vs (hashes hs) up in the table, a stage at a time
// for all of them (the misses of a stage in flight together).
func (d *Dictionary) lookupTable(vs, hs []uint64, ids []uint32, found []bool) {
	var (
		pos  [lookupBlock]uint64 // home slot, then the candidate slot
		want [lookupBlock]uint8  // the tag a match must have
		tag  [lookupBlock]uint8  // the tag at pos: want, or 0 for none
		id   [lookupBlock]uint32
		val  [lookupBlock]uint64
	)
	tags, slots, values, shift := d.tags, d.slots, d.values, d.shift
	mask := uint64(len(tags) - 1)
	vs = vs[:len(ids)]
	hs = hs[:len(vs)]
	// Stage 1: load every home slot's tag and id (the id's cache line
	// also holds the slots a probe may walk on to).
	for k := range vs {
		h := hs[k]
		i := h >> shift
		pos[k] = i
		want[k] = 0x80 | uint8(h&0x7f)
		tag[k] = tags[i]
		id[k] = slots[i]
	}
	// Stage 2: walk on from the home slot over the (now cached) tags to
	// the first slot with the wanted tag, or to an empty one.
	for k := range vs {
		t, w := tag[k], want[k]
		if t == w || t == 0 {
			continue
		}
		i := pos[k]
		for t != w && t != 0 {
			i = (i + 1) & mask
			t = tags[i]
		}
		pos[k], tag[k] = i, t
		if t != 0 {
			id[k] = slots[i]
		}
	}
	// Stage 3: the candidates' values (id 0 for the probes without one,
	// whose load then hits the cache).
	for k := range vs {
		j := id[k]
		if tag[k] == 0 {
			j = 0
		}
		val[k] = values[j]
	}
	// Stage 4: decide. A candidate that is another value with the same
	// tag (one in 128) walks on as Lookup does.
	for k, v := range vs {
		switch {
		case tag[k] == 0:
			ids[k], found[k] = 0, false
		case val[k] == v:
			ids[k], found[k] = id[k], true
		default:
			ids[k], found[k] = d.Lookup(v)
		}
	}
}

// Assign returns the id of v, giving it the next id if it has none.
func (d *Dictionary) Assign(v uint64) uint32 {
	h := mix(v)
	tag := 0x80 | uint8(h&0x7f)
	mask := uint64(len(d.tags) - 1)
	i := h >> d.shift
	for ; ; i = (i + 1) & mask {
		t := d.tags[i]
		if t == 0 {
			break
		}
		if t == tag {
			if id := d.slots[i]; d.values[id] == v {
				return id
			}
		}
	}
	return d.insertAt(i, tag, v)
}

// insertAt adds v, known to be absent, at the empty slot i (or, when the
// table must grow first, wherever it lands in the new table).
func (d *Dictionary) insertAt(i uint64, tag uint8, v uint64) uint32 {
	// (Assign could pass the hash in; one more mix per new value is
	// nothing beside the insert's misses.)
	if len(d.values) >= MaxDictionaryLen {
		panic("contactkey: Dictionary is full (2^32-1 ids)")
	}
	id := uint32(len(d.values))
	d.values = append(d.values, v)
	if len(d.values) > d.grow {
		d.resize(len(d.slots) * 2) // re-inserts v with the rest
		return id
	}
	if d.shared {
		d.slots, d.tags, d.filter = slices.Clone(d.slots), slices.Clone(d.tags), slices.Clone(d.filter)
		d.shared = false
	}
	d.tags[i] = tag
	d.slots[i] = id
	d.addFilter(mix(v))
	return id
}

// AssignBatch assigns ids to vs in order (as Assign would one by one) and
// returns them, appended to ids[:0] (pass a slice with room to avoid
// allocating). Successive probes do not depend on each other, so the CPU
// overlaps their cache misses: a batch of millions runs at a few tens of ns
// per value.
func (d *Dictionary) AssignBatch(vs []uint64, ids []uint32) []uint32 {
	ids = ids[:0]
	if cap(ids) < len(vs) {
		ids = make([]uint32, 0, len(vs))
	}
	for _, v := range vs {
		ids = append(ids, d.Assign(v))
	}
	return ids
}

// Extended returns a dictionary holding d's values with their ids and
// then vs, absent from d and distinct, with the next ids in order — what
// Assign of each would give — leaving d as it is, so that readers may go
// on using d meanwhile: the work (a copy of the table, or a new one sized
// for the total, and the inserts) is done here, and Install makes it
// d's in an instant. The result shares d's values array where it has
// room (it only writes past d's values, which d never reads).
func (d *Dictionary) Extended(vs []uint64) *Dictionary {
	if len(vs) == 0 {
		return d.clone()
	}
	if uint64(len(d.values))+uint64(len(vs)) > MaxDictionaryLen {
		panic("contactkey: Dictionary is full (2^32-1 ids)")
	}
	var values []uint64
	if cap(d.values)-len(d.values) >= len(vs) {
		values = append(d.values, vs...) // in d's spare room
	} else {
		values = append(d.values[:len(d.values):len(d.values)], vs...)
	}
	if len(values) > d.grow {
		nd := &Dictionary{values: values}
		if _, _, ok := nd.build(); !ok {
			panic("contactkey: Extended with a value already present")
		}
		return nd
	}
	nd := d.clone()
	nd.values = values
	mask := uint64(len(nd.tags) - 1)
	for id := len(d.values); id < len(values); id++ {
		h := mix(values[id])
		i := h >> nd.shift
		for nd.tags[i] != 0 {
			i = (i + 1) & mask
		}
		nd.tags[i] = 0x80 | uint8(h&0x7f)
		nd.slots[i] = uint32(id)
		nd.addFilter(h)
	}
	return nd
}

// clone copies d's table (the values array is shared up to its length).
func (d *Dictionary) clone() *Dictionary {
	return &Dictionary{
		values: d.values[:len(d.values):len(d.values)],
		slots:  slices.Clone(d.slots),
		tags:   slices.Clone(d.tags),
		shift:  d.shift,
		grow:   d.grow,
		filter: slices.Clone(d.filter),
		fshift: d.fshift,
	}
}

// Install makes d what next is (a dictionary from d.Extended): everyone
// holding d sees the new values at once. It copies a few words; the
// caller excludes readers of d meanwhile, as for Assign.
func (d *Dictionary) Install(next *Dictionary) { *d = *next }

// AppendValues appends the values with ids from..Len()-1 to dst, in id
// order: what a journal record of the dictionary's growth since from
// needs.
func (d *Dictionary) AppendValues(dst []uint64, from uint32) []uint64 {
	if int(from) >= len(d.values) {
		return dst
	}
	return append(dst, d.values[from:]...)
}

// memBytes is the memory the dictionary's arrays hold.
func (d *Dictionary) memBytes() int {
	return cap(d.values)*8 + cap(d.slots)*4 + cap(d.tags) + cap(d.filter)*8
}

// Serialised form (all integers little-endian):
//
//	magic   "HUSHDICT"
//	version uint32 (2)
//	log2    uint32, log2 of the table's slot count n
//	count   uint64
//	values  count × uint64, in id order
//	filter  max(n/16, 1) × uint64
//	slots   n × uint32 (the id in each slot; 0 where the tag is 0)
//	tags    n × uint8
//	crc     uint32, CRC-32C of everything before it
//
// Version 1 had a 20-byte header (magic, version, count) and the values
// only: a reader builds the table then. Version 2 carries the table as
// well, so a reader of a mapped snapshot uses it where it lies instead
// of building it (about a second of CPU and 35k fresh pages for the 12M
// entries of the scrub benchmark). The table is the one inserting the
// values in id order makes (Assign, resize, Extended and build all make
// that one; TestDictionaryBuildMatchesAssign), so the bytes still depend
// only on the values and their order, and two instances with the same
// dictionary write the same file. Every part starts at a multiple of 8
// from the dictionary's first byte (the header is 24 bytes), and slots
// and tags come after the 8-byte parts.
const (
	dictMagic        = "HUSHDICT"
	dictVersion      = 2
	dictHeaderSize   = 8 + 4 + 4 + 8
	dictV1HeaderSize = 8 + 4 + 8
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptDictionary is wrapped by every ReadDictionary error about the
// bytes themselves (as opposed to an I/O error of the reader).
var ErrCorruptDictionary = errors.New("corrupt dictionary")

// tableSlots is the slot count of the table for count values: the
// smallest power of two (at least minDictSlots) that holds them within
// the load limit — where Assign's growth ends, and what build makes.
func tableSlots(count uint64) uint64 {
	n := uint64(minDictSlots)
	for count > n/dictMaxLoadDen*dictMaxLoadNum {
		n *= 2
	}
	return n
}

// asBytes views a slice of fixed-size integers as its bytes in memory
// (the serialised order on a little-endian host).
func asBytes[T uint8 | uint32 | uint64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// WriteTo writes the dictionary in its versioned binary form (version 2:
// values and table).
func (d *Dictionary) WriteTo(w io.Writer) (int64, error) {
	if d.slots == nil {
		// Only a dictionary being read (ReadDictionaryDeferred before its
		// build) has no table; the format needs one.
		return 0, errors.New("contactkey: WriteTo of a dictionary whose table is not built")
	}
	var hdr [dictHeaderSize]byte
	copy(hdr[:], dictMagic)
	binary.LittleEndian.PutUint32(hdr[8:], dictVersion)
	binary.LittleEndian.PutUint32(hdr[12:], uint32(log2(len(d.slots))))
	binary.LittleEndian.PutUint64(hdr[16:], uint64(len(d.values)))
	var written int64
	crc := uint32(0)
	put := func(b []byte) error {
		crc = crc32.Update(crc, crc32c, b)
		n, err := w.Write(b)
		written += int64(n)
		return err
	}
	if err := put(hdr[:]); err != nil {
		return written, err
	}
	if littleEndian {
		// In pieces, so a failing writer is seen early and the
		// checksum's reads stay in the cache.
		for _, part := range [][]byte{asBytes(d.values), asBytes(d.filter), asBytes(d.slots), d.tags} {
			for len(part) > 0 {
				n := min(len(part), 64<<10)
				if err := put(part[:n]); err != nil {
					return written, err
				}
				part = part[n:]
			}
		}
	} else {
		buf := make([]byte, 0, 64<<10)
		flush := func() error {
			err := put(buf)
			buf = buf[:0]
			return err
		}
		for _, v := range d.values {
			if len(buf)+8 > cap(buf) {
				if err := flush(); err != nil {
					return written, err
				}
			}
			buf = binary.LittleEndian.AppendUint64(buf, v)
		}
		for _, v := range d.filter {
			if len(buf)+8 > cap(buf) {
				if err := flush(); err != nil {
					return written, err
				}
			}
			buf = binary.LittleEndian.AppendUint64(buf, v)
		}
		for _, v := range d.slots {
			if len(buf)+4 > cap(buf) {
				if err := flush(); err != nil {
					return written, err
				}
			}
			buf = binary.LittleEndian.AppendUint32(buf, v)
		}
		if err := flush(); err != nil {
			return written, err
		}
		if err := put(d.tags); err != nil {
			return written, err
		}
	}
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], crc)
	n, err := w.Write(tail[:])
	written += int64(n)
	return written, err
}

// ReadDictionary reads what WriteTo wrote (or version 1, building the
// table then). It rejects truncated input, a wrong magic, version or
// checksum, a table that does not fit the values, and (version 1)
// duplicate values, which would make two ids mean one key, with errors
// that wrap ErrCorruptDictionary and say where.
func ReadDictionary(r io.Reader) (*Dictionary, error) {
	return ReadDictionaryLimit(r, 0)
}

// ReadDictionaryLimit is ReadDictionary for a reader known to hold at
// most limit bytes (0: not known). A count the limit allows is trusted
// with one allocation of the values; otherwise they grow as they arrive,
// so a lying count costs no more memory than the input really holds.
func ReadDictionaryLimit(r io.Reader, limit int64) (*Dictionary, error) {
	d, build, err := ReadDictionaryDeferred(r, limit)
	if err != nil {
		return nil, err
	}
	if err := build(); err != nil {
		return nil, err
	}
	return d, nil
}

// ReadDictionaryDeferred reads and checks the bytes as ReadDictionaryLimit
// does, but leaves the CPU-bound part — building the table (version 1),
// or checking the stored one (version 2) — to build, which may run on
// another goroutine while the caller reads on. Until build has returned
// nil, d answers Len and Value only; build's error (a duplicate value, a
// table that does not fit) means d must not be used.
func ReadDictionaryDeferred(r io.Reader, limit int64) (d *Dictionary, build func() error, err error) {
	d, err = readDictionary(r, limit)
	if err != nil {
		return nil, nil, err
	}
	return d, d.finish, nil
}

// finish builds d's table (a version 1 input: it has none), or checks
// the one read.
func (d *Dictionary) finish() error {
	if d.slots == nil {
		if dup, first, ok := d.build(); !ok {
			return fmt.Errorf("%w: value %#016x appears at ids %d and %d", ErrCorruptDictionary, d.values[dup], first, dup)
		}
		return nil
	}
	return d.checkTable()
}

// checkTable checks that a table read with the values fits them: as
// many occupied slots as values (so there are empty ones: no probe runs
// forever), every occupied slot's tag marked as one, empty slots' tags
// zero, and no id beyond the values. It does not prove each value sits
// where its hash puts it — that would cost what building the table
// costs; the checksum vouches for the bytes, and the writer only writes
// tables it built. Branch-free, eight tags a step: on 26M slots it is a
// pass over memory (an early, branchy version cost 130 ms there).
func (d *Dictionary) checkTable() error {
	const highs = 0x8080808080808080
	tags := d.tags
	occupied := 0
	var stray uint64 // bits of empty slots' tags: must stay 0
	for i := 0; i+8 <= len(tags); i += 8 {
		w := binary.LittleEndian.Uint64(tags[i:])
		hi := w & highs
		occupied += bits.OnesCount64(hi)
		stray |= w &^ ((hi >> 7) * 0xff)
	}
	for _, t := range tags[len(tags)&^7:] {
		if t&0x80 != 0 {
			occupied++
		} else {
			stray |= uint64(t)
		}
	}
	// Empty slots hold id 0 (Assign and build never write there), so one
	// bound covers every slot.
	var a, b, c, e uint32
	slots := d.slots
	for len(slots) >= 4 {
		a, b, c, e = max(a, slots[0]), max(b, slots[1]), max(c, slots[2]), max(e, slots[3])
		slots = slots[4:]
	}
	for _, id := range slots {
		a = max(a, id)
	}
	maxID := max(a, b, c, e)
	if occupied != len(d.values) || stray != 0 || uint64(maxID) >= max(uint64(len(d.values)), 1) {
		return fmt.Errorf("%w: table does not fit its %d values (%d occupied slots, stray tag bits %#x, largest id %d)", ErrCorruptDictionary, len(d.values), occupied, stray, maxID)
	}
	return nil
}

// DictionaryFromBytes reads a dictionary WriteTo wrote at the start of
// b, as ReadDictionaryDeferred does, and returns how many bytes it took.
// On a little-endian host the values and the table (version 2) are not
// copied: the dictionary reads them in b, which must then stay unchanged
// for as long as it is used. It never writes there: Assign copies the
// table first, growing copies the values. With checked, the caller has
// verified a checksum covering these bytes already, and the dictionary's
// own is not recomputed; build still checks the table, or builds it
// (version 1) and finds duplicates.
func DictionaryFromBytes(b []byte, checked bool) (d *Dictionary, build func() error, n int, err error) {
	h, err := parseDictHeader(b)
	if err != nil {
		return nil, nil, 0, err
	}
	if uint64(len(b)-h.size)/8 < h.count {
		return nil, nil, 0, fmt.Errorf("%w: truncated after %d of %d values", ErrCorruptDictionary, (len(b)-h.size)/8, h.count)
	}
	end := h.size + int(h.count)*8
	if h.version >= 2 {
		if uint64(len(b)-end) < h.tableBytes() {
			return nil, nil, 0, fmt.Errorf("%w: truncated in the table (%d of %d bytes)", ErrCorruptDictionary, len(b)-end, h.tableBytes())
		}
		end += int(h.tableBytes())
	}
	if len(b)-end < 4 {
		return nil, nil, 0, fmt.Errorf("%w: truncated checksum", ErrCorruptDictionary)
	}
	if !checked {
		if got, want := binary.LittleEndian.Uint32(b[end:]), crc32.Checksum(b[:end], crc32c); got != want {
			return nil, nil, 0, fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x)", ErrCorruptDictionary, got, want)
		}
	}
	raw := b[h.size:end]
	d = &Dictionary{}
	// Full slice expressions (cap == len), so an append (Assign,
	// Extended) copies instead of writing into b.
	d.values, raw = inPlace[uint64](raw, int(h.count))
	if h.version >= 2 {
		n := int(h.slots)
		d.filter, raw = inPlace[uint64](raw, max(n/16, 1))
		d.slots, raw = inPlace[uint32](raw, n)
		d.tags = raw[:n:n]
		d.setShape(n)
		d.shared = true
	}
	return d, d.finish, end + 4, nil
}

// inPlace returns the first n integers of b as a slice — b itself on a
// little-endian host, a decoded copy otherwise — and the rest of b.
func inPlace[T uint32 | uint64](b []byte, n int) ([]T, []byte) {
	size := int(unsafe.Sizeof(T(0)))
	raw, rest := b[:n*size:n*size], b[n*size:]
	if n == 0 {
		return nil, rest
	}
	if littleEndian {
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(raw))), n), rest
	}
	out := make([]T, n)
	for i := range out {
		if size == 8 {
			out[i] = T(binary.LittleEndian.Uint64(raw[8*i:]))
		} else {
			out[i] = T(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	return out, rest
}

// setShape sets what follows from a table of n slots.
func (d *Dictionary) setShape(n int) {
	d.shift = uint8(64 - log2(n))
	d.grow = n / dictMaxLoadDen * dictMaxLoadNum
	words := max(n/16, 1)
	d.fshift = uint8(64 - log2(words))
}

// dictHeader is a checked header.
type dictHeader struct {
	version int
	size    int    // header bytes
	count   uint64 // values
	slots   uint64 // table slots (version 2)
}

// tableBytes is the size of a version 2 table: filter, slots, tags.
func (h dictHeader) tableBytes() uint64 {
	return max(h.slots/16, 1)*8 + h.slots*5
}

// parseDictHeader checks the header at the start of b (at least the
// version 1 size; a version 2 header needs its 4 more bytes).
func parseDictHeader(b []byte) (dictHeader, error) {
	var h dictHeader
	if len(b) < dictV1HeaderSize {
		return h, fmt.Errorf("%w: truncated header (%d of %d bytes)", ErrCorruptDictionary, len(b), dictV1HeaderSize)
	}
	if string(b[:8]) != dictMagic {
		return h, fmt.Errorf("%w: not a dictionary (magic %q)", ErrCorruptDictionary, b[:8])
	}
	switch v := binary.LittleEndian.Uint32(b[8:12]); v {
	case 1:
		h.version, h.size = 1, dictV1HeaderSize
		h.count = binary.LittleEndian.Uint64(b[12:20])
	case 2:
		if len(b) < dictHeaderSize {
			return h, fmt.Errorf("%w: truncated header (%d of %d bytes)", ErrCorruptDictionary, len(b), dictHeaderSize)
		}
		h.version, h.size = 2, dictHeaderSize
		h.count = binary.LittleEndian.Uint64(b[16:24])
		lg := binary.LittleEndian.Uint32(b[12:16])
		if h.count <= MaxDictionaryLen {
			if want := tableSlots(h.count); lg >= 64 || uint64(1)<<lg != want {
				return h, fmt.Errorf("%w: table of 2^%d slots for %d values (want %d slots)", ErrCorruptDictionary, lg, h.count, want)
			}
			h.slots = uint64(1) << lg
		}
	default:
		return h, fmt.Errorf("%w: unsupported version %d (this build reads 1 and 2)", ErrCorruptDictionary, v)
	}
	if h.count > MaxDictionaryLen {
		return h, fmt.Errorf("%w: count %d exceeds the maximum %d", ErrCorruptDictionary, h.count, uint64(MaxDictionaryLen))
	}
	return h, nil
}

// littleEndian says whether the host's byte order is the serialised
// one, so values can be read in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// readDictionary reads a dictionary from r: values, and (version 2) the
// table, checked against the checksum; the table is checked against the
// values, or built, by finish.
func readDictionary(r io.Reader, limit int64) (*Dictionary, error) {
	var hdr [dictHeaderSize]byte
	if n, err := io.ReadFull(r, hdr[:dictV1HeaderSize]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated header (%d of %d bytes)", ErrCorruptDictionary, n, dictV1HeaderSize)
		}
		return nil, fmt.Errorf("read dictionary header: %w", err)
	}
	hb := hdr[:dictV1HeaderSize]
	if string(hdr[:8]) == dictMagic && binary.LittleEndian.Uint32(hdr[8:12]) >= 2 {
		if n, err := io.ReadFull(r, hdr[dictV1HeaderSize:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: truncated header (%d of %d bytes)", ErrCorruptDictionary, dictV1HeaderSize+n, dictHeaderSize)
			}
			return nil, fmt.Errorf("read dictionary header: %w", err)
		}
		hb = hdr[:]
	}
	h, err := parseDictHeader(hb)
	if err != nil {
		return nil, err
	}
	count := h.count
	crc := crc32.Update(0, crc32c, hb)

	// The count is not trusted with an allocation before the bytes are
	// there (unless limit vouches for them): grow as values arrive.
	initial := min(count, 1<<20)
	if limit > 0 && count <= uint64(limit)/8 {
		initial = count
	}
	values := make([]uint64, 0, initial)
	buf := make([]byte, 64<<10)
	for read := uint64(0); read < count; {
		want := min(uint64(len(buf)/8), count-read)
		chunk := buf[:want*8]
		if n, err := io.ReadFull(r, chunk); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: truncated after %d of %d values", ErrCorruptDictionary, read+uint64(n/8), count)
			}
			return nil, fmt.Errorf("read dictionary values: %w", err)
		}
		crc = crc32.Update(crc, crc32c, chunk)
		if free := cap(values) - len(values); free < int(want) {
			// Grow to exactly count at the end, not by append's factor.
			values = slices.Grow(values, int(min(count, uint64(2*cap(values)+int(want))))-len(values))
		}
		for i := 0; i < len(chunk); i += 8 {
			values = append(values, binary.LittleEndian.Uint64(chunk[i:]))
		}
		read += want
	}
	d := &Dictionary{values: values}
	if h.version >= 2 {
		// The values are all there, so the table (at most about 14
		// bytes per value, or 85 for an empty dictionary's 16 slots) is
		// allocated whole.
		n := int(h.slots)
		d.filter = make([]uint64, max(n/16, 1))
		d.slots = make([]uint32, n)
		d.tags = make([]uint8, n)
		d.setShape(n)
		for _, part := range [][]byte{asBytes(d.filter), asBytes(d.slots), d.tags} {
			if _, err := io.ReadFull(r, part); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return nil, fmt.Errorf("%w: truncated in the table", ErrCorruptDictionary)
				}
				return nil, fmt.Errorf("read dictionary table: %w", err)
			}
			crc = crc32.Update(crc, crc32c, part)
		}
		if !littleEndian {
			for i := range d.filter {
				d.filter[i] = binary.LittleEndian.Uint64(asBytes(d.filter[i : i+1]))
			}
			for i := range d.slots {
				d.slots[i] = binary.LittleEndian.Uint32(asBytes(d.slots[i : i+1]))
			}
		}
	}
	var tail [4]byte
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated checksum", ErrCorruptDictionary)
		}
		return nil, fmt.Errorf("read dictionary checksum: %w", err)
	}
	if got := binary.LittleEndian.Uint32(tail[:]); got != crc {
		return nil, fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x)", ErrCorruptDictionary, got, crc)
	}
	return d, nil
}

// build makes the table for d.values, whose ids are their positions,
// sizing it once and inserting them in id order — the table Assign of
// each in turn would make. An insert in a big table is a cache miss or
// three (the home slot's tag, its id, the filter word), so values go in
// blocks: the lines of block i+1 are prefetched while block i is
// inserted, and the misses of a block are in flight together. (It used to
// bucket the values by home slot first, through 12 bytes a value of
// temporary arrays: their fresh pages cost as much as the misses saved.)
// On a duplicate it returns false and the ids of the second and first
// occurrences.
func (d *Dictionary) build() (dup, first uint32, ok bool) {
	values := d.values
	n := minDictSlots
	for len(values) > n/dictMaxLoadDen*dictMaxLoadNum {
		n *= 2
	}
	d.slots = make([]uint32, n)
	d.tags = make([]uint8, n)
	d.shared = false
	d.shift = uint8(64 - log2(n))
	d.grow = n / dictMaxLoadDen * dictMaxLoadNum
	d.initFilter(n)
	mask := uint64(n - 1)
	tags, slots, filter := d.tags, d.slots, d.filter
	shift, fshift := d.shift, d.fshift
	var (
		hs    [2][buildBlock]uint64
		addrs [3 * buildBlock]uintptr
	)
	tagBase := uintptr(unsafe.Pointer(unsafe.SliceData(tags)))
	slotBase := uintptr(unsafe.Pointer(unsafe.SliceData(slots)))
	filterBase := uintptr(unsafe.Pointer(unsafe.SliceData(filter)))
	// hash computes the hashes of values[lo:hi] into h and prefetches
	// their home slots' tag and id and their filter words.
	hash := func(lo, hi int, h *[buildBlock]uint64) {
		na := 0
		for k, v := range values[lo:hi] {
			x := mix(v)
			h[k] = x
			i := uintptr(x >> shift)
			addrs[na], addrs[na+1], addrs[na+2] = tagBase+i, slotBase+4*i, filterBase+8*uintptr(x>>fshift)
			na += 3
		}
		prefetch.Lines(addrs[:na])
	}
	hash(0, min(buildBlock, len(values)), &hs[0])
	for lo, cur := 0, 0; lo < len(values); lo, cur = lo+buildBlock, 1-cur {
		hi := min(lo+buildBlock, len(values))
		if hi < len(values) {
			hash(hi, min(hi+buildBlock, len(values)), &hs[1-cur])
		}
		for k := range hi - lo {
			h, id := hs[cur][k], uint32(lo+k)
			tag := 0x80 | uint8(h&0x7f)
			i := h >> shift
			for ; tags[i] != 0; i = (i + 1) & mask {
				if tags[i] == tag && values[slots[i]] == values[id] {
					return id, slots[i], false
				}
			}
			tags[i], slots[i] = tag, id
			w, m := filterBits(h, fshift)
			filter[w] |= m
		}
	}
	return 0, 0, true
}

// buildBlock is how many values build inserts between prefetches.
const buildBlock = 32
