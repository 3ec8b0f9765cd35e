package contactkey

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxCustomerID bounds a customer id; CRM ids are short.
const maxCustomerID = 256

// NormalizeCustomer returns a CRM customer id as its key text: trimmed,
// non-empty, valid UTF-8 without control characters. Ids are opaque, so
// case and inner spacing are kept.
func NormalizeCustomer(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	fail := func(reason, detail string) (string, error) {
		return "", newKeyError(KindCustomer, raw, reason, detail)
	}
	if s == "" {
		return fail(ReasonEmpty, "")
	}
	if !utf8.ValidString(s) {
		return fail(ReasonInvalidUTF8, "")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fail(ReasonControlChars, "")
		}
	}
	if len(s) > maxCustomerID {
		return fail(ReasonTooLongText, "longer than 256 bytes")
	}
	return s, nil
}
