package contactkey

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var benchPhones = []struct{ name, region, input string }{
	{"CN-national", "CN", "021 6234 5678"},
	{"CN-intl", "CN", "+86 21 6234 5678"},
	{"CN-idd", "CN", "0086-21-62345678"},
	{"CN-mobile", "CN", "138 1234 5678"},
	{"US-national", "US", "(202) 456-0100"},
	{"US-trunk", "US", "1-202-456-0100"},
	{"GB-national", "GB", "020 7946 0958"},
	{"KR-mobile", "KR", "010-1234-5678"},
	{"ES-national", "ES", "912 345 678"},
	{"US-invalid", "US", "(123) 456-0100"},
}

func BenchmarkPhone(b *testing.B) {
	for _, c := range benchPhones {
		n, err := NewNormalizer(c.region)
		if err != nil {
			b.Fatal(err)
		}
		raw := []byte(c.input)
		if _, _, decided := n.phoneFast(raw); !decided {
			b.Fatalf("%s: not on the fast path", c.input)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = n.Phone(raw)
			}
		})
	}
}

// BenchmarkPhoneLibrary is what the fast path saves: Parse + IsValidNumber.
func BenchmarkPhoneLibrary(b *testing.B) {
	for _, c := range benchPhones[:5] {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				num, err := phonenumbers.Parse(c.input, c.region)
				if err == nil {
					_ = phonenumbers.IsValidNumber(num)
				}
			}
		})
	}
}
