package contactkey

import (
	"errors"
	"strings"
	"unsafe"
)

// ErrNoHasher is returned by Key for a hashed kind when no Hasher is given.
var ErrNoHasher = errors.New("contactkey: a Hasher is needed for hashed key kinds")

// Normalize returns the canonical text of raw as a key of the given kind:
// "+E.164" for phones, and NormalizeEmail, NormalizeAddress or
// NormalizeCustomer for the others. Normalising the result again returns
// it unchanged.
func (n *Normalizer) Normalize(kind Kind, raw string) (string, error) {
	switch kind {
	case KindPhone:
		return n.PhoneString(raw)
	case KindEmail:
		return NormalizeEmail(raw)
	case KindAddress:
		return NormalizeAddress(raw)
	case KindCustomer:
		return NormalizeCustomer(raw)
	}
	return "", newKeyError(kind, raw, ReasonUnknownKind, "")
}

// Key is the one entry point import, check and scrub use: normalise raw as
// a key of the given kind and, for the hashed kinds, hash it with h. Phones
// need no Hasher (h may be nil); their value is the E.164 integer.
func (n *Normalizer) Key(kind Kind, raw []byte, h *Hasher) (Key, error) {
	if kind == KindPhone {
		v, err := n.Phone(raw)
		if err != nil {
			return Key{}, err
		}
		return Key{Kind: KindPhone, V: v}, nil
	}
	if !kind.Valid() {
		return Key{}, newKeyError(kind, string(raw), ReasonUnknownKind, "")
	}
	if h == nil {
		return Key{}, ErrNoHasher
	}
	// The normalisers never keep their argument, so raw is not copied.
	s := unsafe.String(unsafe.SliceData(raw), len(raw))
	var v uint64
	var err error
	switch kind {
	case KindEmail:
		v, err = emailHash(s, h)
	case KindAddress:
		v, err = addressHash(s, h)
	default:
		var text string
		if text, err = n.Normalize(kind, s); err == nil {
			v = h.Sum(kind, text)
		}
	}
	if err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			ke.Input = strings.Clone(ke.Input) // it aliased raw
		}
		return Key{}, err
	}
	return Key{Kind: kind, V: v}, nil
}

// emailHash is h.Sum(KindEmail, NormalizeEmail(raw)) without the string:
// the common ASCII address is hashed in place, lower-cased as it is read.
func emailHash(raw string, h *Hasher) (uint64, error) {
	s := strings.TrimSpace(raw)
	end, _, ok := scanASCIIEmail(s)
	if !ok {
		text, err := NormalizeEmail(raw)
		if err != nil {
			return 0, err
		}
		return h.Sum(KindEmail, text), nil
	}
	return h.sumLowerASCII(KindEmail, s[:end]), nil
}

// addressHash is h.Sum(KindAddress, NormalizeAddress(raw)), folded into a
// stack buffer.
func addressHash(raw string, h *Hasher) (uint64, error) {
	var buf [addressStackBuf]byte
	out, err := appendAddress(buf[:0], raw)
	if err != nil {
		return 0, err
	}
	return h.SumBytes(KindAddress, out), nil
}
