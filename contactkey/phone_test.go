package contactkey

import (
	"errors"
	"strings"
	"testing"
)

func mustNormalizer(t testing.TB, region string) *Normalizer {
	t.Helper()
	n, err := NewNormalizer(region)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The forms the design promises are one key: national with trunk prefix,
// international with +, with 00, and with parentheses.
func TestPhoneSameNumberManyForms(t *testing.T) {
	for _, c := range []struct {
		region string
		want   uint64
		forms  []string
	}{
		{"CN", 862162345678, []string{"021 6234 5678", "+86 21 6234 5678", "0086-21-62345678", "(021) 6234-5678", "+86 (0)21 6234 5678", "86 21 6234 5678"}},
		{"US", 12024560100, []string{"(202) 456-0100", "202.456.0100", "1-202-456-0100", "+1 202 456 0100", "011 1 202 456 0100", "1 (202) 456-0100"}},
		{"GB", 442079460958, []string{"020 7946 0958", "+44 20 7946 0958", "0044 20 7946 0958", "+44 (0)20 7946 0958", "(020) 7946 0958"}},
		{"KR", 821012345678, []string{"010-1234-5678", "+82 10-1234-5678", "+82 010 1234 5678", "001 82 10 1234 5678", "82 10 1234 5678"}},
		{"ES", 34912345678, []string{"912 345 678", "+34 912 345 678", "0034 912 345 678", "91 234 56 78", "34 912345678"}},
	} {
		n := mustNormalizer(t, c.region)
		for _, f := range c.forms {
			got, err := n.Phone([]byte(f))
			if err != nil || got != c.want {
				t.Errorf("%s %q = %d, %v; want %d", c.region, f, got, err, c.want)
			}
		}
	}
}

// A number written internationally means the same whatever the default
// region.
func TestPhoneInternationalIndependentOfRegion(t *testing.T) {
	for _, region := range []string{"CN", "US", "GB", "KR", "ES", "DE", "JP", "BR", "AU", "IN"} {
		n := mustNormalizer(t, region)
		for in, want := range map[string]string{
			"+86 21 6234 5678": "+862162345678",
			"+1 202 456 0100":  "+12024560100",
			"+44 20 7946 0958": "+442079460958",
			"+82 2 312 3456":   "+8223123456",
			"+34 912 345 678":  "+34912345678",
		} {
			if got, err := n.PhoneString(in); err != nil || got != want {
				t.Errorf("region %s: %q = %q, %v; want %q", region, in, got, err, want)
			}
		}
	}
}

func TestPhoneErrors(t *testing.T) {
	for _, c := range []struct {
		region, input, reason string
	}{
		{"CN", "", ReasonEmpty},
		{"CN", " \t\r\n", ReasonEmpty},
		{"US", "1-800-FLOWERS", ReasonLettersInPhone},
		{"US", "202-456-0100 ext. 5", ReasonLettersInPhone},
		{"US", "tel:+1-202-456-0100", ReasonLettersInPhone},
		{"CN", "电话 021 6234 5678", ReasonLettersInPhone},
		{"CN", "+", ReasonNotANumber},
		{"CN", "--()--", ReasonNotANumber},
		{"CN", "1", ReasonNotANumber},
		{"CN", "12", ReasonTooShort},
		{"US", "456-0100", ReasonTooShort},
		{"US", "202 456 01000", ReasonTooLong},
		{"ES", "912 345 67", ReasonTooShort},
		{"ES", "912 345 6789", ReasonTooLong},
		{"GB", "020 7946 09588", ReasonTooLong},
		{"CN", "+999 1234 5678", ReasonUnknownCountryCode},
		{"CN", "00999 1234 5678", ReasonUnknownCountryCode},
		{"US", "(123) 456-0100", ReasonInvalidNumber},
		{"KR", "02-312-345", ReasonInvalidNumber},
		{"CN", strings.Repeat("1", 300), ReasonTooLong},
		{"CN", "12345678901234567890123456789012345", ReasonTooLong},
	} {
		n := mustNormalizer(t, c.region)
		v, err := n.Phone([]byte(c.input))
		var ke *KeyError
		if !errors.As(err, &ke) {
			t.Errorf("%s %q = %d, %v; want a *KeyError %s", c.region, c.input, v, err, c.reason)
			continue
		}
		if ke.Reason != c.reason || ke.Kind != KindPhone || v != 0 {
			t.Errorf("%s %q: reason %q kind %v value %d; want %q", c.region, c.input, ke.Reason, ke.Kind, v, c.reason)
		}
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s %q: errors.Is(err, ErrInvalidKey) is false", c.region, c.input)
		}
		if msg := err.Error(); !strings.Contains(msg, "phone") || len(ke.Input) > maxErrorInput+len("…") {
			t.Errorf("%s %q: message %q / input %q", c.region, c.input, msg, ke.Input)
		}
	}
}

func TestKeyErrorMessage(t *testing.T) {
	n := mustNormalizer(t, "US")
	_, err := n.Phone([]byte("(123) 456-0100"))
	want := `invalid phone "(123) 456-0100": not a valid phone number (no number range of that country matches) (default region US)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	long := strings.Repeat("é", 200)
	e := newKeyError(KindAddress, long, ReasonTooLongText, "")
	if !strings.HasSuffix(e.Input, "…") || len(e.Input) > maxErrorInput+len("…") || !strings.HasPrefix(long, strings.TrimSuffix(e.Input, "…")) {
		t.Errorf("cut input %q", e.Input)
	}
}

func TestFormatPhone(t *testing.T) {
	for v, want := range map[uint64]string{862162345678: "+862162345678", 12024560100: "+12024560100", 0: "+0"} {
		if got := FormatPhone(v); got != want {
			t.Errorf("FormatPhone(%d) = %q, want %q", v, got, want)
		}
	}
}

// Italian numbers keep their leading zero: +39 06... is not +39 6...
func TestPhoneItalianLeadingZero(t *testing.T) {
	n := mustNormalizer(t, "IT")
	got, err := n.PhoneString("06 6982 1234")
	if err != nil || got != "+390669821234" {
		t.Errorf("got %q, %v", got, err)
	}
	if again, err := n.PhoneString(got); err != nil || again != got {
		t.Errorf("renormalised %q: %q, %v", got, again, err)
	}
}

func TestPhoneFastPathDoesNotAllocate(t *testing.T) {
	for _, c := range benchPhones {
		n := mustNormalizer(t, c.region)
		raw := []byte(c.input)
		if _, _, decided := n.phoneFast(raw); !decided {
			t.Errorf("%s %q: not decided by the fast path", c.region, c.input)
			continue
		}
		if _, err := n.Phone(raw); err != nil {
			continue // errors allocate their *KeyError by design
		}
		if a := testing.AllocsPerRun(100, func() { _, _ = n.Phone(raw) }); a != 0 {
			t.Errorf("%s %q: %v allocations per call", c.region, c.input, a)
		}
	}
}

// Concurrent first use compiles each region once and gives the same
// answers (run with -race).
func TestPhoneConcurrentUse(t *testing.T) {
	cases := genPhoneCases(t, 99, 2000)
	want := make([]uint64, len(cases))
	wantErr := make([]bool, len(cases))
	norms := map[string]*Normalizer{}
	for i, c := range cases {
		if norms[c.region] == nil {
			norms[c.region] = mustNormalizer(t, c.region)
		}
		v, r := referencePhone(norms[c.region], c.input)
		want[i], wantErr[i] = v, r != prOK
	}
	done := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func() {
			for i, c := range cases {
				v, err := norms[c.region].Phone([]byte(c.input))
				if v != want[i] || (err != nil) != wantErr[i] {
					done <- errors.New(c.region + " " + c.input)
					return
				}
			}
			done <- nil
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Errorf("concurrent disagreement on %v", err)
		}
	}
}
