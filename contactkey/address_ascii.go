package contactkey

import (
	"fmt"
	"maps"
	"slices"
	"unicode"
	"unicode/utf8"
)

// The ASCII fast path of NormalizeAddress. Nearly every address of a
// campaign file is plain ASCII, and for ASCII the general path's Unicode
// work (NFKD, case folding, accents, CJK) is the identity or a lower-casing.
// What is left is done here in one pass over the bytes, writing into the
// caller's buffer, with the abbreviations looked up in a perfect-hash table
// instead of a map[string]. The output is byte for byte that of the
// general path, foldAddress (tests and FuzzAddress hold the two together).

// Byte classes of the fast path.
const (
	acSep      = iota // punctuation, symbols, white space: ends a word
	acCopy            // a-z, 0-9: part of a word
	acUpper           // A-Z: part of a word, lower-cased
	acSkip            // ' and `: dropped, the word goes on ("O'Connell")
	acControl         // a control character: the input is rejected
	acNonASCII        // the general path decides
)

var addrClass = func() (t [256]uint8) {
	for c := range 256 {
		r := rune(c)
		switch {
		case c >= utf8.RuneSelf:
			t[c] = acNonASCII
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			t[c] = acCopy
		case c >= 'A' && c <= 'Z':
			t[c] = acUpper
		case c == '\'', c == '`':
			t[c] = acSkip
		case unicode.IsControl(r) && !unicode.IsSpace(r): // as NormalizeAddress checks
			t[c] = acControl
		default:
			t[c] = acSep
		}
	}
	return t
}()

// asciiResult is what the fast path made of its input.
type asciiResult uint8

const (
	asciiDone     asciiResult = iota // the output is appended
	asciiControl                     // rejected: control characters
	asciiNotASCII                    // not ASCII: nothing appended, use the general path
)

// addrLower maps the bytes that make up words (a-z, A-Z, 0-9) to their
// lower case, and every other byte to 0.
var addrLower = func() (t [256]byte) {
	for c := range 256 {
		switch addrClass[c] {
		case acCopy:
			t[c] = byte(c)
		case acUpper:
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

// appendAddressASCII appends the folded form of raw to dst, exactly as
// foldAddress would give it, when raw is ASCII. It appends nothing (and
// says asciiNotASCII) for other input, and for input with a control
// character (asciiControl: the input is rejected). An empty result
// (nothing appended) is the caller's to reject.
func appendAddressASCII(dst []byte, raw string) ([]byte, asciiResult) {
	base := len(dst)
	out := dst
	control := false
	// A run of single-letter words ("P.O.", "N.E.") is joined into one
	// word, then folded like any other: runLen letters from runStart.
	runLen, runStart := 0, 0
	for i := 0; i < len(raw); {
		c := raw[i]
		if addrLower[c] == 0 { // between words
			switch addrClass[c] {
			case acControl:
				control = true
			case acNonASCII:
				return dst, asciiNotASCII
			}
			i++
			continue
		}
		if len(out) > base {
			out = append(out, ' ')
		}
		start := len(out)
		for ; i < len(raw); i++ {
			c := raw[i]
			if l := addrLower[c]; l != 0 {
				out = append(out, l)
			} else if addrClass[c] != acSkip {
				break
			}
		}
		n := len(out) - start
		// Most words (numbers, names) are no key: the first byte and
		// the length tell most of them apart without the hash.
		if asciiAbbrev.lens[out[start]]>>n&1 != 0 {
			if v, ok := asciiAbbrev.lookup(out[start:]); ok {
				out = append(out[:start], v...)
				n = len(v)
			}
		}
		if n == 1 && out[start] >= 'a' { // a single letter (digits sort before 'a')
			if runLen > 0 {
				// Join it to the run: drop the space before it.
				out[start-1] = out[start]
				out = out[:start]
			} else {
				runStart = start
			}
			runLen++
			continue
		}
		if runLen > 1 {
			// The run ended before this word and its space: fold it,
			// moving the word along.
			out = foldSpan(out, runStart, start-1)
		}
		runLen = 0
	}
	if runLen > 1 {
		out = foldSpan(out, runStart, len(out))
	}
	if control {
		return dst, asciiControl
	}
	return out, asciiDone
}

// foldSpan replaces out[start:end] by its abbreviation, if it has one,
// moving what follows end.
func foldSpan(out []byte, start, end int) []byte {
	v, ok := asciiAbbrev.lookup(out[start:end])
	if !ok {
		return out
	}
	tail := len(out) - end
	newLen := start + len(v) + tail
	if newLen > len(out) {
		out = append(out, make([]byte, newLen-len(out))...)
	}
	copy(out[start+len(v):newLen], out[end:end+tail])
	copy(out[start:], v)
	return out[:newLen]
}

// abbrevTable is a perfect hash of addressAbbrev: a word's slot holds the
// one key that can match it, so a lookup is a hash, two loads, an integer
// comparison and, for a likely hit, one string comparison.
type abbrevTable struct {
	mult    uint64
	lens    [256]uint16            // by first byte: bit n set if a key of length n starts with it
	slots   [1 << abbrevBits]uint8 // index into entries; entries[0] matches nothing
	entries [256]abbrevEntry       // indexed by a uint8: no bounds checks
}

type abbrevEntry struct {
	feat     uint64 // abbrevFeatures(key)
	key, val string
}

const abbrevBits = 8

// abbrevMinLen and abbrevMaxLen bound the keys' lengths: abbrevFeatures
// needs two bytes, and lens has 16 bits.
const (
	abbrevMinLen = 2
	abbrevMaxLen = 15
)

// abbrevFeatures packs the bytes that tell the keys apart: the length,
// the first two, the one at the centre (or after it) and the last two. It
// is never 0 (words are at least abbrevMinLen bytes long).
func abbrevFeatures(b []byte) uint64 {
	n := len(b)
	return uint64(n) | uint64(b[0])<<8 | uint64(b[1])<<16 | uint64(b[(n+1)/2])<<24 |
		uint64(b[n-2])<<32 | uint64(b[n-1])<<40
}

func (t *abbrevTable) lookup(b []byte) (string, bool) {
	f := abbrevFeatures(b)
	e := &t.entries[t.slots[(f*t.mult)>>(64-abbrevBits)]]
	if e.feat != f || string(b) != e.key {
		return "", false
	}
	return e.val, true
}

// asciiAbbrev is built once from addressAbbrev, so the two cannot drift.
// (A value, not a pointer: the fast path addresses it directly.)
var asciiAbbrev = *mustAbbrevTable(addressAbbrev)

func mustAbbrevTable(m map[string]string) *abbrevTable {
	t, err := newAbbrevTable(m)
	if err != nil {
		panic(err)
	}
	return t
}

// newAbbrevTable tries multipliers from a fixed sequence until every key
// has a slot of its own: deterministic, and about a hundred tries of a few
// dozen multiplications at start-up.
func newAbbrevTable(m map[string]string) (*abbrevTable, error) {
	if len(m) >= len(abbrevTable{}.entries) {
		return nil, fmt.Errorf("%d address abbreviations: more than the table holds", len(m))
	}
	t := &abbrevTable{}
	keys := slices.Sorted(maps.Keys(m))
	for i, k := range keys {
		if len(k) < abbrevMinLen || len(k) > abbrevMaxLen {
			return nil, fmt.Errorf("address abbreviation %q: length outside %d..%d", k, abbrevMinLen, abbrevMaxLen)
		}
		t.entries[i+1] = abbrevEntry{abbrevFeatures([]byte(k)), k, m[k]}
		t.lens[k[0]] |= 1 << len(k)
	}
	seed := uint64(0)
	for try := 0; try < 100_000; try++ {
		seed += 0x9e3779b97f4a7c15
		mult := mix(seed) | 1
		var used [1 << abbrevBits]bool
		ok := true
		for _, e := range t.entries[1 : len(keys)+1] {
			s := (e.feat * mult) >> (64 - abbrevBits)
			if used[s] {
				ok = false // also when two keys share their features
				break
			}
			used[s] = true
		}
		if !ok {
			continue
		}
		t.mult = mult
		for i, e := range t.entries[1 : len(keys)+1] {
			t.slots[(e.feat*mult)>>(64-abbrevBits)] = uint8(i + 1)
		}
		return t, nil
	}
	return nil, fmt.Errorf("no perfect hash for the %d address abbreviations", len(m))
}
