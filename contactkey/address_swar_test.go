package contactkey

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWordBytes: the eight-byte classifier agrees with the byte tables for
// every byte value in every position.
func TestWordBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for pos := range 8 {
		for c := range 256 {
			var b [8]byte
			for k := range b {
				b[k] = byte(rng.Uint32())
			}
			b[pos] = byte(c)
			m, up := wordBytes(binary.LittleEndian.Uint64(b[:]))
			low := binary.LittleEndian.AppendUint64(nil, binary.LittleEndian.Uint64(b[:])|up>>2)
			for k := range b {
				isWord := addrLower[b[k]] != 0
				if got := m>>(8*k+7)&1 == 1; got != isWord {
					t.Fatalf("%q byte %d (%#x): word %v, want %v", b, k, b[k], got, isWord)
				}
				if isWord && low[k] != addrLower[b[k]] {
					t.Fatalf("%q byte %d (%#x): lower %#x, want %#x", b, k, b[k], low[k], addrLower[b[k]])
				}
			}
		}
	}
}

// TestAddressWordLengths: words around and past the eight-byte step fold
// as the general path folds them.
func TestAddressWordLengths(t *testing.T) {
	cases := []string{
		"1234567 Main", "12345678 Main", "123456789 Main", "1234567890123456 X",
		"MOUNTAINVIEW", "Northeast Boulevard", "SOUTHWEST EXPRESSWAY 12",
		"O'Connell Street", "OCONNELL'S Road", "ABCDEFG'HIJKLMNOP", "abcdefgh'",
		"Apartment 12345678", "P.O. Box 12345678", "ABCDEFGHé rue", "ABCDEFGH\x01x",
		"ABCDEFGH\x7fX", "abcdefg`h", "A.B.C.D.E.F.G.H.I", "z", "Zz", "ZZZZZZZZ",
		"@[`{/:", "street" + strings.Repeat("a", 300), strings.Repeat("Ab1 ", 100),
	}
	for _, in := range cases {
		got, err := NormalizeAddress(in)
		want, werr := normalizeAddressGeneral(in)
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("%q: ASCII path %q, %v; general %q, %v", in, got, err, want, werr)
		}
	}
}
