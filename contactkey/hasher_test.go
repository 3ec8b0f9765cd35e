package contactkey

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

func testSecret() []byte {
	s := make([]byte, 32)
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

func TestNewHasherSecretLength(t *testing.T) {
	if _, err := NewHasher(make([]byte, 31)); !errors.Is(err, ErrShortSecret) {
		t.Errorf("31-byte secret: %v", err)
	}
	if _, err := NewHasher(nil); !errors.Is(err, ErrShortSecret) {
		t.Errorf("nil secret: %v", err)
	}
	if _, err := NewHasher(make([]byte, 32)); err != nil {
		t.Errorf("32-byte secret: %v", err)
	}
}

// The hashes are stored: a change in how keys are derived would make every
// stored e-mail and address key unmatchable, so they are pinned.
func TestHasherGolden(t *testing.T) {
	h, err := NewHasher(testSecret())
	if err != nil {
		t.Fatal(err)
	}
	runGolden(t, "hashes.golden", 2, func(cols []string) string {
		k, err := ParseKind(cols[0])
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%016x", h.Sum(k, cols[1]))
	})
	fp := sha256.Sum256(append([]byte("hush-secret-fingerprint"), testSecret()...))
	if got, want := h.Fingerprint(), hex.EncodeToString(fp[:8]); got != want {
		t.Errorf("fingerprint %s, want %s", got, want)
	}
}

func TestHasherSeparatesKindsAndSecrets(t *testing.T) {
	a, _ := NewHasher(testSecret())
	other := testSecret()
	other[31] ^= 1
	b, _ := NewHasher(other)
	seen := map[uint64]string{}
	for _, k := range Kinds {
		for _, h := range []*Hasher{a, b} {
			v := h.Sum(k, "same text")
			if prev, dup := seen[v]; dup {
				t.Errorf("%v collides with %s", k, prev)
			}
			seen[v] = fmt.Sprint(k, h.Fingerprint())
		}
	}
	if a.Fingerprint() == b.Fingerprint() || len(a.Fingerprint()) != 16 {
		t.Errorf("fingerprints %q %q", a.Fingerprint(), b.Fingerprint())
	}
	if a.Sum(KindEmail, "x") != a.Sum(KindEmail, "x") {
		t.Error("Sum is not deterministic")
	}
	if a.Sum(Kind(0), "x") == a.Sum(KindEmail, "x") || a.Sum(Kind(9), "x") != a.Sum(Kind(0), "x") {
		t.Error("undefined kinds should share their own key")
	}
}

func BenchmarkHasherSum(b *testing.B) {
	h, _ := NewHasher(testSecret())
	for _, s := range []string{"alice.smith+news@example.co.uk", "12 main st apt 4 springfield il 62701"} {
		b.Run(fmt.Sprint(len(s), "B"), func(b *testing.B) {
			b.ReportAllocs()
			var sink uint64
			for b.Loop() {
				sink += h.Sum(KindEmail, s)
			}
			_ = sink
		})
	}
}
