package unsubscribe

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

var secret = bytes.Repeat([]byte{9}, 32)

func TestTokenRoundTripAndForgery(t *testing.T) {
	want := Token{Key: 0xdeadbeefcafef00d, Purpose: "direct_marketing", Campaign: "xmas-2026", Issued: 1790000000}
	s, err := Mint(secret, want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(secret, s)
	if err != nil || got != want {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	raw, _ := enc.DecodeString(s)
	cases := map[string]struct {
		tok  string
		want error
	}{
		"other secret":  {s, ErrForged},
		"flipped key":   {enc.EncodeToString(flip(raw, 3)), ErrForged},
		"flipped mac":   {enc.EncodeToString(flip(raw, len(raw)-1)), ErrForged},
		"truncated":     {s[:len(s)-4], ErrForged},
		"not base64":    {"!!!" + s, ErrMalformed},
		"empty":         {"", ErrMalformed},
		"huge":          {strings.Repeat("A", 5000), ErrMalformed},
		"other purpose": {mustMint(t, Token{Key: want.Key, Purpose: "third_party_disclosure"}, []byte("attacker")), ErrForged},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			sec := secret
			if name == "other secret" {
				sec = bytes.Repeat([]byte{8}, 32)
			}
			if _, err := Verify(sec, c.tok); !errors.Is(err, c.want) {
				t.Fatalf("want %v, got %v", c.want, err)
			}
		})
	}
}

func mustMint(t *testing.T, tok Token, sec []byte) string {
	s, err := Mint(sec, tok)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

func FuzzVerify(f *testing.F) {
	s, _ := Mint(secret, Token{Key: 1, Purpose: "direct_marketing", Campaign: "c"})
	f.Add(s)
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := Verify(secret, tok)
		if err != nil {
			return
		}
		again, err := Mint(secret, got)
		if err != nil {
			t.Fatalf("verified token does not re-mint: %v", err)
		}
		if back, err := Verify(secret, again); err != nil || back != got {
			t.Fatalf("re-minted token differs")
		}
	})
}

func TestAnnotateSendFile(t *testing.T) {
	n, _ := contactkey.NewNormalizer("US")
	h, _ := contactkey.NewHasher(secret)
	in := "id,email\n1,Ann@Example.com\n2,not-an-email\n3,bob@example.org\n"
	var out bytes.Buffer
	cnt, err := AnnotateSendFile(strings.NewReader(in), &out, SendFileOptions{Purpose: "direct_marketing", Campaign: "c1", BaseURL: "https://h.example/", Secret: secret, Normalizer: n, Hasher: h, Name: "send.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if cnt.Rows != 3 || cnt.Minted != 2 || cnt.Rejected != 1 {
		t.Fatalf("counts %+v", cnt)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || lines[0] != "id,email,list_unsubscribe,list_unsubscribe_post,hush_reason" {
		t.Fatalf("output:\n%s", out.String())
	}
	if !strings.HasPrefix(lines[1], "1,Ann@Example.com,<https://h.example/u/") || !strings.HasSuffix(lines[1], ">,List-Unsubscribe=One-Click,") {
		t.Fatalf("row 1: %s", lines[1])
	}
	if !strings.Contains(lines[2], "invalid_email") {
		t.Fatalf("row 2: %s", lines[2])
	}
	tok := lines[1][strings.Index(lines[1], "/u/")+3 : strings.Index(lines[1], ">")]
	got, err := Verify(secret, tok)
	k, _ := n.Key(contactkey.KindEmail, []byte("ann@example.com"), h)
	if err != nil || got.Key != k.V || got.Campaign != "c1" {
		t.Fatalf("token %+v %v", got, err)
	}
}
