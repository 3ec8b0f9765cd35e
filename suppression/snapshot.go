package suppression

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/hushcrm/hush/contactkey"
)

// Snapshot encoding (integers little-endian, strings as u32 length +
// bytes):
//
//	magic "HUSHSUPP", format u32 (1), store version u64, lists version u64
//	dictionaries: u8 count, then per hashed kind in kind order:
//	    kind u8, contactkey.Dictionary bytes (self-delimiting)
//	lists: u32 count, then per list in name order:
//	    name, kind u8, type u8, channels u8, purposes, source, description,
//	    version u64, created i64, updated i64 (unix ns),
//	    bitmap u64 length + portable roaring bytes (roaring64 for phones),
//	    expiries u64 count + count × (value u64, at i64), values ascending
//	opt-outs: u64 key count, then per key in (kind, value) order:
//	    kind u8, value u64, u32 event count, events oldest first:
//	    version u64, at i64, channels u8, purposes, source, opt-in u8, evidence
//	purposes: all u8, u32 count, names
//	crc u32: CRC-32C of every byte before it
//
// Every part is written in a fixed order and bitmaps are kept with their
// containers in the smallest form, so the same state writes the same
// bytes.
const (
	snapMagic   = "HUSHSUPP"
	snapVersion = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type crcWriter struct {
	w   io.Writer
	crc uint32
	n   int64
}

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	c.n += int64(n)
	return n, err
}

type encoder struct {
	bw  *bufio.Writer
	tmp [8]byte
}

func (e *encoder) u8(v uint8) { e.bw.WriteByte(v) }
func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.tmp[:4], v)
	e.bw.Write(e.tmp[:4])
}
func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.tmp[:], v)
	e.bw.Write(e.tmp[:])
}
func (e *encoder) str(s string) {
	e.u32(uint32(len(s)))
	e.bw.WriteString(s)
}
func (e *encoder) purposes(p PurposeSet) {
	if p.All {
		e.u8(1)
	} else {
		e.u8(0)
	}
	e.u32(uint32(len(p.Names)))
	for _, n := range p.Names {
		e.str(n)
	}
}

// WriteTo writes the whole store in its versioned, deterministic snapshot
// encoding: the same state always gives the same bytes. It reads the
// store, so it needs at least the engine's read lock.
func (s *Store) WriteTo(w io.Writer) (int64, error) {
	cw := &crcWriter{w: w}
	e := &encoder{bw: bufio.NewWriterSize(cw, 1<<20)}
	e.bw.WriteString(snapMagic)
	e.u32(snapVersion)
	e.u64(s.version)
	e.u64(s.listsVersion)

	var hashed []contactkey.Kind
	for _, k := range contactkey.Kinds {
		if k.Hashed() {
			hashed = append(hashed, k)
		}
	}
	e.u8(uint8(len(hashed)))
	for _, k := range hashed {
		e.u8(uint8(k))
		if _, err := s.dicts[k].WriteTo(e.bw); err != nil {
			return cw.n, err
		}
	}

	lists := s.Lists()
	e.u32(uint32(len(lists)))
	for _, l := range lists {
		sp := &l.spec
		e.str(sp.Name)
		e.u8(uint8(sp.Kind))
		e.u8(uint8(sp.Type))
		e.u8(uint8(sp.Channels))
		e.purposes(sp.Purposes)
		e.str(sp.Source)
		e.str(sp.Description)
		e.u64(l.version)
		e.u64(uint64(l.createdAt))
		e.u64(uint64(l.updatedAt))
		e.u64(uint64(len(l.entries.data)))
		e.bw.Write(l.entries.data)
		e.u64(uint64(l.exp.len()))
		for i, v := range l.exp.keys {
			e.u64(v)
			e.u64(uint64(l.exp.at[i]))
		}
	}

	keys := slices.SortedFunc(maps.Keys(s.optouts), compareKeys)
	e.u64(uint64(len(keys)))
	for _, k := range keys {
		evs := s.optouts[k]
		e.u8(uint8(k.Kind))
		e.u64(k.V)
		e.u32(uint32(len(evs)))
		for i := range evs {
			ev := &evs[i]
			e.u64(ev.Version)
			e.u64(uint64(ev.At))
			e.u8(uint8(ev.Channels))
			e.purposes(ev.Purposes)
			e.str(ev.Source)
			if ev.OptIn {
				e.u8(1)
			} else {
				e.u8(0)
			}
			e.str(ev.Evidence)
		}
	}
	if err := e.bw.Flush(); err != nil {
		return cw.n, err
	}
	binary.LittleEndian.PutUint32(e.tmp[:4], cw.crc)
	n, err := w.Write(e.tmp[:4])
	return cw.n + int64(n), err
}

func compareKeys(a, b contactkey.Key) int {
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.V, b.V)
}

// crcReader checksums exactly the bytes its reader hands out.
type crcReader struct {
	r   io.Reader
	crc uint32
	n   int64
	// checked: a checksum over these bytes was verified before (a mapped
	// snapshot's): the store's own is neither computed nor compared.
	checked bool
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if !c.checked {
		c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	}
	c.n += int64(n)
	return n, err
}

// sliceReader reads a store from bytes in memory, and hands out parts of
// them without a copy (take).
type sliceReader struct {
	b   []byte
	off int
}

func (s *sliceReader) Read(p []byte) (int, error) {
	if s.off >= len(s.b) {
		return 0, io.EOF
	}
	n := copy(p, s.b[s.off:])
	s.off += n
	return n, nil
}

func (s *sliceReader) ReadByte() (byte, error) {
	if s.off >= len(s.b) {
		return 0, io.EOF
	}
	s.off++
	return s.b[s.off-1], nil
}

type decoder struct {
	r     *crcReader
	src   *sliceReader // the input, when it is in memory (ReadStoreBytes)
	tmp   [8]byte
	err   error
	limit int64 // the input holds at most this many bytes (0: not known)
}

// room says whether n more bytes fit in what the input can still hold:
// then a length of n is trusted with one allocation.
func (d *decoder) room(n uint64) bool {
	return d.limit > 0 && d.r.n <= d.limit && n <= uint64(d.limit-d.r.n)
}

// corrupt records the first error, wrapped in ErrCorruptSnapshot with the
// offset it was found at.
func (d *decoder) corrupt(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w at byte %d: %s", ErrCorruptSnapshot, d.r.n, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) full(p []byte) bool {
	if d.err != nil {
		return false
	}
	if _, err := io.ReadFull(d.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			d.corrupt("truncated")
		} else {
			d.err = fmt.Errorf("read suppression snapshot: %w", err)
		}
		return false
	}
	return true
}

func (d *decoder) u8() uint8 {
	if !d.full(d.tmp[:1]) {
		return 0
	}
	return d.tmp[0]
}

func (d *decoder) u32() uint32 {
	if !d.full(d.tmp[:4]) {
		return 0
	}
	return binary.LittleEndian.Uint32(d.tmp[:4])
}

func (d *decoder) u64() uint64 {
	if !d.full(d.tmp[:]) {
		return 0
	}
	return binary.LittleEndian.Uint64(d.tmp[:])
}

func (d *decoder) str(what string, limit int) string {
	n := d.u32()
	if d.err != nil {
		return ""
	}
	if n > uint32(limit) {
		d.corrupt("%s of %d bytes (limit %d)", what, n, limit)
		return ""
	}
	b := make([]byte, n)
	if !d.full(b) {
		return ""
	}
	if !utf8.Valid(b) {
		d.corrupt("%s is not UTF-8", what)
		return ""
	}
	return string(b)
}

// bytes reads n bytes, growing the buffer as they arrive so that a lying
// length costs no more memory than the input really holds.
func (d *decoder) bytes(n uint64) []byte {
	const chunk = 1 << 20
	if d.src != nil {
		if d.err != nil {
			return nil
		}
		if n > uint64(len(d.src.b)-d.src.off) {
			d.corrupt("truncated")
			return nil
		}
		b := d.src.b[d.src.off : d.src.off+int(n) : d.src.off+int(n)]
		d.src.off += int(n)
		d.r.n += int64(n)
		if !d.r.checked {
			d.r.crc = crc32.Update(d.r.crc, castagnoli, b)
		}
		return b
	}
	if d.room(n) {
		buf := make([]byte, n)
		if !d.full(buf) {
			return nil
		}
		return buf
	}
	buf := make([]byte, 0, min(n, chunk))
	for uint64(len(buf)) < n && d.err == nil {
		want := min(n-uint64(len(buf)), chunk)
		buf = slices.Grow(buf, int(want))
		if !d.full(buf[len(buf) : len(buf)+int(want)]) {
			return nil
		}
		buf = buf[:len(buf)+int(want)]
	}
	return buf
}

func (d *decoder) purposes(what string) PurposeSet {
	var p PurposeSet
	switch d.u8() {
	case 0:
	case 1:
		p.All = true
	default:
		d.corrupt("%s: bad all flag", what)
	}
	n := d.u32()
	if d.err != nil {
		return p
	}
	if p.All && n != 0 || n > 1024 {
		d.corrupt("%s: %d names", what, n)
		return p
	}
	for range n {
		name := d.str(what, maxPurposeLen)
		if d.err != nil {
			return p
		}
		if len(p.Names) > 0 && name <= p.Names[len(p.Names)-1] {
			d.corrupt("%s: names not sorted", what)
			return p
		}
		p.Names = append(p.Names, name)
	}
	if err := p.validate(); err != nil {
		d.corrupt("%s: %v", what, err)
	}
	return p
}

// readSet reads one serialised bitmap. The bytes become the list's
// published set as they are, once their structure and containers are
// checked (loadFrozen).
func (d *decoder) readSet(phone bool, name string) *frozen {
	n := d.u64()
	if d.err != nil {
		return nil
	}
	if n < 8 {
		d.corrupt("list %q: bitmap of %d bytes", name, n)
		return nil
	}
	raw := d.bytes(n)
	if d.err != nil {
		return nil
	}
	f, err := loadFrozen(raw, phone)
	if err != nil {
		d.corrupt("list %q: bitmap: %v", name, err)
		return nil
	}
	return f
}

// ReadStore reads a store written by WriteTo. The bytes are not trusted:
// every length, order and cross-reference is checked, and any fault is an
// error wrapping ErrCorruptSnapshot that says at which byte — never a
// panic. When r is an io.ByteReader (a *bufio.Reader) it reads exactly the
// snapshot's bytes; otherwise it buffers and may read past them.
func ReadStore(r io.Reader) (*Store, error) { return ReadStoreLimit(r, 0) }

// ReadStoreLimit is ReadStore for an input known to hold at most limit
// bytes (0: not known): lengths within it are trusted with one allocation
// each instead of growing buffers as the bytes arrive. The dictionaries'
// tables are built on other goroutines while the lists are read.
func ReadStoreLimit(r io.Reader, limit int64) (*Store, error) {
	if _, ok := r.(io.ByteReader); !ok {
		r = bufio.NewReaderSize(r, 1<<20)
	}
	return readStore(&decoder{r: &crcReader{r: r}, limit: max(limit, 0)}, r)
}

// ReadStoreBytes reads a store written by WriteTo from the start of b, and
// says how many bytes it took. The bitmaps and (on little-endian hosts)
// the dictionaries' values are not copied: the store reads them in b,
// which must stay unchanged for the store's life (the store never writes
// there). With checked, the caller has verified a checksum over these
// bytes already (a mapped snapshot's, journal/wal), so the store's own
// checksums are not recomputed; every other check is made as ReadStore
// makes it.
func ReadStoreBytes(b []byte, checked bool) (*Store, int, error) {
	src := &sliceReader{b: b}
	d := &decoder{r: &crcReader{r: src, checked: checked}, src: src, limit: int64(len(b))}
	s, err := readStore(d, src)
	if err != nil {
		return nil, 0, err
	}
	return s, src.off, nil
}

// readStore decodes a store through d; its trailing checksum is read from
// tail (d's reader without the checksum layer).
func readStore(d *decoder, tail io.Reader) (*Store, error) {
	s := NewStore()
	var magic [8]byte
	if d.full(magic[:]) && string(magic[:]) != snapMagic {
		d.corrupt("not a suppression snapshot (magic %q)", magic[:])
	}
	if v := d.u32(); d.err == nil && v != snapVersion {
		d.corrupt("format version %d, this build reads %d", v, snapVersion)
	}
	s.version = d.u64()
	s.changesFloor = s.version // the log starts here
	s.listsVersion = d.u64()
	if d.err == nil && s.listsVersion > s.version {
		d.corrupt("lists version %d after store version %d", s.listsVersion, s.version)
	}

	var builds dictBuilds
	defer builds.wait() // on every path: no build outlives the call
	nd := d.u8()
	prev := contactkey.Kind(0)
	for range nd {
		if d.err != nil {
			break
		}
		k := contactkey.Kind(d.u8())
		if d.err == nil && (!k.Valid() || !k.Hashed() || k <= prev) {
			d.corrupt("dictionary kind %d", uint8(k))
		}
		prev = k
		if d.err != nil {
			break
		}
		var (
			left int64
			err  error
		)
		if d.limit > 0 {
			left = max(d.limit-d.r.n, 1)
		}
		var (
			dict  *contactkey.Dictionary
			build func() error
		)
		if d.src != nil {
			var n int
			dict, build, n, err = contactkey.DictionaryFromBytes(d.src.b[d.src.off:], d.r.checked)
			if err == nil {
				if !d.r.checked {
					d.r.crc = crc32.Update(d.r.crc, castagnoli, d.src.b[d.src.off:d.src.off+n])
				}
				d.src.off += n
				d.r.n += int64(n)
			}
		} else {
			dict, build, err = contactkey.ReadDictionaryDeferred(d.r, left)
		}
		if err != nil {
			if errors.Is(err, contactkey.ErrCorruptDictionary) {
				d.corrupt("%s dictionary: %v", k, err)
			} else {
				d.err = err
			}
			break
		}
		s.dicts[k] = dict
		builds.start(k, d.r.n, build)
	}
	if d.err == nil && int(nd) != len(contactkey.Kinds)-1 {
		d.corrupt("%d dictionaries, want %d", nd, len(contactkey.Kinds)-1)
	}

	nl := d.u32()
	prevName := ""
	for i := uint32(0); i < nl && d.err == nil; i++ {
		var sp ListSpec
		sp.Name = d.str("list name", maxNameLen)
		sp.Kind = contactkey.Kind(d.u8())
		sp.Type = ListType(d.u8())
		sp.Channels = ChannelSet(d.u8())
		sp.Purposes = d.purposes("list purposes")
		sp.Source = d.str("list source", 64)
		sp.Description = d.str("list description", MaxDescriptionLen)
		if d.err != nil {
			break
		}
		if err := sp.Validate(); err != nil {
			d.corrupt("%v", err)
			break
		}
		if i > 0 && sp.Name <= prevName {
			d.corrupt("list %q after %q: not in name order", sp.Name, prevName)
			break
		}
		prevName = sp.Name
		l := &List{spec: sp, dict: s.dicts[sp.Kind]}
		l.version = d.u64()
		l.createdAt = int64(d.u64())
		l.updatedAt = int64(d.u64())
		if d.err == nil && l.version > s.listsVersion {
			d.corrupt("list %q at version %d, lists at %d", sp.Name, l.version, s.listsVersion)
		}
		l.entries = d.readSet(sp.Kind == contactkey.KindPhone, sp.Name)
		if d.err != nil {
			break
		}
		if m, ok := l.entries.maximum(); ok && l.dict != nil && m >= uint64(l.dict.Len()) {
			d.corrupt("list %q holds id %d, the %s dictionary has %d", sp.Name, m, sp.Kind, l.dict.Len())
			break
		}
		ne := d.u64()
		if d.err == nil && ne > l.entries.card {
			d.corrupt("list %q: %d expiries for %d entries", sp.Name, ne, l.entries.card)
		}
		for j := uint64(0); j < ne && d.err == nil; j++ {
			v, at := d.u64(), int64(d.u64())
			if d.err != nil {
				break
			}
			if j > 0 && v <= l.exp.keys[j-1] || at == 0 || !l.entries.contains(v) {
				d.corrupt("list %q: expiry %d of value %d", sp.Name, j, v)
				break
			}
			l.exp.keys = append(l.exp.keys, v)
			l.exp.at = append(l.exp.at, at)
		}
		s.lists[sp.Name] = l
	}

	// The opt-outs below look keys up in the dictionaries.
	if err := builds.wait(); err != nil && d.err == nil {
		d.err = err
	}
	nk := d.u64()
	var prevKey contactkey.Key
	var ids [contactkey.KindAddress + 1][]uint64
	for i := uint64(0); i < nk && d.err == nil; i++ {
		k := contactkey.Key{Kind: contactkey.Kind(d.u8()), V: d.u64()}
		ne := d.u32()
		if d.err != nil {
			break
		}
		if !k.Kind.Valid() || i > 0 && compareKeys(prevKey, k) >= 0 || ne == 0 {
			d.corrupt("opt-out key %d (%s %d, %d events)", i, k.Kind, k.V, ne)
			break
		}
		prevKey = k
		var evs []OptEvent
		for j := uint32(0); j < ne && d.err == nil; j++ {
			var ev OptEvent
			ev.Version = d.u64()
			ev.At = int64(d.u64())
			ev.Channels = ChannelSet(d.u8())
			ev.Purposes = d.purposes("opt-out purposes")
			ev.Source = d.str("opt-out source", 64)
			switch d.u8() {
			case 0:
			case 1:
				ev.OptIn = true
			default:
				d.corrupt("opt-out flag")
			}
			ev.Evidence = d.str("evidence", MaxEvidenceLen)
			if d.err != nil {
				break
			}
			switch {
			case !ev.Channels.Valid(), !ValidSource(ev.Source), ev.OptIn && ev.Evidence == "":
				d.corrupt("opt-out event %d of %s %d", j, k.Kind, k.V)
			case ev.Version > s.version, j > 0 && ev.Version < evs[j-1].Version:
				d.corrupt("opt-out event %d of %s %d at version %d", j, k.Kind, k.V, ev.Version)
			}
			evs = append(evs, ev)
		}
		if d.err != nil {
			break
		}
		s.optouts[k] = evs
		for _, ev := range evs {
			for _, n := range ev.Purposes.Names {
				s.optPurposes[n]++
			}
		}
		if k.Kind == contactkey.KindPhone {
			ids[k.Kind] = append(ids[k.Kind], k.V) // ascending: keys come in order
			continue
		}
		id, ok := s.dicts[k.Kind].Lookup(k.V)
		if !ok {
			d.corrupt("opt-out %s key %#x has no dictionary id", k.Kind, k.V)
			break
		}
		ids[k.Kind] = append(ids[k.Kind], uint64(id))
	}
	for _, k := range contactkey.Kinds {
		if len(ids[k]) > 0 {
			radixSort(ids[k], nil, nil, nil)
			s.optIndex[k] = buildKeyIndex(k == contactkey.KindPhone, ids[k])
		}
	}

	if d.err == nil {
		want := d.r.crc
		var tail4 [4]byte
		if _, err := io.ReadFull(tail, tail4[:]); err != nil {
			d.corrupt("truncated checksum")
		} else if got := binary.LittleEndian.Uint32(tail4[:]); got != want && !d.r.checked {
			d.corrupt("checksum mismatch (stored %08x, computed %08x)", got, want)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
}

// dictBuilds runs the dictionaries' table builds beside the decoder.
type dictBuilds struct {
	wg   sync.WaitGroup
	errs [contactkey.KindAddress + 1]error // by kind: each build writes its own
}

// start runs build; a duplicate it finds is reported as corruption of
// the kind's dictionary, which ended at byte end.
func (b *dictBuilds) start(k contactkey.Kind, end int64, build func() error) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := build(); err != nil {
			b.errs[k] = fmt.Errorf("%w at byte %d: %s dictionary: %v", ErrCorruptSnapshot, end, k, err)
		}
	}()
}

// wait returns once every build is done, with the first error in kind
// order (builds finish in any order; the answer does not depend on it).
func (b *dictBuilds) wait() error {
	b.wg.Wait()
	for _, err := range b.errs {
		if err != nil {
			return err
		}
	}
	return nil
}
