package contactkey

import "testing"

func BenchmarkNormalizeEmail(b *testing.B) {
	for _, c := range []struct{ name, in string }{
		{"ascii", "Alice.Smith+news@Example.co.uk"},
		{"lower", "alice.smith@example.com"},
		{"idn", "Zoë@Bücher.example"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NormalizeEmail(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNormalizeAddress(b *testing.B) {
	for _, c := range []struct{ name, in string }{
		{"en", "12 Main Street, Apt. 4, Springfield, IL 62701"},
		{"zh", "上海市黄浦区南京东路１００号"},
		{"fullwidth", "12　Ｍａｉｎ　Ｓｔｒｅｅｔ，　Ａｐｔ．　４"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NormalizeAddress(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNormalizeCustomer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NormalizeCustomer(" C-000123 "); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKey is the whole per-row cost of import, check and scrub.
func BenchmarkKey(b *testing.B) {
	n := mustNormalizer(b, "CN")
	h, _ := NewHasher(testSecret())
	for _, c := range []struct {
		name string
		kind Kind
		in   string
	}{
		{"phone", KindPhone, "(021) 6234-5678"},
		{"email", KindEmail, "Alice.Smith@Example.com"},
		{"address", KindAddress, "12 Main Street, Apt. 4"},
		{"customer", KindCustomer, "C-000123"},
	} {
		raw := []byte(c.in)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := n.Key(c.kind, raw, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
