package contactkey

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Limits of RFC 5321 (section 4.5.3.1) that mail software enforces.
const (
	maxEmailLocal  = 64
	maxEmailLength = 254
	maxDomain      = 253
	maxLabel       = 63
)

// NormalizeEmail returns the canonical form of an e-mail address: trimmed,
// local part lower-cased (and NFC), domain lower-cased and, if
// internationalised, in its ASCII (punycode) form via IDNA's lookup profile:
// " Zoë@Bücher.Example " → "zoë@xn--bcher-kva.example".
//
// Quoted local parts, IP-literal domains, comments and display names
// ("Name <a@b>") are rejected rather than guessed at. Provider-specific
// folding (dots and +tags at Gmail) is not applied: it would merge
// addresses that other providers keep apart.
func NormalizeEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	fail := func(reason, detail string) (string, error) {
		return "", newKeyError(KindEmail, raw, reason, detail)
	}
	if s == "" {
		return fail(ReasonEmpty, "")
	}
	if out, ok := asciiEmail(s); ok {
		return out, nil
	}
	return normalizeEmailGeneral(raw, s)
}

// normalizeEmailGeneral handles every address, s being raw trimmed.
func normalizeEmailGeneral(raw, s string) (string, error) {
	fail := func(reason, detail string) (string, error) {
		return "", newKeyError(KindEmail, raw, reason, detail)
	}
	if !utf8.ValidString(s) {
		return fail(ReasonInvalidUTF8, "")
	}
	at := strings.IndexByte(s, '@')
	switch {
	case at < 0:
		return fail(ReasonMalformedEmail, "no @")
	case strings.IndexByte(s[at+1:], '@') >= 0:
		return fail(ReasonMalformedEmail, "more than one @")
	case at == 0:
		return fail(ReasonMalformedEmail, "empty local part")
	case at == len(s)-1:
		return fail(ReasonInvalidDomain, "empty domain")
	}
	local, err := normalizeLocalPart(s[:at])
	if err != "" {
		if err == ReasonEmailTooLong {
			return fail(err, "local part longer than 64 bytes")
		}
		return fail(ReasonMalformedEmail, err)
	}
	domain, detail := normalizeDomain(s[at+1:])
	if detail != "" {
		return fail(ReasonInvalidDomain, detail)
	}
	if len(local)+1+len(domain) > maxEmailLength {
		return fail(ReasonEmailTooLong, "longer than 254 bytes")
	}
	return local + "@" + domain, nil
}

// asciiEmail is the common case done in one pass: a plain ASCII dot-atom
// local part and a host name of lower-case-able letters, digits and
// hyphens, which IDNA's lookup profile would only lower-case. Anything
// else (even just an "xn--" label, which IDNA must validate) returns
// false and takes the general path, which also explains rejections.
func asciiEmail(s string) (string, bool) {
	end, upper, ok := scanASCIIEmail(s)
	if !ok {
		return "", false
	}
	if !upper && end == len(s) {
		return s, true // already canonical: no allocation
	}
	return string(appendLowerASCII(make([]byte, 0, end), s[:end])), true
}

// Byte classes of scanASCIIEmail, as bits, so the loops only OR them
// together and test once at the end.
const (
	ecLocalBad  = 1 << iota // not allowed in the fast path's local part
	ecDot                   // '.'
	ecDomainBad             // not allowed in the fast path's host name
	ecUpper                 // A-Z
	ecNonDigit              // letter or '-' (a top-level label needs one)
)

var emailClass = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		switch {
		case b == '.':
			t[c] = ecDot
		case b >= 'A' && b <= 'Z':
			t[c] = ecUpper | ecNonDigit
		case b >= 'a' && b <= 'z', b == '-':
			t[c] = ecNonDigit
		case b >= '0' && b <= '9':
		case b < utf8.RuneSelf && isAtext(b):
			t[c] = ecDomainBad
		default:
			t[c] = ecLocalBad | ecDomainBad
		}
	}
	return t
}()

// scanASCIIEmail checks s (already trimmed) for asciiEmail: the result is
// s[:end] lower-cased, and upper says whether there is anything to
// lower-case.
func scanASCIIEmail(s string) (end int, upper, ok bool) {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at > maxEmailLocal || len(s) > maxEmailLength+1 {
		return 0, false, false
	}
	end = len(s)
	if s[end-1] == '.' {
		end-- // the root label
	}
	domainLen := end - at - 1
	if s[0] == '.' || s[at-1] == '.' || domainLen == 0 || domainLen > maxDomain || end > maxEmailLength {
		return 0, false, false
	}
	var local, dotDot, prev uint8
	for i := 0; i < at; i++ {
		c := emailClass[s[i]]
		local |= c
		dotDot |= prev & c
		prev = c
	}
	if local&ecLocalBad != 0 || dotDot&ecDot != 0 {
		return 0, false, false
	}
	var domain, tld uint8
	labelStart, dots := at+1, 0
	for i := at + 1; i < end; i++ {
		c := emailClass[s[i]]
		domain |= c
		if c&ecDot != 0 {
			if !fastLabel(s[labelStart:i]) {
				return 0, false, false
			}
			dots++
			labelStart, tld = i+1, 0
		}
		tld |= c
	}
	if domain&ecDomainBad != 0 || dots == 0 || tld&ecNonDigit == 0 || !fastLabel(s[labelStart:end]) {
		return 0, false, false
	}
	return end, (local|domain)&ecUpper != 0, true
}

// fastLabel: a host name label IDNA's lookup profile only lower-cases
// (its letters, digits and hyphens are checked by the caller).
func fastLabel(l string) bool {
	return len(l) > 0 && len(l) <= maxLabel && l[0] != '-' && l[len(l)-1] != '-' &&
		(len(l) < 4 || l[2] != '-' || l[3] != '-')
}

func appendLowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, lowerASCII(s[i]))
	}
	return dst
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// normalizeLocalPart lower-cases the dot-atom local part and checks its
// characters. It returns a detail text (or ReasonEmailTooLong) on failure.
func normalizeLocalPart(l string) (string, string) {
	ascii := true
	for i := 0; i < len(l); i++ {
		if l[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		l = strings.ToLower(l)
	} else {
		l = norm.NFC.String(strings.ToLower(norm.NFC.String(l)))
	}
	if len(l) > maxEmailLocal {
		return "", ReasonEmailTooLong
	}
	if l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return "", "misplaced dot in the local part"
	}
	for _, r := range l {
		switch {
		case r < utf8.RuneSelf:
			if !isAtext(byte(r)) && r != '.' {
				if r == '"' || r == '(' || r == ')' || r == '<' || r == '>' || r == '[' || r == ']' || r == ',' || r == ';' || r == ':' || r == '\\' {
					return "", "quoted, commented or display-name forms are not accepted"
				}
				return "", "character " + quoteRune(r) + " in the local part"
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.IsNumber(r):
			// RFC 6531 allows UTF-8 local parts; letters, digits and
			// their marks are what real addresses use.
		default:
			return "", "character " + quoteRune(r) + " in the local part"
		}
	}
	return l, ""
}

// isAtext is RFC 5322's atext for ASCII.
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func quoteRune(r rune) string {
	if unicode.IsPrint(r) {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("%U", r)
}

// normalizeDomain maps the domain with IDNA's lookup profile (lower-case,
// UTS #46 mapping, STD3 host name rules, bidi and joiner rules) and checks
// DNS lengths and the shape of an internet mail domain.
func normalizeDomain(d string) (string, string) {
	d = strings.TrimSuffix(d, ".") // the root label
	if d == "" {
		return "", "empty domain"
	}
	ascii, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", "not a valid host name"
	}
	if len(ascii) > maxDomain {
		return "", "domain longer than 253 bytes"
	}
	if !strings.Contains(ascii, ".") {
		return "", "domain without a dot"
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" {
			return "", "empty label"
		}
		if len(l) > maxLabel {
			return "", "label longer than 63 bytes"
		}
	}
	tld := labels[len(labels)-1]
	allDigits := true
	for i := 0; i < len(tld); i++ {
		if tld[i] < '0' || tld[i] > '9' {
			allDigits = false
			break
		}
	}
	if allDigits {
		return "", "numeric top-level label (IP addresses are not accepted)"
	}
	return ascii, ""
}
