package contactkey

import (
	"errors"
	"fmt"
)

// ErrInvalidKey is matched (errors.Is) by every *KeyError: the input could
// not be turned into a key of its kind.
var ErrInvalidKey = errors.New("invalid contact key")

// ErrUnknownRegion is wrapped by NewNormalizer when the default region is not
// one the phone metadata knows.
var ErrUnknownRegion = errors.New("unknown phone region")

// Reason codes of a KeyError. They are stable: callers write them into
// rejected-row files and count by them.
const (
	ReasonEmpty              = "empty"                // nothing but white space
	ReasonLettersInPhone     = "letters_in_phone"     // letters (vanity numbers, "ext.", "tel:") are not accepted
	ReasonNotANumber         = "not_a_number"         // too few digits or characters that are no phone punctuation
	ReasonTooShort           = "too_short"            // fewer digits than any number of that country (or a local-only number)
	ReasonTooLong            = "too_long"             // more digits than any number of that country
	ReasonInvalidLength      = "invalid_length"       // a digit count that country does not use
	ReasonUnknownCountryCode = "unknown_country_code" // the international prefix is followed by no known country code
	ReasonInvalidNumber      = "invalid_number"       // right length, but no number range of that country matches
	ReasonMalformedEmail     = "malformed_email"      // no single @, or a bad local part
	ReasonEmailTooLong       = "email_too_long"       // local part > 64 or address > 254 bytes
	ReasonInvalidDomain      = "invalid_domain"       // domain is not a valid host name with a dot
	ReasonControlChars       = "control_chars"        // control characters inside the value
	ReasonInvalidUTF8        = "invalid_utf8"         // bytes that are not UTF-8
	ReasonTooLongText        = "too_long_text"        // address or customer id longer than the limit
	ReasonUnknownKind        = "unknown_kind"         // Kind is none of the defined kinds
)

// KeyError says why an input could not be normalised.
type KeyError struct {
	Kind   Kind
	Input  string // the raw input, cut to a bounded length
	Reason string // one of the Reason* codes
	Detail string // plain words for people; may be empty
}

// maxErrorInput bounds how much of a rejected input an error carries, so a
// multi-megabyte garbage cell does not end up in logs whole.
const maxErrorInput = 120

func newKeyError(kind Kind, input string, reason, detail string) *KeyError {
	if len(input) > maxErrorInput {
		cut := maxErrorInput
		for cut > 0 && input[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		input = input[:cut] + "…"
	}
	return &KeyError{Kind: kind, Input: input, Reason: reason, Detail: detail}
}

func (e *KeyError) Error() string {
	msg := reasonText[e.Reason]
	if msg == "" {
		msg = e.Reason
	}
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return fmt.Sprintf("invalid %s %q: %s", e.Kind, e.Input, msg)
}

// Is makes errors.Is(err, ErrInvalidKey) true for every KeyError.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

var reasonText = map[string]string{
	ReasonEmpty:              "it is empty",
	ReasonLettersInPhone:     "a phone number must not contain letters",
	ReasonNotANumber:         "it is not a phone number",
	ReasonTooShort:           "too few digits for a phone number of that country",
	ReasonTooLong:            "too many digits for a phone number of that country",
	ReasonInvalidLength:      "no phone number of that country has that many digits",
	ReasonUnknownCountryCode: "the country calling code is unknown",
	ReasonInvalidNumber:      "not a valid phone number (no number range of that country matches)",
	ReasonMalformedEmail:     "not a well-formed e-mail address",
	ReasonEmailTooLong:       "the e-mail address is too long",
	ReasonInvalidDomain:      "the e-mail domain is not a valid host name",
	ReasonControlChars:       "it contains control characters",
	ReasonInvalidUTF8:        "it is not valid UTF-8 text",
	ReasonTooLongText:        "it is too long",
	ReasonUnknownKind:        "unknown key kind",
}
