package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Role is what a key may do. The numbers are written to the journal.
type Role uint8

const (
	// Agent: live checks only (allowed or not, and reason codes).
	Agent Role = 1
	// Marketer: scrubs, list imports, opt-out intake.
	Marketer Role = 2
	// Analyst: group-level reports (RFM and later).
	Analyst Role = 3
	// PrivacyOfficer: subject look-ups, list exports, removals, the access log.
	PrivacyOfficer Role = 4
	// Admin: lists and keys.
	Admin Role = 5
)

// Roles lists every role, in order.
var Roles = []Role{Agent, Marketer, Analyst, PrivacyOfficer, Admin}

func (r Role) String() string {
	switch r {
	case Agent:
		return "agent"
	case Marketer:
		return "marketer"
	case Analyst:
		return "analyst"
	case PrivacyOfficer:
		return "privacy_officer"
	case Admin:
		return "admin"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// Valid reports whether r is a defined role.
func (r Role) Valid() bool { return r >= Agent && r <= Admin }

// ErrUnknownRole is returned by ParseRole.
var ErrUnknownRole = errors.New("unknown role")

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, r := range Roles {
		if r.String() == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want agent, marketer, analyst, privacy_officer or admin)", ErrUnknownRole, s)
}

// Key format: "hush_" + 12 hex digits of id + "_" + 43 base64url-ish
// characters of secret. The id is public (it names the key in listings,
// revocations and the access log); the whole string is the credential.
const (
	keyPrefix = "hush_"
	idLen     = 12
	secretLen = 32 // bytes of randomness
)

// ErrMalformedKey: the presented string is not shaped like a hush key.
var ErrMalformedKey = errors.New("malformed API key")

// NewKey makes a fresh key: its public id and the full secret string.
func NewKey() (id, key string, err error) {
	var b [idLen/2 + secretLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	id = hex.EncodeToString(b[:idLen/2])
	key = keyPrefix + id + "_" + hex.EncodeToString(b[idLen/2:])
	return id, key, nil
}

// KeyID returns the public id of a presented key, or ErrMalformedKey.
func KeyID(key string) (string, error) {
	if len(key) != len(keyPrefix)+idLen+1+2*secretLen || !strings.HasPrefix(key, keyPrefix) || key[len(keyPrefix)+idLen] != '_' {
		return "", ErrMalformedKey
	}
	id := key[len(keyPrefix) : len(keyPrefix)+idLen]
	for i := 0; i < len(id); i++ {
		if !isHex(id[i]) {
			return "", ErrMalformedKey
		}
	}
	return id, nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// Hash is how a key is stored: SHA-256 of the whole key string. Keys carry
// 256 bits of randomness, so a fast hash is enough (no password stretching
// is needed for secrets nobody chose).
func Hash(key string) [32]byte {
	// Keys are short: hash from a stack buffer, not a heap copy.
	var buf [128]byte
	if len(key) <= len(buf) {
		return sha256.Sum256(append(buf[:0], key...))
	}
	return sha256.Sum256([]byte(key))
}
