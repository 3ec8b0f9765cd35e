package unsubscribe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// Token is what a one-click link says.
type Token struct {
	Key      uint64 // keyed hash of the normalised email address
	Purpose  string // the purpose the recipient opts out of
	Campaign string // the campaign the mail belongs to
	Issued   int64  // unix seconds
}

const (
	version = 1
	macLen  = 16 // 128-bit truncated HMAC-SHA256
	maxText = 128
)

// Errors of Verify.
var (
	ErrMalformed = errors.New("malformed unsubscribe token")
	ErrForged    = errors.New("unsubscribe token signature does not match")
)

var enc = base64.RawURLEncoding

// Mint signs t with secret.
func Mint(secret []byte, t Token) (string, error) {
	if len(t.Purpose) == 0 || len(t.Purpose) > maxText || len(t.Campaign) > maxText {
		return "", fmt.Errorf("%w: purpose must be 1..%d bytes and campaign at most %d", ErrMalformed, maxText, maxText)
	}
	b := make([]byte, 0, 48+len(t.Purpose)+len(t.Campaign))
	b = append(b, version)
	b = binary.BigEndian.AppendUint64(b, t.Key)
	b = binary.AppendVarint(b, t.Issued)
	b = append(b, byte(len(t.Purpose)))
	b = append(b, t.Purpose...)
	b = append(b, byte(len(t.Campaign)))
	b = append(b, t.Campaign...)
	b = append(b, sum(secret, b)...)
	return enc.EncodeToString(b), nil
}

func sum(secret, payload []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("hush-unsubscribe/1\x00"))
	m.Write(payload)
	return m.Sum(nil)[:macLen]
}

// Verify checks s and returns what it says.
func Verify(secret []byte, s string) (Token, error) {
	var t Token
	if len(s) > 1024 {
		return t, ErrMalformed
	}
	b, err := enc.DecodeString(s)
	if err != nil || len(b) < 1+8+1+1+1+macLen {
		return t, ErrMalformed
	}
	payload, mac := b[:len(b)-macLen], b[len(b)-macLen:]
	// Check the signature before reading anything else from the bytes.
	if !hmac.Equal(mac, sum(secret, payload)) {
		return t, ErrForged
	}
	if payload[0] != version {
		return t, ErrMalformed
	}
	p := payload[1:]
	t.Key = binary.BigEndian.Uint64(p)
	p = p[8:]
	issued, n := binary.Varint(p)
	if n <= 0 {
		return t, ErrMalformed
	}
	t.Issued = issued
	p = p[n:]
	text := func() (string, bool) {
		if len(p) < 1 || len(p) < 1+int(p[0]) {
			return "", false
		}
		v := string(p[1 : 1+int(p[0])])
		p = p[1+int(p[0]):]
		return v, true
	}
	var ok1, ok2 bool
	t.Purpose, ok1 = text()
	t.Campaign, ok2 = text()
	if !ok1 || !ok2 || len(p) != 0 || t.Purpose == "" {
		return Token{}, ErrMalformed
	}
	return t, nil
}
