package suppression

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hushcrm/hush/contactkey"
)

// ListType says whether a list denies contact or grants it.
type ListType uint8

const (
	// Deny lists suppress the subjects they hold.
	Deny ListType = 1
	// Consent lists hold the subjects who agreed: where one applies, a
	// subject not in it is suppressed.
	Consent ListType = 2
)

func (t ListType) String() string {
	switch t {
	case Deny:
		return "deny"
	case Consent:
		return "consent"
	}
	return fmt.Sprintf("list_type(%d)", uint8(t))
}

// Valid reports whether t is Deny or Consent.
func (t ListType) Valid() bool { return t == Deny || t == Consent }

// ParseListType reads "deny" or "consent".
func ParseListType(s string) (ListType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "deny":
		return Deny, nil
	case "consent":
		return Consent, nil
	}
	return 0, fmt.Errorf("%w %q (want deny or consent)", ErrUnknownListType, s)
}

// Well-known list sources. Others are allowed when identifier-shaped
// ([a-z][a-z0-9_]{0,63}).
const (
	SourceCustomerRequest  = "customer_request"
	SourceNationalRegistry = "national_registry"
	SourceComplaint        = "complaint"
	SourceBounce           = "bounce"
	SourceLitigator        = "litigator"
	SourceLegalHold        = "legal_hold"
	SourcePartner          = "partner"
	SourceInternal         = "internal"
)

// StickySource reports whether entries from this source are refusals a
// customer made, which no import may undo.
func StickySource(source string) bool {
	return source == SourceCustomerRequest || source == SourceComplaint
}

// ValidSource reports whether source has the shape of a source name.
func ValidSource(source string) bool { return identifier(source, 64) }

// Limits on the free-text parts of specs and events: they live in every
// snapshot, so they are bounded.
const (
	MaxDescriptionLen = 4096
	MaxEvidenceLen    = 16 << 10
	maxNameLen        = 64
)

// ValidListName reports whether name matches [a-z0-9][a-z0-9_.-]{0,63}.
func ValidListName(name string) bool {
	if len(name) == 0 || len(name) > maxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if i > 0 {
			ok = ok || c == '_' || c == '.' || c == '-'
		}
		if !ok {
			return false
		}
	}
	return true
}

// ListSpec describes a list: what it holds and where it applies.
type ListSpec struct {
	Name        string
	Kind        contactkey.Kind
	Type        ListType
	Channels    ChannelSet
	Purposes    PurposeSet
	Source      string
	Description string
}

// Validate checks the spec's shape. Errors wrap ErrInvalidSpec.
func (s ListSpec) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: list %q: %s", ErrInvalidSpec, s.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case !ValidListName(s.Name):
		return bad("name must match [a-z0-9][a-z0-9_.-]{0,63}")
	case !s.Kind.Valid():
		return bad("unknown key kind %d", uint8(s.Kind))
	case !s.Type.Valid():
		return bad("unknown list type %d", uint8(s.Type))
	case !s.Channels.Valid():
		return bad("channels %#x: need at least one of call, sms, email, mail, push", uint8(s.Channels))
	case !ValidSource(s.Source):
		return bad("source %q must match [a-z][a-z0-9_]{0,63}", s.Source)
	case len(s.Description) > MaxDescriptionLen:
		return bad("description longer than %d bytes", MaxDescriptionLen)
	case !utf8.ValidString(s.Description):
		return bad("description is not UTF-8")
	}
	if err := s.Purposes.validate(); err != nil {
		return fmt.Errorf("%w: list %q: %w", ErrInvalidSpec, s.Name, err)
	}
	return nil
}

// Sticky reports whether the list holds customer-made refusals.
func (s ListSpec) Sticky() bool { return s.Type == Deny && StickySource(s.Source) }

// List is one published version of a named list. It never changes: the
// Store replaces it with a new *List on every change, so holders of an
// old pointer keep a consistent view.
type List struct {
	spec      ListSpec
	version   uint64 // journal seq of the last change to spec or content
	createdAt int64  // unix nanoseconds
	updatedAt int64
	entries   *frozen
	exp       expiries
	dict      *contactkey.Dictionary // nil for phone lists

	digestOnce sync.Once
	digest     [32]byte

	// dense: the entries as a bitset over dictionary ids, for batch
	// decisions (denseBits); built on first use.
	denseOnce sync.Once
	dense     []uint64
}

// containers is the number of roaring containers of the entries.
func (l *List) containers() uint64 { return l.entries.ncont }

// Spec returns the list's spec. Its Purposes.Names must not be modified.
func (l *List) Spec() ListSpec { return l.spec }

// Name is the list's name.
func (l *List) Name() string { return l.spec.Name }

// Version is the journal sequence number of the record that last changed
// the list (its creation, or a commit or opt-in that changed its content).
func (l *List) Version() uint64 { return l.version }

// CreatedAt is when the list was created.
func (l *List) CreatedAt() time.Time { return time.Unix(0, l.createdAt).UTC() }

// UpdatedAt is when the list's content last changed (CreatedAt before any
// change). Every entry of this version has been on the list at least since
// then: it is the Since of a Reason from this list.
func (l *List) UpdatedAt() time.Time { return time.Unix(0, l.updatedAt).UTC() }

// Len is the number of entries (expired ones included).
func (l *List) Len() uint64 { return l.entries.card }

// Expiring is the number of entries that carry an expiry.
func (l *List) Expiring() int { return l.exp.len() }

// value maps a key to the list's bitmap value; ok is false when the key
// cannot be in the list (another kind, or a hash with no dictionary id).
// It never grows the dictionary.
func (l *List) value(key contactkey.Key) (uint64, bool) {
	if key.Kind != l.spec.Kind {
		return 0, false
	}
	if l.dict == nil {
		return key.V, true
	}
	id, ok := l.dict.Lookup(key.V)
	return uint64(id), ok
}

// Contains reports whether key is an entry of the list, expired or not.
// For hashed kinds it reads the store's dictionary, so it needs the
// engine's read lock like Decide.
func (l *List) Contains(key contactkey.Key) bool {
	v, ok := l.value(key)
	return ok && l.entries.contains(v)
}

// Entry reports whether key is an entry and when it expires (0: never).
func (l *List) Entry(key contactkey.Key) (expires int64, ok bool) {
	v, ok := l.value(key)
	if !ok || !l.entries.contains(v) {
		return 0, false
	}
	return l.exp.lookup(v), true
}

// active reports whether v is an entry that has not expired at at.
func (l *List) active(v uint64, at int64) bool {
	return l.entries.contains(v) && l.unexpired(v, at)
}

// unexpired reports whether the entry v, if it is one, has not expired
// at at.
func (l *List) unexpired(v uint64, at int64) bool {
	e := l.exp.lookup(v)
	return e == 0 || e > at
}

// MemoryBytes estimates the memory the list's entries and expiries hold.
func (l *List) MemoryBytes() uint64 {
	return l.entries.sizeBytes() + uint64(cap(l.exp.keys))*8 + uint64(cap(l.exp.at))*8
}

// Digest is the SHA-256 of the list's canonical content: its kind, its
// bitmap in the portable roaring format (containers in their smallest
// form), and its expiries. It does not cover the name, spec or version, so
// two lists with the same entries have the same digest. For hashed kinds
// the bitmap holds dictionary ids, which the journal determines. Computed
// once per version; safe for concurrent readers.
func (l *List) Digest() [32]byte {
	l.digestOnce.Do(func() {
		h := sha256.New()
		var hdr [1 + 8 + 8]byte
		hdr[0] = byte(l.spec.Kind)
		binary.LittleEndian.PutUint64(hdr[1:], uint64(len(l.entries.data)))
		binary.LittleEndian.PutUint64(hdr[9:], uint64(l.exp.len()))
		h.Write(hdr[:])
		h.Write(l.entries.data)
		var b bytes.Buffer
		for i := range l.exp.keys {
			var p [16]byte
			binary.LittleEndian.PutUint64(p[:], l.exp.keys[i])
			binary.LittleEndian.PutUint64(p[8:], uint64(l.exp.at[i]))
			b.Write(p[:])
			if b.Len() >= 1<<16 {
				h.Write(b.Bytes())
				b.Reset()
			}
		}
		h.Write(b.Bytes())
		h.Sum(l.digest[:0])
	})
	return l.digest
}

// with returns a new version of l with other entries.
func (l *List) with(entries *frozen, exp expiries, version uint64, at int64) *List {
	return &List{
		spec:      l.spec,
		version:   version,
		createdAt: l.createdAt,
		updatedAt: at,
		entries:   entries,
		exp:       exp,
		dict:      l.dict,
	}
}
