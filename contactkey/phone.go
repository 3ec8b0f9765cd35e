package contactkey

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unsafe"

	"github.com/nyaruka/phonenumbers"
)

// Normalizer turns raw contact points into canonical keys. Phone numbers
// written without a country code are read as numbers of its default region.
// It is safe for concurrent use.
type Normalizer struct {
	region string
	def    *regionTables
	tables *phoneTables
}

// NewNormalizer returns a Normalizer whose default region is an ISO 3166
// alpha-2 code ("CN", "US", "GB", ...; case does not matter). Every region
// libphonenumber has metadata for is accepted.
func NewNormalizer(defaultRegion string) (*Normalizer, error) {
	t, err := loadPhoneTables()
	if err != nil {
		return nil, err
	}
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	def := t.regions[region]
	if def == nil {
		return nil, fmt.Errorf("%w %q (want an ISO 3166 alpha-2 code such as CN, US or GB)", ErrUnknownRegion, defaultRegion)
	}
	// Compile the default region now, so a broken table shows at start-up
	// rather than on the first row (it cannot break with the shipped
	// metadata: a test compiles every region).
	if err := def.ready(); err != nil {
		return nil, fmt.Errorf("phone tables for %s: %w", region, err)
	}
	return &Normalizer{region: region, def: def, tables: t}, nil
}

// Region is the default region, upper case.
func (n *Normalizer) Region() string { return n.region }

// Internal phone outcome codes: the hot path carries these instead of
// errors, and makes a *KeyError only when it returns one.
type phoneReason uint8

const (
	prOK phoneReason = iota
	prEmpty
	prLetters
	prNotANumber
	prTooShort
	prTooLong
	prInvalidLength
	prUnknownCountryCode
	prInvalidNumber
)

var phoneReasonCodes = [...]string{
	prOK:                 "",
	prEmpty:              ReasonEmpty,
	prLetters:            ReasonLettersInPhone,
	prNotANumber:         ReasonNotANumber,
	prTooShort:           ReasonTooShort,
	prTooLong:            ReasonTooLong,
	prInvalidLength:      ReasonInvalidLength,
	prUnknownCountryCode: ReasonUnknownCountryCode,
	prInvalidNumber:      ReasonInvalidNumber,
}

func (r phoneReason) String() string { return phoneReasonCodes[r] }

const (
	maxInputLength = phonenumbers.MAX_INPUT_STRING_LENGTH // longer input is "too long" to the library
	minNSNLength   = phonenumbers.MIN_LENGTH_FOR_NSN
	maxNSNLength   = phonenumbers.MAX_LENGTH_FOR_NSN
	maxFastDigits  = 32 // more digits than this go to the library (never valid anyway)
)

// Phone returns the E.164 number raw denotes, as the integer of its digits
// (+86 21 6234 5678 → 862162345678), or a *KeyError saying why it is not a
// valid number.
//
// Surrounding white space is ignored. Letters are rejected (no vanity
// numbers, no "ext."/"tel:"). Otherwise the answer is exactly what
// libphonenumber's Parse(raw, region) + IsValidNumber gives; an extension
// the library finds without letters ("... 1234 #56") is dropped, since
// suppression is by line. Inputs of ASCII digits, spaces, - . ( ) / and a
// leading + are decided without calling the library and without
// allocating; anything else (full-width digits, other symbols) is handed
// to the library.
func (n *Normalizer) Phone(raw []byte) (uint64, error) {
	s := bytes.TrimSpace(raw)
	v, r, decided := n.phoneFast(s)
	if !decided {
		v, r = n.phoneSlow(string(s))
	}
	if r != prOK {
		return 0, n.phoneError(s, r)
	}
	return v, nil
}

// PhoneString is Phone for a string, returning the "+E.164" text.
func (n *Normalizer) PhoneString(raw string) (string, error) {
	v, err := n.Phone(unsafe.Slice(unsafe.StringData(raw), len(raw)))
	if err != nil {
		return "", err
	}
	return FormatPhone(v), nil
}

// FormatPhone writes a phone key back as "+E.164" text.
func FormatPhone(v uint64) string {
	var b [24]byte
	b[0] = '+'
	return string(strconv.AppendUint(b[:1], v, 10))
}

func (n *Normalizer) phoneError(s []byte, r phoneReason) error {
	detail := ""
	switch r {
	case prTooShort, prTooLong, prInvalidLength, prInvalidNumber:
		detail = "default region " + n.region
	}
	return newKeyError(KindPhone, string(s), r.String(), detail)
}

// phoneSlow asks the library. It is the reference the fast path is tested
// against, and the fallback for everything the fast path leaves undecided.
func (n *Normalizer) phoneSlow(s string) (v uint64, r phoneReason) {
	if s == "" {
		return 0, prEmpty
	}
	for _, c := range s {
		if unicode.IsLetter(c) {
			return 0, prLetters
		}
	}
	defer func() {
		// Fail closed on a library bug: a row we cannot read is rejected,
		// never let through and never allowed to stop a whole scrub.
		if recover() != nil {
			v, r = 0, prNotANumber
		}
	}()
	num, err := phonenumbers.Parse(s, n.region)
	switch err {
	case nil:
	case phonenumbers.ErrInvalidCountryCode:
		return 0, prUnknownCountryCode
	case phonenumbers.ErrTooShortAfterIDD, phonenumbers.ErrTooShortNSN:
		return 0, prTooShort
	case phonenumbers.ErrNumTooLong:
		return 0, prTooLong
	default:
		return 0, prNotANumber
	}
	if !phonenumbers.IsValidNumber(num) {
		return 0, possibleReason(phonenumbers.IsPossibleNumberWithReason(num))
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	return e164Value(int(num.GetCountryCode()), []byte(nsn))
}

func possibleReason(v phonenumbers.ValidationResult) phoneReason {
	switch v {
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return prTooShort
	case phonenumbers.TOO_LONG:
		return prTooLong
	case phonenumbers.INVALID_LENGTH:
		return prInvalidLength
	case phonenumbers.INVALID_COUNTRY_CODE:
		return prUnknownCountryCode
	}
	return prInvalidNumber
}

func lengthReason(l lengthResult) phoneReason {
	switch l {
	case lenTooShort, lenPossibleLocalOnly:
		return prTooShort
	case lenTooLong:
		return prTooLong
	case lenInvalid:
		return prInvalidLength
	}
	return prInvalidNumber
}

// e164Value is the integer of cc followed by the national digits. A valid
// number has at most 15 digits (E.164); 19 always fit in a uint64.
func e164Value(cc int, nsn []byte) (uint64, phoneReason) {
	ndigits := len(nsn) + 1
	if cc >= 10 {
		ndigits++
	}
	if cc >= 100 {
		ndigits++
	}
	if ndigits > 19 {
		return 0, prTooLong
	}
	v := uint64(cc)
	for _, c := range nsn {
		v = v*10 + uint64(c-'0')
	}
	return v, prOK
}

// phoneFast decides the common inputs — ASCII digits with the usual
// punctuation and an optional leading + — by re-enacting libphonenumber's
// parseHelper step by step on tables compiled from its metadata, followed
// by IsValidNumber. decided is false when the input has anything else in
// it; the caller then asks the library.
func (n *Normalizer) phoneFast(s []byte) (v uint64, r phoneReason, decided bool) {
	if len(s) == 0 {
		return 0, prEmpty, true
	}
	var buf [maxFastDigits]byte
	nd, start := 0, -1
	plus, odd := false, false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			if start < 0 {
				start = i
			}
			if nd < len(buf) {
				buf[nd] = c
			}
			nd++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		case c == '+' && start < 0:
			start, plus = i, true
		case c|0x20 >= 'a' && c|0x20 <= 'z':
			return 0, prLetters, true
		default:
			// Non-ASCII (which may hide a letter or a full-width digit),
			// a second +, #, *, ~, [, ;, control characters...
			odd = true
		}
	}
	if odd {
		return 0, 0, false
	}
	if len(s) > maxInputLength {
		return 0, prTooLong, true
	}
	if nd > len(buf) {
		return 0, 0, false
	}
	// extractPossibleNumber drops what precedes the first digit or +;
	// isViablePhoneNumber wants exactly two bare digits or at least three.
	if start < 0 || !(nd >= 3 || (!plus && nd == 2 && len(s)-start == 2)) {
		return 0, prNotANumber, true
	}
	digits := buf[:nd]
	def := n.def

	var scratch [2][maxFastDigits + 16]byte
	cc, national, r := n.extractCountryCode(digits, plus, &scratch[0])
	if r == prUnknownCountryCode && plus {
		// parseHelper tries once more without the plus sign.
		cc, national, r = n.extractCountryCode(digits, false, &scratch[0])
		if r == prOK && cc == 0 {
			r = prUnknownCountryCode
		}
	}
	if r != prOK {
		return 0, r, true
	}
	meta := def
	nsn := national
	if cc != 0 {
		c := n.tables.byCC[cc]
		if c.mainID != n.region {
			meta = c.main
		}
	} else {
		nsn = digits
		cc = def.cc
	}
	if len(nsn) < minNSNLength {
		return 0, prTooShort, true
	}
	if meta != nil {
		if err := meta.ready(); err != nil {
			return 0, 0, false
		}
		potential := meta.stripNationalPrefix(nsn, scratch[1][:0])
		switch meta.lengthOf(len(potential)) {
		case lenPossible, lenTooLong:
			nsn = potential
		}
	}
	if len(nsn) < minNSNLength {
		return 0, prTooShort, true
	}
	if len(nsn) > maxNSNLength {
		return 0, prTooLong, true
	}

	c := n.tables.byCC[cc]
	ok, err := c.valid(nsn)
	if err != nil {
		return 0, 0, false
	}
	if !ok {
		if c.main == nil || c.main.ready() != nil {
			return 0, 0, false
		}
		return 0, lengthReason(c.main.lengthOf(len(nsn))), true
	}
	v, r = e164Value(cc, nsn)
	return v, r, true
}

// extractCountryCode is maybeExtractCountryCode: a leading + or the default
// region's international prefix must be followed by a known calling code;
// without either, a number that starts with the default region's own code
// loses it only if that makes it fit the region better. cc is 0 when the
// number is national.
func (n *Normalizer) extractCountryCode(digits []byte, plus bool, scratch *[maxFastDigits + 16]byte) (cc int, national []byte, r phoneReason) {
	def := n.def
	full := digits
	international := plus
	if !plus {
		// parsePrefixAsIdd: strip the prefix unless a 0 follows it
		// (calling codes never start with 0).
		if end, ok := def.idd.matchEnd(full); ok && (end == len(full) || full[end] != '0') {
			full = full[end:]
			international = true
		}
	}
	if international {
		if len(full) <= minNSNLength {
			return 0, nil, prTooShort
		}
		if full[0] == '0' {
			return 0, nil, prUnknownCountryCode
		}
		code := 0
		for i := 0; i < 3 && i < len(full); i++ {
			code = code*10 + int(full[i]-'0')
			if n.tables.byCC[code] != nil {
				return code, full[i+1:], prOK
			}
		}
		return 0, nil, prUnknownCountryCode
	}
	if cd := def.ccDigits; len(full) >= len(cd) && string(full[:len(cd)]) == cd {
		potential := def.stripNationalPrefix(full[len(cd):], scratch[:0])
		fullValid := def.generalMatches(full)
		nationalValid := def.generalMatches(potential)
		if (!fullValid && nationalValid) || def.lengthOf(len(full)) == lenTooLong {
			return def.cc, potential, prOK
		}
	}
	return 0, nil, prOK
}

// stripNationalPrefix is maybeStripNationalPrefixAndCarrierCode: remove (or
// transform) a national prefix, unless that turns a number that fitted the
// region's general pattern into one that does not. The result is number
// itself, a suffix of it, or built in out.
func (r *regionTables) stripNationalPrefix(number, out []byte) []byte {
	if len(number) == 0 || r.npfp == nil {
		return number
	}
	if r.transform == nil {
		end, ok := r.npfp.matchEnd(number)
		if !ok {
			return number
		}
		if r.generalMatches(number) && !r.generalMatches(number[end:]) {
			return number
		}
		return number[end:]
	}
	var caps [maxBTCaps]int
	if !r.npfp.match(number, &caps) {
		return number
	}
	if caps[2*r.lastGroup] < 0 {
		end := caps[1]
		if r.generalMatches(number) && !r.generalMatches(number[end:]) {
			return number
		}
		return number[end:]
	}
	for _, p := range r.transform {
		switch {
		case p.group < 0:
			out = append(out, p.lit...)
		case 2*p.group+1 < r.npfp.ncap && caps[2*p.group] >= 0:
			out = append(out, number[caps[2*p.group]:caps[2*p.group+1]]...)
		}
	}
	out = append(out, number[caps[1]:]...)
	if r.generalMatches(number) && !r.generalMatches(out) {
		return number
	}
	return out
}
