package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// Entry is one read of personal data.
type Entry struct {
	Seq     uint64 // journal position of the entry
	At      int64  // unix seconds
	KeyID   string // API key id, or "cli:<user@host>"
	Role    string
	Action  string // subject_lookup, list_export, ...
	Subject string
	Why     string
	Detail  string
	Prev    [32]byte // hash of the entry before (zero for the first)
	Hash    [32]byte // hash of this entry, covering Prev
}

// Sum computes the entry's hash from its fields and prev.
func Sum(e *Entry, prev [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("hush-access/1\x00"))
	h.Write(prev[:])
	var b [binary.MaxVarintLen64]byte
	h.Write(b[:binary.PutUvarint(b[:], e.Seq)])
	h.Write(b[:binary.PutVarint(b[:], e.At)])
	for _, s := range []string{e.KeyID, e.Role, e.Action, e.Subject, e.Why, e.Detail} {
		h.Write(b[:binary.PutUvarint(b[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Chain appends entries and remembers the head.
type Chain struct {
	Head [32]byte
	N    uint64
}

// Append links e to the chain: it sets e.Prev and e.Hash.
func (c *Chain) Append(e *Entry) {
	e.Prev = c.Head
	e.Hash = Sum(e, c.Head)
	c.Head = e.Hash
	c.N++
}

// ErrBroken: the entries do not form a chain.
var ErrBroken = errors.New("access log hash chain is broken")

// Verify checks that entries link up from start (the Prev of the first)
// and returns the head hash.
func Verify(entries []Entry, start [32]byte) ([32]byte, error) {
	prev := start
	for i := range entries {
		e := &entries[i]
		if e.Prev != prev {
			return prev, fmt.Errorf("%w at entry %d (seq %d): it links to %s, the entry before hashes to %s", ErrBroken, i, e.Seq, Hex(e.Prev), Hex(prev))
		}
		if got := Sum(e, prev); got != e.Hash {
			return prev, fmt.Errorf("%w at entry %d (seq %d): its content hashes to %s, it says %s", ErrBroken, i, e.Seq, Hex(got), Hex(e.Hash))
		}
		prev = e.Hash
	}
	return prev, nil
}

// Hex renders a hash.
func Hex(h [32]byte) string { return hex.EncodeToString(h[:]) }
