package contactkey

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Every region and non-geographic entity the library knows compiles, so the
// fast path covers them all (a region that failed would silently cost the
// library's 20-30 µs per number).
func TestPhoneTablesCompileEveryRegion(t *testing.T) {
	tabs, err := loadPhoneTables()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	states, maxStates, n := 0, 0, 0
	for cc, c := range tabs.byCC {
		if c == nil {
			continue
		}
		if len(c.regions) == 0 {
			t.Errorf("calling code %d has no regions", cc)
		}
		for i, r := range c.regions {
			if r == nil {
				t.Errorf("calling code %d: region %d has no metadata", cc, i)
				continue
			}
			if err := r.ready(); err != nil {
				t.Errorf("region %s: %v", r.id, err)
				continue
			}
			n++
			s := len(r.descs.accept)
			states += s
			maxStates = max(maxStates, s)
			// An E.164 number must fit the uint64 key.
			if l := len(r.ccDigits) + int(r.lenMax); l > 19 {
				t.Errorf("region %s: numbers of %d digits would not fit", r.id, l)
			}
		}
	}
	for id := range phonenumbers.GetSupportedRegions() {
		if tabs.regions[id] == nil {
			t.Errorf("supported region %s has no tables", id)
		}
	}
	t.Logf("%d regions compiled in %v: %d automaton states (largest %d)", n, time.Since(start), states, maxStates)
}

func TestNewNormalizerRegions(t *testing.T) {
	for _, r := range []string{"CN", "us", " GB ", "KR", "ES", "DE", "JP", "BR", "IN", "GG"} {
		n, err := NewNormalizer(r)
		if err != nil {
			t.Errorf("NewNormalizer(%q): %v", r, err)
			continue
		}
		if len(n.Region()) != 2 || n.Region() != n.def.id {
			t.Errorf("NewNormalizer(%q).Region() = %q", r, n.Region())
		}
	}
	for _, r := range []string{"", "XX", "ZZ", "001", "UK", "CHN", "C"} {
		_, err := NewNormalizer(r)
		if err == nil || !errors.Is(err, ErrUnknownRegion) {
			t.Errorf("NewNormalizer(%q) = %v, want ErrUnknownRegion", r, err)
		}
	}
}

func TestParseTemplate(t *testing.T) {
	caps := [maxBTCaps]int{0, 4, 1, 3}
	src := "9876"
	expand := func(tmpl string) string {
		var out []byte
		for _, p := range parseTemplate(tmpl) {
			if p.group < 0 {
				out = append(out, p.lit...)
			} else if 2*p.group+1 < 4 && caps[2*p.group] >= 0 {
				out = append(out, src[caps[2*p.group]:caps[2*p.group+1]]...)
			}
		}
		return string(out)
	}
	for _, c := range []struct{ tmpl, want string }{
		{"9$1", "987"}, {"$1", "87"}, {"1481$1", "148187"}, {"$$1", "$1"}, {"${1}5", "875"},
		{"$15", ""}, {"$x", ""}, {"$", "$"}, {"a$", "a$"}, {"${1", "${1"}, {"$0", "9876"}, {"$2", ""},
	} {
		if got := expand(c.tmpl); got != c.want {
			t.Errorf("expand(%q) = %q, want %q", c.tmpl, got, c.want)
		}
	}
}

func TestLiteralAlternatives(t *testing.T) {
	for _, c := range []struct {
		p    string
		want []string
	}{
		{"00", []string{"00"}}, {"00|99", []string{"00", "99"}}, {"0|180020", []string{"0", "180020"}},
		{"0[09]", nil}, {"", nil}, {"00|", nil}, {"(0)", nil},
	} {
		got, ok := literalAlternatives(c.p)
		if ok != (c.want != nil) || !slices.Equal(got, c.want) {
			t.Errorf("literalAlternatives(%q) = %v %v, want %v", c.p, got, ok, c.want)
		}
	}
}
