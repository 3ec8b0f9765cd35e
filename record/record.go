package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Type identifies a record. The numbers are part of the on-disk format.
type Type uint8

const (
	TypeInit         Type = 1
	TypeListCreate   Type = 2
	TypeListDelete   Type = 3
	TypeImportBegin  Type = 4
	TypeImportChunk  Type = 5
	TypeImportCommit Type = 6
	TypeImportAbort  Type = 7
	TypeOptOut       Type = 8
)

func (t Type) String() string {
	if k, ok := kinds[t]; ok {
		return k.name
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// codecVersion is written after the type byte; decoders accept versions up
// to it and reject newer ones with ErrVersion, so an old binary never
// misreads a newer log.
const codecVersion = 1

// Record is implemented by every record value.
type Record interface {
	Type() Type
	encode(e *encoder)
	decode(d *decoder)
}

// Init is the first record of every journal. It binds the log to the
// deployment secret: a data dir opened with another secret would hash
// emails and addresses differently and silently miss every entry.
type Init struct {
	SecretFingerprint string
	CreatedAt         int64 // unix seconds
	Tool              string
}

// ListCreate defines a deny or consent list.
type ListCreate struct {
	Name        string
	Kind        uint8 // contactkey.Kind
	ListType    uint8 // suppression.ListType
	Channels    uint8 // suppression.ChannelSet
	AllPurposes bool
	Purposes    []string
	Source      string
	Description string
	At          int64
	Actor       string
}

// ListDelete removes a list.
type ListDelete struct {
	Name  string
	At    int64
	Actor string
}

// ImportBegin opens an all-or-nothing import into a list. Chunks follow;
// nothing changes until the matching ImportCommit. An import with no commit
// (the process died, or the import was aborted) leaves the list as it was.
type ImportBegin struct {
	ID     uint64
	List   string
	Mode   uint8 // suppression.ImportMode
	At     int64
	Actor  string
	Source string // file name as given, for the audit trail
}

// ImportChunk carries keys of an open import. Expires is empty or parallel
// to Keys (unix seconds, 0 = none).
type ImportChunk struct {
	ID      uint64
	Keys    []uint64
	Expires []int64
}

// ImportCommit applies an import atomically.
type ImportCommit struct {
	ID           uint64
	At           int64
	Rows         uint64 // rows read from the source
	Rejected     uint64 // rows rejected (they are in the rejected file, not here)
	SourceSHA256 []byte
}

// ImportAbort closes an import without applying it.
type ImportAbort struct {
	ID     uint64
	At     int64
	Reason string
}

// OptOut records a subject's own refusal (or, with OptIn, an explicit
// opt-back-in with evidence) for a scope.
type OptOut struct {
	Kind        uint8
	Key         uint64
	Channels    uint8
	AllPurposes bool
	Purposes    []string
	Source      string
	Evidence    string
	OptIn       bool
	At          int64
	Actor       string
}

func (*Init) Type() Type         { return TypeInit }
func (*ListCreate) Type() Type   { return TypeListCreate }
func (*ListDelete) Type() Type   { return TypeListDelete }
func (*ImportBegin) Type() Type  { return TypeImportBegin }
func (*ImportChunk) Type() Type  { return TypeImportChunk }
func (*ImportCommit) Type() Type { return TypeImportCommit }
func (*ImportAbort) Type() Type  { return TypeImportAbort }
func (*OptOut) Type() Type       { return TypeOptOut }

// Errors callers can branch on.
var (
	ErrTruncated   = errors.New("record truncated")
	ErrUnknownType = errors.New("unknown record type")
	ErrVersion     = errors.New("record codec version is newer than this binary")
	ErrTrailing    = errors.New("trailing bytes after record")
	ErrInvalid     = errors.New("invalid record field")
)

// Encode appends the bytes of r to dst.
func Encode(dst []byte, r Record) []byte {
	e := encoder{buf: dst}
	e.buf = append(e.buf, byte(r.Type()), codecVersion)
	r.encode(&e)
	return e.buf
}

// Decode reads one record. The result does not alias b.
func Decode(b []byte) (Record, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("decode: %w (%d bytes)", ErrTruncated, len(b))
	}
	t, v := Type(b[0]), b[1]
	if v == 0 || v > codecVersion {
		return nil, fmt.Errorf("decode %s: %w (version %d)", t, ErrVersion, v)
	}
	k, ok := kinds[t]
	if !ok {
		return nil, fmt.Errorf("decode: %w %d", ErrUnknownType, b[0])
	}
	r := k.zero()
	d := decoder{buf: b[2:]}
	r.decode(&d)
	if d.err != nil {
		return nil, fmt.Errorf("decode %s: %w", t, d.err)
	}
	if len(d.buf) != 0 {
		return nil, fmt.Errorf("decode %s: %w (%d bytes)", t, ErrTrailing, len(d.buf))
	}
	return r, nil
}

func (r *Init) encode(e *encoder) {
	e.str(r.SecretFingerprint)
	e.varint(r.CreatedAt)
	e.str(r.Tool)
}
func (r *Init) decode(d *decoder) {
	r.SecretFingerprint = d.str()
	r.CreatedAt = d.varint()
	r.Tool = d.str()
}

func (r *ListCreate) encode(e *encoder) {
	e.str(r.Name)
	e.byte(r.Kind)
	e.byte(r.ListType)
	e.byte(r.Channels)
	e.bool(r.AllPurposes)
	e.strs(r.Purposes)
	e.str(r.Source)
	e.str(r.Description)
	e.varint(r.At)
	e.str(r.Actor)
}
func (r *ListCreate) decode(d *decoder) {
	r.Name = d.str()
	r.Kind = d.byte()
	r.ListType = d.byte()
	r.Channels = d.byte()
	r.AllPurposes = d.bool()
	r.Purposes = d.strs()
	r.Source = d.str()
	r.Description = d.str()
	r.At = d.varint()
	r.Actor = d.str()
}

func (r *ListDelete) encode(e *encoder) { e.str(r.Name); e.varint(r.At); e.str(r.Actor) }
func (r *ListDelete) decode(d *decoder) { r.Name = d.str(); r.At = d.varint(); r.Actor = d.str() }

func (r *ImportBegin) encode(e *encoder) {
	e.uvarint(r.ID)
	e.str(r.List)
	e.byte(r.Mode)
	e.varint(r.At)
	e.str(r.Actor)
	e.str(r.Source)
}
func (r *ImportBegin) decode(d *decoder) {
	r.ID = d.uvarint()
	r.List = d.str()
	r.Mode = d.byte()
	r.At = d.varint()
	r.Actor = d.str()
	r.Source = d.str()
}

func (r *ImportChunk) encode(e *encoder) {
	e.uvarint(r.ID)
	e.keys(r.Keys)
	e.uvarint(uint64(len(r.Expires)))
	for _, x := range r.Expires {
		e.varint(x)
	}
}
func (r *ImportChunk) decode(d *decoder) {
	r.ID = d.uvarint()
	r.Keys = d.keys()
	n := d.count(1)
	if n > 0 {
		if n != uint64(len(r.Keys)) {
			d.fail(fmt.Errorf("%w: %d expiries for %d keys", ErrInvalid, n, len(r.Keys)))
			return
		}
		r.Expires = make([]int64, n)
		for i := range r.Expires {
			r.Expires[i] = d.varint()
		}
	}
}

func (r *ImportCommit) encode(e *encoder) {
	e.uvarint(r.ID)
	e.varint(r.At)
	e.uvarint(r.Rows)
	e.uvarint(r.Rejected)
	e.bytes(r.SourceSHA256)
}
func (r *ImportCommit) decode(d *decoder) {
	r.ID = d.uvarint()
	r.At = d.varint()
	r.Rows = d.uvarint()
	r.Rejected = d.uvarint()
	r.SourceSHA256 = d.bytes()
}

func (r *ImportAbort) encode(e *encoder) { e.uvarint(r.ID); e.varint(r.At); e.str(r.Reason) }
func (r *ImportAbort) decode(d *decoder) { r.ID = d.uvarint(); r.At = d.varint(); r.Reason = d.str() }

func (r *OptOut) encode(e *encoder) {
	e.byte(r.Kind)
	e.uvarint(r.Key)
	e.byte(r.Channels)
	e.bool(r.AllPurposes)
	e.strs(r.Purposes)
	e.str(r.Source)
	e.str(r.Evidence)
	e.bool(r.OptIn)
	e.varint(r.At)
	e.str(r.Actor)
}
func (r *OptOut) decode(d *decoder) {
	r.Kind = d.byte()
	r.Key = d.uvarint()
	r.Channels = d.byte()
	r.AllPurposes = d.bool()
	r.Purposes = d.strs()
	r.Source = d.str()
	r.Evidence = d.str()
	r.OptIn = d.bool()
	r.At = d.varint()
	r.Actor = d.str()
}

type encoder struct{ buf []byte }

func (e *encoder) byte(b uint8) { e.buf = append(e.buf, b) }
func (e *encoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}
func (e *encoder) uvarint(x uint64) { e.buf = binary.AppendUvarint(e.buf, x) }
func (e *encoder) varint(x int64)   { e.buf = binary.AppendVarint(e.buf, x) }
func (e *encoder) bytes(b []byte)   { e.uvarint(uint64(len(b))); e.buf = append(e.buf, b...) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.buf = append(e.buf, s...) }
func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// keys writes zig-zag deltas so sorted runs are small but any order round-trips.
func (e *encoder) keys(ks []uint64) {
	e.uvarint(uint64(len(ks)))
	var prev uint64
	for _, k := range ks {
		e.varint(int64(k - prev))
		prev = k
	}
}

type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.buf = nil
}

func (d *decoder) byte() uint8 {
	if d.err != nil {
		return 0
	}
	if len(d.buf) < 1 {
		d.fail(ErrTruncated)
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail(fmt.Errorf("%w: boolean byte", ErrInvalid))
	return false
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(fmt.Errorf("%w: varint", ErrTruncated))
		return 0
	}
	d.buf = d.buf[n:]
	return x
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail(fmt.Errorf("%w: varint", ErrTruncated))
		return 0
	}
	d.buf = d.buf[n:]
	return x
}

// count reads a length and checks the remaining input could hold that many
// items of at least minSize bytes, so a forged length cannot make us
// allocate gigabytes.
func (d *decoder) count(minSize int) uint64 {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > math.MaxInt32 || n*uint64(minSize) > uint64(len(d.buf)) {
		d.fail(fmt.Errorf("%w: length %d exceeds remaining %d bytes", ErrTruncated, n, len(d.buf)))
		return 0
	}
	return n
}

func (d *decoder) bytes() []byte {
	n := d.count(1)
	if d.err != nil || n == 0 {
		return nil
	}
	b := append([]byte(nil), d.buf[:n]...)
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) str() string {
	n := d.count(1)
	if d.err != nil {
		return ""
	}
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.count(1)
	if d.err != nil || n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *decoder) keys() []uint64 {
	n := d.count(1)
	if d.err != nil || n == 0 {
		return nil
	}
	ks := make([]uint64, n)
	var prev uint64
	for i := range ks {
		prev += uint64(d.varint())
		ks[i] = prev
	}
	if d.err != nil {
		return nil
	}
	return ks
}
