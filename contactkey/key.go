package contactkey

import (
	"fmt"
	"strings"
)

// Kind is what a subject key identifies. The numeric values are part of the
// journal and snapshot formats: never renumber them.
type Kind uint8

const (
	KindCustomer Kind = 1 // the CRM's own customer id
	KindPhone    Kind = 2 // E.164 number, kept as the integer of its digits
	KindEmail    Kind = 3 // normalised address, kept as a keyed hash
	KindAddress  Kind = 4 // normalised postal address, kept as a keyed hash
)

// Kinds lists every kind in a fixed order (used wherever output must be
// deterministic).
var Kinds = []Kind{KindCustomer, KindPhone, KindEmail, KindAddress}

func (k Kind) String() string {
	switch k {
	case KindCustomer:
		return "customer"
	case KindPhone:
		return "phone"
	case KindEmail:
		return "email"
	case KindAddress:
		return "address"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k >= KindCustomer && k <= KindAddress }

// Hashed reports whether keys of this kind are stored as keyed hashes and
// therefore need a dense-id dictionary to live in a 32-bit bitmap.
func (k Kind) Hashed() bool { return k != KindPhone }

// ParseKind reads a kind name as written on the command line or in a file.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "customer", "customer_id", "customerid":
		return KindCustomer, nil
	case "phone", "tel", "telephone", "msisdn":
		return KindPhone, nil
	case "email", "e-mail", "mail_address":
		return KindEmail, nil
	case "address", "postal", "postal_address":
		return KindAddress, nil
	}
	return 0, fmt.Errorf("unknown key kind %q (want customer, phone, email or address)", s)
}

// Key is a normalised subject key as the suppression sets see it.
//
// For KindPhone, V is the E.164 number's digits read as an integer
// (+86 21 6234 5678 → 862162345678). For every other kind, V is the 64-bit
// keyed hash of the normalised text (see Hasher); the plaintext is never kept.
type Key struct {
	Kind Kind
	V    uint64
}
