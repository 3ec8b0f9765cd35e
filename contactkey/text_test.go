package contactkey

import (
	"errors"
	"strings"
	"testing"
)

func TestEmailReasons(t *testing.T) {
	for _, c := range []struct{ in, reason string }{
		{"", ReasonEmpty},
		{"alice", ReasonMalformedEmail},
		{"a@b@c.example", ReasonMalformedEmail},
		{"@example.com", ReasonMalformedEmail},
		{strings.Repeat("a", 65) + "@example.com", ReasonEmailTooLong},
		{"alice@" + strings.Repeat("a.", 126) + "com", ReasonInvalidDomain},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com", ReasonEmailTooLong},
		{"alice@example", ReasonInvalidDomain},
		{"alice@exa\x00mple.com", ReasonInvalidDomain},
		{"ali\x01ce@example.com", ReasonMalformedEmail},
		{"\xff@example.com", ReasonInvalidUTF8},
		{"alice@ex ample.com", ReasonInvalidDomain},
	} {
		_, err := NormalizeEmail(c.in)
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Reason != c.reason || ke.Kind != KindEmail || !errors.Is(err, ErrInvalidKey) {
			t.Errorf("NormalizeEmail(%q) = %v, want reason %s", c.in, err, c.reason)
		}
	}
}

func TestAddressReasons(t *testing.T) {
	for _, c := range []struct{ in, reason string }{
		{"", ReasonEmpty},
		{" ,;- ", ReasonEmpty},
		{"12 Main St\x00", ReasonControlChars},
		{"12 Main St\x7f", ReasonControlChars},
		{"\xc3\x28", ReasonInvalidUTF8},
		{strings.Repeat("a ", 3000), ReasonTooLongText},
	} {
		_, err := NormalizeAddress(c.in)
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Reason != c.reason || ke.Kind != KindAddress {
			t.Errorf("NormalizeAddress(%q) = %v, want reason %s", c.in, err, c.reason)
		}
	}
	// Line breaks and tabs of multi-line address cells are white space.
	got, err := NormalizeAddress("12 Main Street\r\nApt 4\tSpringfield")
	if err != nil || got != "12 main st apt 4 springfield" {
		t.Errorf("multi-line address: %q, %v", got, err)
	}
}

func TestAddressAbbreviationsAreFixedPoints(t *testing.T) {
	for long, short := range addressAbbrev {
		if again, ok := addressAbbrev[short]; ok && again != short {
			t.Errorf("%s → %s → %s: folding twice would change the key", long, short, again)
		}
		if short != strings.ToLower(short) || long != strings.ToLower(long) {
			t.Errorf("entry %s → %s is not case-folded", long, short)
		}
		a, _ := NormalizeAddress("1 " + long)
		b, _ := NormalizeAddress("1 " + short)
		if a != b {
			t.Errorf("%q and %q differ: %q vs %q", long, short, a, b)
		}
	}
}

func TestCustomerReasons(t *testing.T) {
	for _, c := range []struct{ in, reason string }{
		{"", ReasonEmpty},
		{" \t ", ReasonEmpty},
		{"C-1\x00", ReasonControlChars},
		{"C\n1", ReasonControlChars},
		{"C-\xff", ReasonInvalidUTF8},
		{strings.Repeat("x", 257), ReasonTooLongText},
	} {
		_, err := NormalizeCustomer(c.in)
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Reason != c.reason || ke.Kind != KindCustomer {
			t.Errorf("NormalizeCustomer(%q) = %v, want reason %s", c.in, err, c.reason)
		}
	}
}

func TestNormalizeDispatch(t *testing.T) {
	n := mustNormalizer(t, "CN")
	for _, c := range []struct {
		kind     Kind
		in, want string
	}{
		{KindPhone, "021 6234 5678", "+862162345678"},
		{KindEmail, " Alice@Example.com", "alice@example.com"},
		{KindAddress, "12 Main Street, Apt. 4", "12 main st apt 4"},
		{KindCustomer, " C-1 ", "C-1"},
	} {
		got, err := n.Normalize(c.kind, c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%v, %q) = %q, %v; want %q", c.kind, c.in, got, err, c.want)
		}
		again, err := n.Normalize(c.kind, got)
		if err != nil || again != got {
			t.Errorf("Normalize(%v, %q) again = %q, %v", c.kind, got, again, err)
		}
	}
	if _, err := n.Normalize(Kind(9), "x"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestKey(t *testing.T) {
	n := mustNormalizer(t, "CN")
	h, err := NewHasher([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	k, err := n.Key(KindPhone, []byte("(021) 6234-5678"), nil)
	if err != nil || k != (Key{Kind: KindPhone, V: 862162345678}) {
		t.Errorf("phone key %+v, %v", k, err)
	}
	a, err1 := n.Key(KindEmail, []byte("Alice@Example.com"), h)
	b, err2 := n.Key(KindEmail, []byte(" alice@example.COM "), h)
	if err1 != nil || err2 != nil || a != b || a.Kind != KindEmail || a.V != h.Sum(KindEmail, "alice@example.com") {
		t.Errorf("email keys %+v %+v, %v %v", a, b, err1, err2)
	}
	addr, _ := n.Key(KindAddress, []byte("上海市南京东路１００号"), h)
	addr2, _ := n.Key(KindAddress, []byte("上海市南京东路100号"), h)
	if addr != addr2 {
		t.Errorf("address keys differ: %+v %+v", addr, addr2)
	}
	// The same text as two kinds is two keys.
	c1, _ := n.Key(KindCustomer, []byte("x@y.example"), h)
	e1, _ := n.Key(KindEmail, []byte("x@y.example"), h)
	if c1.V == e1.V {
		t.Error("customer and e-mail keys of the same text collide")
	}
	if _, err := n.Key(KindEmail, []byte("a@b.example"), nil); !errors.Is(err, ErrNoHasher) {
		t.Errorf("no hasher: %v", err)
	}
	if _, err := n.Key(Kind(0), []byte("x"), h); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("kind 0: %v", err)
	}
	// A rejected input's error must not alias the caller's buffer.
	buf := []byte("not-an-email")
	_, err = n.Key(KindEmail, buf, h)
	copy(buf, "XXXXXXXXXXXX")
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Input != "not-an-email" {
		t.Errorf("error input %q after the buffer was reused", ke.Input)
	}
}
