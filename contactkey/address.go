package contactkey

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// maxAddressInput bounds what NormalizeAddress reads: a postal address is a
// few hundred bytes; a multi-kilobyte cell is a broken file.
const maxAddressInput = 4096

// addressAbbrev folds the common English street-address words and their
// abbreviations to one form (the USPS-style short one). Keys are single
// tokens after case folding; no value is itself a key, so folding twice
// changes nothing.
var addressAbbrev = map[string]string{
	"street": "st", "str": "st",
	"avenue": "ave", "av": "ave", "avenu": "ave", "aven": "ave",
	"road":      "rd",
	"boulevard": "blvd", "boul": "blvd", "blv": "blvd",
	"drive": "dr", "drv": "dr",
	"lane":       "ln",
	"court":      "ct",
	"place":      "pl",
	"square":     "sq",
	"highway":    "hwy",
	"parkway":    "pkwy",
	"terrace":    "ter",
	"circle":     "cir",
	"plaza":      "plz",
	"trail":      "trl",
	"crescent":   "cres",
	"heights":    "hts",
	"junction":   "jct",
	"expressway": "expy",
	"freeway":    "fwy",
	"route":      "rte",
	"mount":      "mt",
	"center":     "ctr", "centre": "ctr",
	"apartment": "apt", "apartments": "apt",
	"suite": "ste",
	"floor": "fl", "flr": "fl",
	"building": "bldg", "bld": "bldg",
	"room":       "rm",
	"department": "dept",
	"number":     "no",
	"north":      "n", "south": "s", "east": "e", "west": "w",
	"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}

// NormalizeAddress returns the canonical form of a postal address, so that
// the same address written differently gives the same key:
//
//   - Unicode NFKC compatibility folding (full-width digits and letters,
//     "＃", ligatures...) and full case folding;
//   - accents dropped from Latin, Greek and Cyrillic letters ("Álvarez" =
//     "alvarez");
//   - apostrophes dropped ("O'Connell" = "oconnell"); every other
//     punctuation mark, symbol and run of white space is one separator;
//   - separators next to Chinese, Japanese or Korean characters removed
//     (those scripts do not use spaces: "上海市 南京东路 100 号" =
//     "上海市南京东路100号");
//   - runs of single letters joined ("P.O. Box" = "PO Box", "N.E." = "NE");
//   - street words and their abbreviations folded to one form ("Street" =
//     "St", "Apartment" = "Apt", "North" = "N", ...).
//
// "12 Main Street, Apt. 4" and "12 main st apt 4" both give
// "12 main st apt 4".
func NormalizeAddress(raw string) (string, error) {
	var buf [addressStackBuf]byte
	out, done, err := appendAddressASCIIChecked(buf[:0], raw)
	switch {
	case err != nil:
		return "", err
	case done:
		return string(out), nil
	}
	return normalizeAddressGeneral(raw)
}

// addressStackBuf is the size of the on-stack buffer the ASCII path folds
// into; longer addresses (rare) grow it on the heap. Folding can lengthen
// a word by one byte ("av" → "ave").
const addressStackBuf = 256

// appendAddress appends NormalizeAddress's result to dst: ASCII input
// takes the one-pass path, which allocates nothing when dst has room.
func appendAddress(dst []byte, raw string) ([]byte, error) {
	out, done, err := appendAddressASCIIChecked(dst, raw)
	if err != nil || done {
		return out, err
	}
	s, err := normalizeAddressGeneral(raw)
	if err != nil {
		return dst, err
	}
	return append(dst, s...), nil
}

// appendAddressASCIIChecked is NormalizeAddress for ASCII input, appending
// to dst: done is false (and nothing appended) when raw needs the general
// path.
func appendAddressASCIIChecked(dst []byte, raw string) (out []byte, done bool, err error) {
	if len(raw) > maxAddressInput {
		return dst, true, newKeyError(KindAddress, raw, ReasonTooLongText, "longer than 4096 bytes")
	}
	out, res := appendAddressASCII(dst, raw)
	switch {
	case res == asciiNotASCII:
		return dst, false, nil
	case res == asciiControl:
		return dst, true, newKeyError(KindAddress, raw, ReasonControlChars, "")
	case len(out) == len(dst):
		return dst, true, newKeyError(KindAddress, raw, ReasonEmpty, "")
	}
	return out, true, nil
}

// normalizeAddressGeneral is NormalizeAddress for any input: the reference
// the ASCII path is tested against.
func normalizeAddressGeneral(raw string) (string, error) {
	fail := func(reason, detail string) (string, error) {
		return "", newKeyError(KindAddress, raw, reason, detail)
	}
	if len(raw) > maxAddressInput {
		return fail(ReasonTooLongText, "longer than 4096 bytes")
	}
	if !utf8.ValidString(raw) {
		return fail(ReasonInvalidUTF8, "")
	}
	for _, r := range raw {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return fail(ReasonControlChars, "")
		}
	}
	out := foldAddress(raw)
	if out == "" {
		return fail(ReasonEmpty, "")
	}
	return out, nil
}

// addrToken is a word of the folded address: buf[start:end].
type addrToken struct {
	start, end int
	cjkFirst   bool
	cjkLast    bool
	singleChar bool // a single ASCII letter
}

func foldAddress(raw string) string {
	ascii := isASCII(raw)
	s := raw
	if !ascii {
		s = norm.NFKD.String(raw)
		s = cases.Fold().String(s)
		// x/text's Fold swaps the cases of Cherokee instead of settling
		// on one; lower-casing after it makes folding idempotent.
		s = strings.ToLower(s)
		s = norm.NFKD.String(s) // folding can produce composed characters
	}

	buf := make([]byte, 0, len(s))
	var tokBuf [32]addrToken
	tokens := tokBuf[:0]
	tokStart := 0
	var first, last, prevBase rune
	flush := func() {
		if len(buf) == tokStart {
			return
		}
		if a, ok := addressAbbrev[string(buf[tokStart:])]; ok {
			buf = append(buf[:tokStart], a...)
		}
		tokens = append(tokens, addrToken{
			start:      tokStart,
			end:        len(buf),
			cjkFirst:   isCJK(first),
			cjkLast:    isCJK(last),
			singleChar: len(buf)-tokStart == 1 && buf[tokStart] >= 'a' && buf[tokStart] <= 'z',
		})
		tokStart = len(buf)
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			// ASCII is its own NFKD and NFC, and folds by lower-casing.
			i++
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
				fallthrough
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				if len(buf) == tokStart {
					first = rune(c)
				}
				buf = append(buf, c)
				last, prevBase = rune(c), rune(c)
			case c == '\'', c == '`':
			default:
				flush()
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isApostrophe(r):
		case unicode.Is(unicode.Mn, r):
			if len(buf) == tokStart || dropsAccents(prevBase) {
				continue
			}
			buf = utf8.AppendRune(buf, r)
			last = r
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			if len(buf) == tokStart {
				first = r
			}
			buf = utf8.AppendRune(buf, r)
			last, prevBase = r, r
		default:
			flush()
		}
	}
	flush()

	out := make([]byte, 0, len(buf)+len(tokens))
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		if i > 0 && !tokens[i-1].cjkLast && !t.cjkFirst {
			out = append(out, ' ')
		}
		if t.singleChar && i+1 < len(tokens) && tokens[i+1].singleChar {
			// A run of single letters is one abbreviation (P.O., N.E.),
			// folded like any other word ("A.V." = "Av" = "Ave").
			runStart := len(out)
			j := i
			for j < len(tokens) && tokens[j].singleChar {
				out = append(out, buf[tokens[j].start])
				j++
			}
			if a, ok := addressAbbrev[string(out[runStart:])]; ok {
				out = append(out[:runStart], a...)
			}
			i = j - 1
			continue
		}
		out = append(out, buf[t.start:t.end]...)
	}
	if ascii {
		return string(out)
	}
	return norm.NFC.String(string(out))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '`', '\u2018', '\u2019', '\u02BC', '\u00B4':
		return true
	}
	return false
}

// dropsAccents: scripts whose diacritics people leave off freely.
func dropsAccents(base rune) bool {
	if base < utf8.RuneSelf {
		return true // Latin letters, and a mark on an ASCII digit is noise
	}
	return unicode.In(base, unicode.Latin, unicode.Greek, unicode.Cyrillic)
}

func isCJK(r rune) bool {
	if r < 0x1100 { // below the first Hangul Jamo: no CJK
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}
