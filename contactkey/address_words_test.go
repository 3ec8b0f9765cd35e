package contactkey

import (
	"strings"
	"testing"
)

// TestAddressWordLengths: words of every length around eight bytes, with
// apostrophes, case and non-ASCII at their ends, fold as the general path
// folds them.
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
