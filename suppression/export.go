package suppression

import (
	"encoding/hex"
	"time"
)

// EachValue calls fn with runs of the list's bitmap values in ascending
// order: phone numbers for phone lists, dictionary ids for hashed kinds
// (turn them into keys with KeyOf). The entries of a list version never
// change, so this may run without the engine's lock; fn must not keep vs.
func (l *List) EachValue(buf []uint64, fn func(vs []uint64)) {
	if len(buf) == 0 {
		buf = make([]uint64, 4096)
	}
	l.entries.view().each(buf, fn)
}

// KeyOf turns a bitmap value of EachValue into the entry's key value (the
// phone number, or the keyed hash) and its expiry (0: none). For hashed
// kinds it reads the store's dictionary: call it under the engine's read
// lock.
func (l *List) KeyOf(v uint64) (key uint64, expires int64) {
	key = v
	if l.dict != nil {
		key = l.dict.Value(uint32(v))
	}
	return key, l.exp.lookup(v)
}

// ListInfo describes a list version as hush shows it — `hush lists ls`
// and `show`, GET /v1/lists — its spec, size and version; with Info(true)
// also its digest (hex SHA-256 of the canonical content) and the memory
// it holds.
type ListInfo struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Type        string `json:"type"`
	Channels    string `json:"channels"`
	Purposes    string `json:"purposes"`
	Source      string `json:"source"`
	Description string `json:"description,omitempty"`
	Entries     uint64 `json:"entries"`
	Version     uint64 `json:"version"`
	UpdatedAt   string `json:"updated_at"` // RFC 3339, UTC
	Digest      string `json:"digest,omitempty"`
	MemoryBytes uint64 `json:"memory_bytes,omitempty"`
}

// Info describes the list; full adds the digest (computed once per
// version) and the memory.
func (l *List) Info(full bool) ListInfo {
	s := l.spec
	out := ListInfo{
		Name: s.Name, Kind: s.Kind.String(), Type: s.Type.String(), Channels: s.Channels.String(),
		Purposes: s.Purposes.String(), Source: s.Source, Description: s.Description,
		Entries: l.Len(), Version: l.Version(), UpdatedAt: l.UpdatedAt().UTC().Format(time.RFC3339),
	}
	if full {
		d := l.Digest()
		out.Digest = hex.EncodeToString(d[:])
		out.MemoryBytes = l.MemoryBytes()
	}
	return out
}
