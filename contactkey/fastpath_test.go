package contactkey

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dchest/siphash"
)

// The fast paths (ASCII addresses and e-mails, hashing from buffers) must
// give exactly what the general paths give: every stored key depends on
// it. These tests hold them together on the golden corpora and on many
// random inputs built to hit the corner cases (abbreviations in any case,
// runs of single letters, apostrophes, control characters, long input).

// sameOutcome compares two normaliser results, errors by reason.
func sameOutcome(t *testing.T, what, input, got string, gotErr error, want string, wantErr error) {
	t.Helper()
	if g, w := outcome(got, gotErr), outcome(want, wantErr); g != w {
		t.Fatalf("%s %q: fast path %q, general path %q", what, input, g, w)
	}
	if gotErr != nil {
		var a, b *KeyError
		if !errors.As(gotErr, &a) || !errors.As(wantErr, &b) || *a != *b {
			t.Fatalf("%s %q: errors %#v and %#v differ", what, input, gotErr, wantErr)
		}
	}
}

// addressWords are the pieces random addresses are made of.
var addressWords = func() []string {
	w := []string{"12", "4", "100", "62701", "3o", "5th", "main", "oak", "springfield", "o", "connell",
		"po", "box", "p", "o", "n", "e", "s", "w", "a", "v", "x", "i", "st", "str", "aves", "streets",
		"apt4", "north1", "boulevardx", "ne", "nw", "se", "sw", "ave", "blvd", "bldg"}
	for k, v := range addressAbbrev {
		w = append(w, k, v)
	}
	return w
}()

const addressSeps = " \t\r\n\v\f,.;:-#/()&*!\"$%+<=>?@[\\]^_{|}~"

func randomCase(rng *rand.Rand, s string) string {
	switch rng.IntN(4) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	case 2:
		b := []byte(s)
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = strings.ToUpper(string(b[i]))[0]
			}
		}
		return string(b)
	}
	return s
}

// randomASCIIAddress builds an address-like ASCII string.
func randomASCIIAddress(rng *rand.Rand) string {
	var b strings.Builder
	if rng.IntN(20) == 0 {
		// Plain random ASCII, control characters included.
		for n := rng.IntN(40); n > 0; n-- {
			b.WriteByte(byte(rng.IntN(128)))
		}
		return b.String()
	}
	for n := rng.IntN(12); n > 0; n-- {
		w := randomCase(rng, addressWords[rng.IntN(len(addressWords))])
		if rng.IntN(10) == 0 && len(w) > 1 {
			i := 1 + rng.IntN(len(w)-1)
			w = w[:i] + string("'`"[rng.IntN(2)]) + w[i:]
		}
		b.WriteString(w)
		for m := rng.IntN(3); m >= 0; m-- {
			switch r := rng.IntN(40); {
			case r == 0:
				b.WriteByte('\'')
			case r == 1:
				b.WriteByte(byte(rng.IntN(32))) // control or white space
			case r == 2:
				b.WriteByte(0x7f)
			case r < 6 && m == 0:
				// sometimes words run together
			default:
				b.WriteByte(addressSeps[rng.IntN(len(addressSeps))])
			}
		}
	}
	return b.String()
}

func TestAddressASCIIFastPathMatchesGeneral(t *testing.T) {
	check := func(in string) {
		got, err := NormalizeAddress(in)
		want, werr := normalizeAddressGeneral(in)
		sameOutcome(t, "address", in, got, err, want, werr)
	}
	_, lines := readGolden(t, "addresses.golden", 1)
	for _, l := range lines {
		check(l.cols[0])
	}
	for _, in := range []string{
		"", " ", "'", "a", "A.", "a v", "A.V.", "a.v.e.", "s t r e e t", "N E 5", "N.E. 5", "5 N E",
		"north e", "e north", "n e s w", "North East South West", "p.o. box 1 a v", "a v box",
		"x a v", "a v e n u", "a-v-e-n-u-e", "s'treet", "'street'", "o''connell", "` `",
		"12 Main St\x00", "\x7f", "a\x01b", "a\tb\nc\rd\ve\ff", "Apt\x1f4",
		strings.Repeat("av ", 200), strings.Repeat("a v ", 300), strings.Repeat("a.", 2048),
		strings.Repeat("a", 4096), strings.Repeat("a", 4097), strings.Repeat("blv,", 1024),
	} {
		check(in)
	}
	rng := rand.New(rand.NewPCG(21, 22))
	n := 200_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	for range n {
		check(randomASCIIAddress(rng))
	}
}

func TestAbbrevTable(t *testing.T) {
	for k, v := range addressAbbrev {
		got, ok := asciiAbbrev.lookup([]byte(k))
		if !ok || got != v {
			t.Errorf("lookup(%q) = %q, %v; want %q", k, got, ok, v)
		}
		if asciiAbbrev.lens[k[0]]>>len(k)&1 == 0 {
			t.Errorf("length filter drops %q", k)
		}
		for _, w := range []string{v, k + "s", k[:len(k)-1] + "x", "x" + k[1:], strings.ToUpper(k)} {
			if _, isKey := addressAbbrev[w]; isKey || len(w) < abbrevMinLen {
				continue
			}
			if got, ok := asciiAbbrev.lookup([]byte(w)); ok {
				t.Errorf("lookup(%q) = %q for a word that is no key", w, got)
			}
		}
	}
	if _, err := newAbbrevTable(map[string]string{"a": "b"}); err == nil {
		t.Error("a one-letter key was accepted")
	}
	if _, err := newAbbrevTable(map[string]string{"northeast": "ne", "northwest": "nw", "nurtheast": "x", "northxeast": "y"}); err != nil {
		t.Errorf("keys with distinct features: %v", err)
	}
	// Keys the features cannot tell apart must be refused, not mixed up.
	if _, err := newAbbrevTable(map[string]string{"abxcd": "1", "abycd": "2"}); err == nil {
		t.Error("keys with the same features were accepted")
	}
}

func randomASCIIEmail(rng *rand.Rand) string {
	const local = "abcXYZ019.-_+!#$%&'*/=?^`{|}~\"(),:;<>@[\\] \x00\x7f"
	const domain = "abcdXYZ09-.@_ "
	pick := func(alpha string, n int) string {
		b := make([]byte, n)
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = alpha[rng.IntN(len(alpha))]
			} else {
				b[i] = alpha[rng.IntN(8)] // mostly letters and digits
			}
		}
		return string(b)
	}
	var s string
	switch rng.IntN(10) {
	case 0:
		s = pick(local, rng.IntN(30))
	case 1: // lengths near the limits
		s = strings.Repeat("a", 60+rng.IntN(8)) + "@" + strings.Repeat("b.", 90+rng.IntN(40)) + "com"
	case 2:
		s = pick(local, 1+rng.IntN(5)) + "@" + strings.Repeat("x", 60+rng.IntN(6)) + ".example"
	default:
		s = pick(local, 1+rng.IntN(12)) + "@" + pick(domain, 1+rng.IntN(8))
		for n := rng.IntN(3); n >= 0; n-- {
			s += "." + pick(domain, rng.IntN(6))
		}
		if rng.IntN(10) == 0 {
			s += "."
		}
	}
	if rng.IntN(8) == 0 {
		s = " " + s + "\t"
	}
	return s
}

func TestEmailASCIIFastPathMatchesGeneral(t *testing.T) {
	n := mustNormalizer(t, "US")
	h, _ := NewHasher(testSecret())
	check := func(in string) {
		s := strings.TrimSpace(in)
		if fast, ok := asciiEmail(s); ok {
			slow, err := normalizeEmailGeneral(in, s)
			if err != nil || slow != fast {
				t.Fatalf("%q: ASCII path %q, general path %q, %v", in, fast, slow, err)
			}
		}
		checkKeyMatchesNormalize(t, n, h, KindEmail, in)
	}
	_, lines := readGolden(t, "emails.golden", 1)
	for _, l := range lines {
		check(l.cols[0])
	}
	for _, in := range []string{"a@b.c", "A@B.C", "a@b.c.", "a@b..c", "a..b@c.d", ".a@b.c", "a.@b.c", "a@-b.c", "a@b-.c",
		"a@ab--c.d", "a@xn--bcher-kva.example", "a@b.123", "a@b.1a", "a@b.c-", "a@@b.c", "a@b", "@b.c", "a@.b.c"} {
		check(in)
	}
	rng := rand.New(rand.NewPCG(23, 24))
	count := 100_000
	if testing.Short() || raceEnabled {
		count = 10_000
	}
	for range count {
		check(randomASCIIEmail(rng))
	}
}

// checkKeyMatchesNormalize: Key is the hash of Normalize's text, and fails
// the same way.
func checkKeyMatchesNormalize(t *testing.T, n *Normalizer, h *Hasher, kind Kind, in string) {
	t.Helper()
	k, err := n.Key(kind, []byte(in), h)
	text, werr := n.Normalize(kind, in)
	if (err == nil) != (werr == nil) {
		t.Fatalf("%v %q: Key error %v, Normalize error %v", kind, in, err, werr)
	}
	if err != nil {
		var a, b *KeyError
		if !errors.As(err, &a) || !errors.As(werr, &b) || *a != *b {
			t.Fatalf("%v %q: Key error %#v, Normalize error %#v", kind, in, err, werr)
		}
		return
	}
	if want := h.Sum(kind, text); k != (Key{Kind: kind, V: want}) {
		t.Fatalf("%v %q: Key %+v, hash of %q is %016x", kind, in, k, text, want)
	}
}

func TestKeyMatchesNormalize(t *testing.T) {
	n := mustNormalizer(t, "CN")
	h, _ := NewHasher(testSecret())
	for _, c := range []struct {
		kind   Kind
		golden string
	}{{KindAddress, "addresses.golden"}, {KindEmail, "emails.golden"}, {KindCustomer, "customers.golden"}} {
		_, lines := readGolden(t, c.golden, 1)
		for _, l := range lines {
			checkKeyMatchesNormalize(t, n, h, c.kind, l.cols[0])
		}
	}
	rng := rand.New(rand.NewPCG(25, 26))
	for range 20_000 {
		checkKeyMatchesNormalize(t, n, h, KindAddress, randomASCIIAddress(rng))
	}
	// Longer than the stack buffer: the fold moves to the heap.
	long := strings.Repeat("12 Main Street, Apt. 4, Springfield ", 120)
	checkKeyMatchesNormalize(t, n, h, KindAddress, long[:4000])
	checkKeyMatchesNormalize(t, n, h, KindAddress, strings.Repeat("av ", 1300))
	checkKeyMatchesNormalize(t, n, h, KindAddress, "Straße des 17. Juni "+strings.Repeat("x", 300))
}

func TestKeyDoesNotAllocate(t *testing.T) {
	n := mustNormalizer(t, "US")
	h, _ := NewHasher(testSecret())
	for _, c := range scrubRows {
		if c.name == "address/zh" {
			continue // the general path allocates
		}
		raw := []byte(c.in)
		if a := testing.AllocsPerRun(100, func() {
			if _, err := n.Key(c.kind, raw, h); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("Key(%s, %q) allocates %v times", c.kind, c.in, a)
		}
	}
}

func TestHasherSumBytesAndLowerASCII(t *testing.T) {
	h, _ := NewHasher(testSecret())
	_, lines := readGolden(t, "hashes.golden", 2)
	for _, l := range lines {
		k, _ := ParseKind(l.cols[0])
		if h.SumBytes(k, []byte(l.cols[1])) != h.Sum(k, l.cols[1]) {
			t.Errorf("SumBytes(%v, %q) differs from Sum", k, l.cols[1])
		}
	}
	rng := rand.New(rand.NewPCG(27, 28))
	buf := make([]byte, 300)
	for n := 0; n <= len(buf); n++ {
		for range 20 {
			for i := range buf[:n] {
				buf[i] = byte(rng.IntN(128))
			}
			s := string(buf[:n])
			for _, k := range []Kind{0, KindEmail, KindAddress} {
				want := h.Sum(k, strings.ToLower(s))
				if got := h.sumLowerASCII(k, s); got != want {
					t.Fatalf("sumLowerASCII(%v, %q) = %016x, want %016x", k, s, got, want)
				}
				kk := h.keys[k]
				if got := siphash.Hash(kk[0], kk[1], []byte(s)); got != h.SumBytes(k, buf[:n]) {
					t.Fatalf("SumBytes(%v, %q) is not SipHash-2-4", k, s)
				}
			}
		}
	}
}
