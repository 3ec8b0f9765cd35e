package contactkey

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzRegions are the default regions FuzzPhone picks from: the five the
// product ships for, and some with unusual prefixes (carrier codes,
// transform rules, shared calling codes).
var fuzzRegions = []string{"CN", "US", "GB", "KR", "ES", "AR", "BR", "GG", "JP", "AU", "IT", "RU", "KZ", "CA", "BS", "SM", "MX", "DE"}

func addGoldenSeeds(f *testing.F, name string, ncols int, add func(cols []string)) {
	_, lines := readGolden(f, name, ncols)
	for _, l := range lines {
		add(l.cols)
	}
}

func FuzzPhone(f *testing.F) {
	addGoldenSeeds(f, "phones.golden", 2, func(cols []string) {
		for i, r := range fuzzRegions {
			if r == cols[0] {
				f.Add(cols[1], uint8(i))
			}
		}
	})
	for _, s := range []string{"+", "++1", "(+86)", "0086", "+0 0", "00 00 00", "8 800 555 35 35", "011 15-2345-6789", "01481 256789", "1 242 357 1234", "\u00a0021 6234 5678\u3000", "+8６ 21"} {
		f.Add(s, uint8(0))
	}
	norms := make([]*Normalizer, len(fuzzRegions))
	for i, r := range fuzzRegions {
		norms[i] = mustNormalizer(f, r)
	}
	f.Fuzz(func(t *testing.T, input string, region uint8) {
		n := norms[int(region)%len(norms)]
		v, err := n.Phone([]byte(input))
		// The fast path, when it decides, is the library.
		s := bytes.TrimSpace([]byte(input))
		if fv, fr, decided := n.phoneFast(s); decided {
			lv, lr := n.phoneSlow(string(s))
			if fv != lv || fr != lr {
				t.Fatalf("%s %q: fast %d %s, library %d %s", n.Region(), input, fv, fr, lv, lr)
			}
		}
		if err != nil {
			if v != 0 {
				t.Fatalf("error with value %d", v)
			}
			return
		}
		out := FormatPhone(v)
		again, err := n.PhoneString(out)
		if err != nil || again != out {
			t.Fatalf("%s %q → %s → %q, %v", n.Region(), input, out, again, err)
		}
	})
}

func FuzzEmail(f *testing.F) {
	addGoldenSeeds(f, "emails.golden", 1, func(cols []string) { f.Add(cols[0]) })
	n := mustNormalizer(f, "US")
	h, _ := NewHasher(testSecret())
	f.Fuzz(func(t *testing.T, input string) {
		checkKeyMatchesNormalize(t, n, h, KindEmail, input)
		out, err := NormalizeEmail(input)
		// The one-pass ASCII path gives what the general path gives.
		if fast, ok := asciiEmail(strings.TrimSpace(input)); ok {
			slow, serr := normalizeEmailGeneral(input, strings.TrimSpace(input))
			if serr != nil || slow != fast {
				t.Fatalf("%q: ASCII path %q, general path %q, %v", input, fast, slow, serr)
			}
		}
		if err != nil {
			return
		}
		if strings.Count(out, "@") != 1 || !utf8.ValidString(out) || len(out) > maxEmailLength {
			t.Fatalf("%q → %q", input, out)
		}
		again, err := NormalizeEmail(out)
		if err != nil || again != out {
			t.Fatalf("%q → %q → %q, %v", input, out, again, err)
		}
	})
}

func FuzzAddress(f *testing.F) {
	addGoldenSeeds(f, "addresses.golden", 1, func(cols []string) { f.Add(cols[0]) })
	f.Add("İstanbul Caddesi No: 5")
	f.Add("ǅ ǈ ǋ ﬀ ﬃ ẞ")
	f.Add("a\u0301\u0327 b\u0308")
	f.Add("P.O. Box 1, A.V. North E St'reet\x00")
	f.Add("N E S W a v e n u e")
	n := mustNormalizer(f, "US")
	h, _ := NewHasher(testSecret())
	f.Fuzz(func(t *testing.T, input string) {
		out, err := NormalizeAddress(input)
		// The one-pass ASCII path gives what the general path gives.
		want, werr := normalizeAddressGeneral(input)
		sameOutcome(t, "address", input, out, err, want, werr)
		checkKeyMatchesNormalize(t, n, h, KindAddress, input)
		if err != nil {
			return
		}
		if out == "" || strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
			t.Fatalf("%q → %q", input, out)
		}
		again, err := NormalizeAddress(out)
		if err != nil || again != out {
			t.Fatalf("%q → %q → %q, %v", input, out, again, err)
		}
	})
}

func FuzzCustomer(f *testing.F) {
	addGoldenSeeds(f, "customers.golden", 1, func(cols []string) { f.Add(cols[0]) })
	f.Fuzz(func(t *testing.T, input string) {
		out, err := NormalizeCustomer(input)
		if err != nil {
			return
		}
		again, err := NormalizeCustomer(out)
		if err != nil || again != out || out == "" {
			t.Fatalf("%q → %q → %q, %v", input, out, again, err)
		}
	})
}

// FuzzReadDictionary: untrusted bytes never panic, and whatever is accepted
// writes back byte for byte (a version 1 input as the version 2 form of
// the same values), in place as through the stream.
func FuzzReadDictionary(f *testing.F) {
	for _, vs := range [][]uint64{nil, {1}, {3, 1, 2}, {0, ^uint64(0)}} {
		d := NewDictionary()
		d.AssignBatch(vs, nil)
		var buf bytes.Buffer
		if _, err := d.WriteTo(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(v1Bytes(vs))
	}
	f.Add([]byte("HUSHDICT"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		d, err := ReadDictionary(r)
		if err != nil {
			return
		}
		consumed := data[:len(data)-r.Len()]
		want := consumed
		if binary.LittleEndian.Uint32(consumed[8:]) == 1 {
			ref := NewDictionary()
			for id := range uint32(d.Len()) {
				ref.Assign(d.Value(id))
			}
			var v2 bytes.Buffer
			if _, err := ref.WriteTo(&v2); err != nil {
				t.Fatal(err)
			}
			want = v2.Bytes()
		}
		var buf bytes.Buffer
		if _, err := d.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("accepted %x but writes %x", consumed, buf.Bytes())
		}
		in, build, n, err := DictionaryFromBytes(data, false)
		if err != nil || n != len(consumed) || build() != nil || in.Len() != d.Len() {
			t.Fatalf("accepted %x through the stream, not in place (%d bytes, %v)", consumed, n, err)
		}
	})
}
