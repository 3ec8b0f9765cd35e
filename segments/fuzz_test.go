package segments

import (
	"testing"
)

// FuzzParse: Parse never panics, and what it accepts prints to a form that
// parses to the same tree.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"rfm:champions OR (rfm:loyal_customers AND monetary >= 500) AND NOT list:mail_dnm AND NOT segment:complained_2026",
		"NOT NOT rfm:a", "monetary >= 12.50", "r = 5 AND f != 4", "(rfm:a", "rfm:a)", "", "monetary AND rfm:lost",
		"x:y", "rfm:", "a >= -1.5", "((((rfm:a))))", "rfm:a and not consent:b or list:c", "!=", "5 >= m",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := Parse(src)
		if err != nil {
			return
		}
		printed := n.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", src, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("round trip of %q: %q then %q", src, printed, again.String())
		}
	})
}

// FuzzParseDecimal: never panics; accepted literals print to a form
// that reads back equal.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"500", "-3", "12.50", "1_000", "0.000001", "1.2.3", "", "-", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecimal(s)
		if err != nil {
			return
		}
		again, err := ParseDecimal(d.String())
		if err != nil {
			t.Fatalf("ParseDecimal(%q) = %v, whose String %q does not parse: %v", s, d, d.String(), err)
		}
		if a, b, _ := again.inUnits(maxScale); true {
			if x, y, _ := d.inUnits(maxScale); x != a || y != b {
				t.Fatalf("ParseDecimal(%q) = %v reads back as %v", s, d, again)
			}
		}
	})
}
