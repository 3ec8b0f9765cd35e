package contactkey

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
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
// The filter's words of the next block are prefetched before a block is
// looked up, so their misses (the filter of a big dictionary is larger
// than the cache) are in flight while the CPU works on the block before.
func (d *Dictionary) LookupBatch(vs []uint64, ids []uint32, found []bool) {
	ids, found = ids[:len(vs)], found[:len(vs)]
	var addrs [lookupBlock]uintptr
	d.prefetchFilter(vs[:min(len(vs), lookupBlock)], &addrs)
	for len(vs) > 0 {
		n := min(len(vs), lookupBlock)
		d.prefetchFilter(vs[n:min(len(vs), 2*lookupBlock)], &addrs)
		d.lookupBlock(vs[:n], ids[:n], found[:n])
		vs, ids, found = vs[n:], ids[n:], found[n:]
	}
}

// prefetchFilter prefetches the filter words of vs (at most
// lookupBlock values).
func (d *Dictionary) prefetchFilter(vs []uint64, addrs *[lookupBlock]uintptr) {
	if len(vs) == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(d.filter)))
	for k, v := range vs {
		w, _ := filterBits(mix(v), d.fshift)
		addrs[k] = base + uintptr(w)*8
	}
	prefetch.Lines(addrs[:len(vs)])
}

// lookupBlock is how many probes LookupBatch keeps in flight: enough to
// cover a memory latency with independent loads, few enough that the
// block's own state stays in L1.
const lookupBlock = 64

func (d *Dictionary) lookupBlock(vs []uint64, ids []uint32, found []bool) {
	clear(ids)
	clear(found)
	if len(d.values) == 0 {
		return
	}
	// Stage 0: the filter drops the values surely absent (most of a
	// scrub's); the others go on, with their positions in vs.
	var (
		cand  [lookupBlock]uint64
		where [lookupBlock]uint8
	)
	nc := 0
	filter, fshift := d.filter, d.fshift
	for k, v := range vs[:len(ids)] {
		w, m := filterBits(mix(v), fshift)
		cand[nc], where[nc] = v, uint8(k)
		if filter[w]&m == m {
			nc++
		}
	}
	if nc == 0 {
		return
	}
	var cid [lookupBlock]uint32
	var cfound [lookupBlock]bool
	d.lookupTable(cand[:nc], cid[:nc], cfound[:nc])
	for c, k := range where[:nc] {
		ids[k], found[k] = cid[c], cfound[c]
	}
}

// lookupTable looks vs up in the table, a stage at a time for all of
// them (the misses of a stage in flight together).
func (d *Dictionary) lookupTable(vs []uint64, ids []uint32, found []bool) {
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
	// Stage 1: load every home slot's tag and id (the id's cache line
	// also holds the slots a probe may walk on to).
	for k, v := range vs {
		h := mix(v)
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
//	version uint32 (1)
//	count   uint64
//	values  count × uint64, in id order
//	crc     uint32, CRC-32C of everything before it
//
// The bytes depend only on the values and their order, so two instances
// with the same dictionary write the same file.
const (
	dictMagic      = "HUSHDICT"
	dictVersion    = 1
	dictHeaderSize = 8 + 4 + 8
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptDictionary is wrapped by every ReadDictionary error about the
// bytes themselves (as opposed to an I/O error of the reader).
var ErrCorruptDictionary = errors.New("corrupt dictionary")

// WriteTo writes the dictionary in its versioned binary form.
func (d *Dictionary) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, dictMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, dictVersion)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(d.values)))
	var written int64
	crc := uint32(0)
	flush := func() error {
		crc = crc32.Update(crc, crc32c, buf)
		n, err := w.Write(buf)
		written += int64(n)
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
	if err := flush(); err != nil {
		return written, err
	}
	buf = binary.LittleEndian.AppendUint32(buf, crc)
	n, err := w.Write(buf)
	written += int64(n)
	return written, err
}

// ReadDictionary reads what WriteTo wrote and rebuilds the table. It
// rejects truncated input, a wrong magic, version or checksum, and
// duplicate values (which would make two ids mean one key), with errors
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
// does, but leaves building the table — the CPU-bound part — to build,
// which may run on another goroutine while the caller reads on. Until
// build has returned nil, d answers Len and Value only; build's error
// (a duplicate value) means d must not be used.
func ReadDictionaryDeferred(r io.Reader, limit int64) (d *Dictionary, build func() error, err error) {
	values, err := readDictionaryValues(r, limit)
	if err != nil {
		return nil, nil, err
	}
	d = &Dictionary{values: values}
	return d, func() error {
		if dup, first, ok := d.build(); !ok {
			return fmt.Errorf("%w: value %#016x appears at ids %d and %d", ErrCorruptDictionary, values[dup], first, dup)
		}
		return nil
	}, nil
}

// DictionaryFromBytes reads a dictionary WriteTo wrote at the start of
// b, as ReadDictionaryDeferred does, and returns how many bytes it took.
// On a little-endian host the values are not copied: the dictionary reads
// them in b, which must then stay unchanged for as long as it is used (it
// never writes there: growing copies them). With checked, the caller has
// verified a checksum covering these bytes already, and the dictionary's
// own is not recomputed; duplicates are still found by build.
func DictionaryFromBytes(b []byte, checked bool) (d *Dictionary, build func() error, n int, err error) {
	if len(b) < dictHeaderSize {
		return nil, nil, 0, fmt.Errorf("%w: truncated header (%d of %d bytes)", ErrCorruptDictionary, len(b), dictHeaderSize)
	}
	if string(b[:8]) != dictMagic {
		return nil, nil, 0, fmt.Errorf("%w: not a dictionary (magic %q)", ErrCorruptDictionary, b[:8])
	}
	if v := binary.LittleEndian.Uint32(b[8:12]); v != dictVersion {
		return nil, nil, 0, fmt.Errorf("%w: unsupported version %d (this build reads %d)", ErrCorruptDictionary, v, dictVersion)
	}
	count := binary.LittleEndian.Uint64(b[12:20])
	if count > MaxDictionaryLen {
		return nil, nil, 0, fmt.Errorf("%w: count %d exceeds the maximum %d", ErrCorruptDictionary, count, uint64(MaxDictionaryLen))
	}
	if uint64(len(b)-dictHeaderSize)/8 < count {
		return nil, nil, 0, fmt.Errorf("%w: truncated after %d of %d values", ErrCorruptDictionary, (len(b)-dictHeaderSize)/8, count)
	}
	end := dictHeaderSize + int(count)*8
	if len(b)-end < 4 {
		return nil, nil, 0, fmt.Errorf("%w: truncated checksum", ErrCorruptDictionary)
	}
	if !checked {
		if got, want := binary.LittleEndian.Uint32(b[end:]), crc32.Checksum(b[:end], crc32c); got != want {
			return nil, nil, 0, fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x)", ErrCorruptDictionary, got, want)
		}
	}
	raw := b[dictHeaderSize:end]
	var values []uint64
	switch {
	case count == 0:
	case littleEndian:
		// Full slice expression semantics: cap == len, so an append
		// (Assign, Extended) copies instead of writing into b.
		values = unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(raw))), count)
	default:
		values = make([]uint64, count)
		for i := range values {
			values[i] = binary.LittleEndian.Uint64(raw[8*i:])
		}
	}
	d = &Dictionary{values: values}
	return d, func() error {
		if dup, first, ok := d.build(); !ok {
			return fmt.Errorf("%w: value %#016x appears at ids %d and %d", ErrCorruptDictionary, values[dup], first, dup)
		}
		return nil
	}, end + 4, nil
}

// littleEndian says whether the host's byte order is the serialised
// one, so values can be read in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func readDictionaryValues(r io.Reader, limit int64) ([]uint64, error) {
	var hdr [dictHeaderSize]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated header (%d of %d bytes)", ErrCorruptDictionary, n, dictHeaderSize)
		}
		return nil, fmt.Errorf("read dictionary header: %w", err)
	}
	if string(hdr[:8]) != dictMagic {
		return nil, fmt.Errorf("%w: not a dictionary (magic %q)", ErrCorruptDictionary, hdr[:8])
	}
	if v := binary.LittleEndian.Uint32(hdr[8:12]); v != dictVersion {
		return nil, fmt.Errorf("%w: unsupported version %d (this build reads %d)", ErrCorruptDictionary, v, dictVersion)
	}
	count := binary.LittleEndian.Uint64(hdr[12:20])
	if count > MaxDictionaryLen {
		return nil, fmt.Errorf("%w: count %d exceeds the maximum %d", ErrCorruptDictionary, count, uint64(MaxDictionaryLen))
	}
	crc := crc32.Update(0, crc32c, hdr[:])

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
	return values, nil
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
