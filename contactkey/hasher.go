package contactkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
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

// Fingerprint is a short, non-secret identifier of the secret (16 hex
// digits of SHA-256("hush-secret-fingerprint" || secret)). Stored beside
// hashed data, it shows when a different secret file was swapped in, which
// would silently make every stored hash unmatchable.
func (h *Hasher) Fingerprint() string { return h.fingerprint }
