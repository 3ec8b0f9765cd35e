package contactkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/dchest/siphash"
)

// MinSecretLen is the shortest secret NewHasher accepts (256 bits).
const MinSecretLen = 32

// ErrShortSecret is returned by NewHasher for a secret under MinSecretLen
// bytes.
var ErrShortSecret = errors.New("hash secret too short")

// Hasher turns normalised key text into the keyed 64-bit hashes the
// suppression sets store (SipHash-2-4). Each kind has its own SipHash key,
// derived from the deployment secret, so an e-mail and an address with the
// same text hash differently. Without the secret the hashes cannot be
// recomputed from guessed plaintext. It is safe for concurrent use.
type Hasher struct {
	keys        [KindAddress + 1][2]uint64 // index 0: undefined kinds
	fingerprint string
}

// NewHasher derives the per-kind keys from secret (at least MinSecretLen
// bytes; the caller keeps it secret and stable: changing it changes every
// hashed key).
func NewHasher(secret []byte) (*Hasher, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrShortSecret, len(secret), MinSecretLen)
	}
	h := &Hasher{}
	for k := range h.keys {
		// HMAC-SHA-256(secret, label) is a PRF: the kinds' keys are
		// independent, and none reveals the secret or another key.
		mac := hmac.New(sha256.New, secret)
		fmt.Fprintf(mac, "hush/contactkey/v1/siphash-key/%s", Kind(k))
		sum := mac.Sum(nil)
		h.keys[k] = [2]uint64{binary.LittleEndian.Uint64(sum[0:8]), binary.LittleEndian.Uint64(sum[8:16])}
	}
	fp := sha256.New()
	fp.Write([]byte("hush-secret-fingerprint"))
	fp.Write(secret)
	h.fingerprint = hex.EncodeToString(fp.Sum(nil)[:8])
	return h, nil
}

// Sum is the keyed hash of normalized (the output of the kind's
// normaliser) for the given kind.
func (h *Hasher) Sum(kind Kind, normalized string) uint64 {
	k := &h.keys[0]
	if kind.Valid() {
		k = &h.keys[kind]
	}
	return siphash.Hash(k[0], k[1], unsafe.Slice(unsafe.StringData(normalized), len(normalized)))
}

// SumBytes is Sum of the text in b: the same hash, for normalised text
// that is still in a byte buffer (it does not keep b).
func (h *Hasher) SumBytes(kind Kind, b []byte) uint64 {
	k := &h.keys[0]
	if kind.Valid() {
		k = &h.keys[kind]
	}
	return siphash.Hash(k[0], k[1], b)
}

// Fingerprint is a short, non-secret identifier of the secret (16 hex
// digits of SHA-256("hush-secret-fingerprint" || secret)). Stored beside
// hashed data, it shows when a different secret file was swapped in, which
// would silently make every stored hash unmatchable.
func (h *Hasher) Fingerprint() string { return h.fingerprint }

// sumLowerASCII is h.Sum(kind, strings.ToLower(s)) for ASCII s, without
// the lower-cased copy: SipHash-2-4 itself, written out here so that each
// 8-byte block is lower-cased as it is loaded. A test holds it to the
// library's Hash.
func (h *Hasher) sumLowerASCII(kind Kind, s string) uint64 {
	k := &h.keys[0]
	if kind.Valid() {
		k = &h.keys[kind]
	}
	v0 := k[0] ^ 0x736f6d6570736575
	v1 := k[1] ^ 0x646f72616e646f6d
	v2 := k[0] ^ 0x6c7967656e657261
	v3 := k[1] ^ 0x7465646279746573
	n := len(s)
	for ; len(s) >= 8; s = s[8:] {
		m := lowerASCIIWord(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8)))
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
	}
	var t uint64
	for i := len(s) - 1; i >= 0; i-- {
		t = t<<8 | uint64(s[i])
	}
	b := lowerASCIIWord(t) | uint64(n)<<56
	v3 ^= b
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= b
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return v0 ^ v1 ^ v2 ^ v3
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// lowerASCIIWord lower-cases the eight ASCII bytes of w at once. For a
// byte x < 0x80, x+0x3f has its top bit set iff x >= 'A', and x+0x25 iff
// x > 'Z'; neither carries into the next byte.
func lowerASCIIWord(w uint64) uint64 {
	const ones = 0x0101010101010101
	upper := (w + 0x3f*ones) &^ (w + 0x25*ones) & (0x80 * ones)
	return w | upper>>2
}
