package suppression

import (
	"slices"

	"github.com/hushcrm/hush/contactkey"
)

// Change is what one or more mutations of the store did to who is
// suppressed, as a reader deriving state from the store (the engine's
// customer-level suppression of a campaign scope) needs it to patch that
// state instead of recomputing it: the keys whose standing may differ.
type Change struct {
	Version uint64 // the last version the change covers
	Kind    contactkey.Kind
	// Keys are the contact keys (phone numbers, or keyed hashes as in
	// contactkey.Key.V) whose entry in List, or whose opt-out events,
	// changed. Valid only during the ChangesSince callback.
	Keys []uint64
	// List is the list whose entries changed, was created or was deleted;
	// "" for opt-out and opt-in events (an opt-in that takes a key out of
	// a sticky list is reported as the event's key alone).
	List string
	// Structural: the list was created or deleted. Its entries are not
	// listed; the reader compares the list versions it knew with the
	// current ones.
	Structural bool
	// Wide: more keys changed than the log keeps (a large import or
	// replace): every key of the list may have changed.
	Wide bool
}

// maxChangeKeys bounds the keys the log keeps (8 bytes each): past it
// the oldest changes are dropped, and readers that fell further behind
// recompute. A commit that changes more entries than that is logged as
// wide. It is well above what a reader patches faster than it recomputes
// (see engine/scopesuppression.go).
const maxChangeKeys = 1 << 21

// ChangesSince calls fn for every change after version v, oldest first,
// and reports whether the log reaches back to v: false when v is older
// than the oldest change the log kept (it was trimmed, or the store was
// read from a snapshot after v) or after the store's version. The log is
// not part of the store's state (snapshots do not carry it). Like Decide
// it needs the engine's read lock.
func (s *Store) ChangesSince(v uint64, fn func(c *Change)) bool {
	if v < s.changesFloor || v > s.version {
		return false
	}
	i, _ := slices.BinarySearchFunc(s.changes, v+1, func(c Change, v uint64) int {
		switch {
		case c.Version < v:
			return -1
		case c.Version > v:
			return 1
		}
		return 0
	})
	// A coalesced change (opt-out events) may also hold events at or
	// before v: a superset, which is safe.
	for k := i; k < len(s.changes); k++ {
		fn(&s.changes[k])
	}
	return true
}

// logChange appends a change, coalescing opt-out events of one kind
// into the change before it, and trims the log to its bound.
func (s *Store) logChange(c Change) {
	if n := len(s.changes); n > 0 && c.List == "" && !c.Wide {
		if last := &s.changes[n-1]; last.List == "" && !last.Wide && last.Kind == c.Kind && len(last.Keys) < 1<<16 {
			last.Keys = append(last.Keys, c.Keys...)
			last.Version = c.Version
			s.changeKeys += len(c.Keys)
			s.trimChanges()
			return
		}
	}
	s.changes = append(s.changes, c)
	s.changeKeys += len(c.Keys)
	s.trimChanges()
}

func (s *Store) trimChanges() {
	if s.changeKeys <= maxChangeKeys && len(s.changes) <= maxChangeKeys/16 {
		return
	}
	drop := 0
	for drop < len(s.changes) && (s.changeKeys > maxChangeKeys/2 || len(s.changes)-drop > maxChangeKeys/32) {
		s.changeKeys -= len(s.changes[drop].Keys)
		s.changesFloor = s.changes[drop].Version
		drop++
	}
	s.changes = slices.Clone(s.changes[drop:])
}

// listChangeKeys works out which keys a commit changed: membership (the
// entries that came or went: diff, which the caller computes the cheap
// way its mode allows) and the entries whose expiry changed. It returns
// nil and wide when they are more than the log keeps. dict maps the
// hashed kinds' ids back to keys (nil for phones).
func listChangeKeys(diff func() set, phone bool, oldExp, newExp expiries, changed uint64, dict *contactkey.Dictionary) (keys []uint64, wide bool) {
	if changed > maxChangeKeys {
		return nil, true
	}
	// Expiry changes: values whose (value, expiry) pair is in one side
	// only, among the entries of the new version.
	i, j := 0, 0
	var vals []uint64
	for i < len(oldExp.keys) || j < len(newExp.keys) {
		switch {
		case j == len(newExp.keys) || i < len(oldExp.keys) && oldExp.keys[i] < newExp.keys[j]:
			vals = append(vals, oldExp.keys[i])
			i++
		case i == len(oldExp.keys) || newExp.keys[j] < oldExp.keys[i]:
			vals = append(vals, newExp.keys[j])
			j++
		default:
			if oldExp.at[i] != newExp.at[j] {
				vals = append(vals, oldExp.keys[i])
			}
			i++
			j++
		}
		if len(vals) > maxChangeKeys {
			return nil, true
		}
	}
	d := newSet(phone)
	if diff != nil {
		d = diff()
	}
	if len(vals) > 0 {
		e := newSet(phone)
		e.addSorted(vals)
		d = setOr(d, e)
	}
	if d.card() > maxChangeKeys {
		return nil, true
	}
	keys = make([]uint64, 0, d.card())
	buf := make([]uint64, 4096)
	d.each(buf, func(vs []uint64) {
		for _, v := range vs {
			if dict != nil {
				v = dict.Value(uint32(v))
			}
			keys = append(keys, v)
		}
	})
	return keys, false
}

// EachExpiring calls fn for every entry whose expiry is in (from, to]:
// the entries active at from and not at to (or the other way round when
// to < from, with the bounds swapped by the caller). A walk over the
// list's expiries, 16 bytes each. Needs the engine's read lock for hashed
// kinds.
func (l *List) EachExpiring(from, to int64, fn func(key uint64)) {
	for i, at := range l.exp.at {
		if at > from && at <= to {
			v := l.exp.keys[i]
			if l.dict != nil {
				v = l.dict.Value(uint32(v))
			}
			fn(v)
		}
	}
}
