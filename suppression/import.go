package suppression

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hushcrm/hush/contactkey"
)

// ImportMode says how an import's keys change the list. The values are
// part of the journal format: never renumber them.
type ImportMode uint8

const (
	// Replace makes the list exactly the staged keys (sticky lists keep
	// their existing entries).
	Replace ImportMode = 1
	// Add unions the staged keys into the list.
	Add ImportMode = 2
	// Remove subtracts the staged keys from the list (sticky lists keep
	// them).
	Remove ImportMode = 3
)

func (m ImportMode) String() string {
	switch m {
	case Replace:
		return "replace"
	case Add:
		return "add"
	case Remove:
		return "remove"
	}
	return fmt.Sprintf("import_mode(%d)", uint8(m))
}

// Valid reports whether m is a defined mode.
func (m ImportMode) Valid() bool { return m >= Replace && m <= Remove }

// ParseImportMode reads "replace", "add" or "remove".
func ParseImportMode(s string) (ImportMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "replace":
		return Replace, nil
	case "add":
		return Add, nil
	case "remove":
		return Remove, nil
	}
	return 0, fmt.Errorf("%w %q (want replace, add or remove)", ErrUnknownMode, s)
}

// ImportResult counts what a commit did.
type ImportResult struct {
	Added      uint64 // entries that were not in the list before
	Removed    uint64 // entries taken out
	KeptSticky uint64 // entries of a sticky list that Replace or Remove would have taken out
	Total      uint64 // entries after the commit
}

// Import stages keys for one list; nothing is visible until
// Store.CommitImport, which applies all of them or none. Staging touches
// no store state, so the engine may feed an Import without its lock. An
// Import is not safe for concurrent use.
type Import struct {
	list string
	kind contactkey.Kind
	mode ImportMode
	done bool
	n    uint64 // keys staged

	// Phones. Keys without expiry go into bitmaps: straight onto the
	// last part while they arrive in ascending order (the common case of
	// a sorted registry file), otherwise through pending, which is
	// radix-sorted into a new part when full. Parts are merged like a
	// binary counter, so the total merge work stays O(n log n).
	pending []uint64
	tmp     []uint64
	parts   []set
	lastMax uint64

	// Hashed kinds keep the raw values in staging order, because their
	// dense ids are assigned at commit, in that order.
	raw    []uint64
	rawExp []int64 // nil until a key with expiry arrives; then parallel to raw

	pairs []expPair // phones with an expiry
}

// pendingCap bounds the unsorted phone buffer: 32 MiB, plus as much
// scratch for the sort.
const pendingCap = 1 << 22

// BeginImport starts staging keys for the named list.
func (s *Store) BeginImport(list string, mode ImportMode) (*Import, error) {
	if s.frozen {
		return nil, ErrFrozen
	}
	if !mode.Valid() {
		return nil, fmt.Errorf("%w %d", ErrUnknownMode, uint8(mode))
	}
	l, ok := s.lists[list]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownList, list)
	}
	return &Import{list: list, kind: l.spec.Kind, mode: mode}, nil
}

// List is the name of the list the import is for.
func (im *Import) List() string { return im.list }

// Mode is the import's mode.
func (im *Import) Mode() ImportMode { return im.mode }

// Staged is the number of keys staged so far (duplicates included).
func (im *Import) Staged() uint64 { return im.n }

// Add stages keys: phone numbers as integers, or the keyed hashes of the
// list's kind. expires is nil or parallel to keys: unix seconds, 0 for no
// expiry. A key staged more than once keeps the expiry that suppresses
// longest (no expiry beats any). Remove ignores expiries. keys and
// expires are not retained.
func (im *Import) Add(keys []uint64, expires []int64) {
	if im.done || len(keys) == 0 {
		return
	}
	im.n += uint64(len(keys))
	if len(expires) != len(keys) || im.mode == Remove || !slices.ContainsFunc(expires, func(e int64) bool { return e != 0 }) {
		expires = nil
	}
	if im.kind != contactkey.KindPhone {
		if expires != nil && im.rawExp == nil {
			im.rawExp = make([]int64, len(im.raw), max(cap(im.raw), len(im.raw)+len(keys)))
		}
		im.raw = append(im.raw, keys...)
		if im.rawExp != nil {
			if expires != nil {
				im.rawExp = append(im.rawExp, expires...)
			} else {
				im.rawExp = append(im.rawExp, make([]int64, len(keys))...)
			}
		}
		return
	}
	if expires != nil {
		for i, k := range keys {
			if expires[i] != 0 {
				im.pairs = append(im.pairs, expPair{k, expires[i]})
			} else {
				im.addPhone(k)
			}
		}
		return
	}
	if sortedAscending(keys) {
		switch {
		case len(im.parts) > 0 && keys[0] > im.lastMax:
			im.parts[len(im.parts)-1].addSorted(keys)
			im.lastMax = keys[len(keys)-1]
			return
		case len(im.parts) == 0 && len(im.pending) == 0, len(keys) >= 1<<16:
			p := newSet(true)
			p.addSorted(keys)
			im.pushPart(p, keys[len(keys)-1])
			return
		}
	}
	im.pending = append(im.pending, keys...)
	if len(im.pending) >= pendingCap {
		im.flushPending()
	}
}

func (im *Import) addPhone(k uint64) {
	im.pending = append(im.pending, k)
	if len(im.pending) >= pendingCap {
		im.flushPending()
	}
}

func (im *Import) flushPending() {
	if len(im.pending) == 0 {
		return
	}
	if !sortedAscending(im.pending) {
		if len(im.tmp) < len(im.pending) {
			im.tmp = make([]uint64, len(im.pending))
		}
		radixSort(im.pending, nil, im.tmp, nil)
	}
	p := newSet(true)
	p.addSorted(im.pending)
	im.pushPart(p, im.pending[len(im.pending)-1])
	im.pending = im.pending[:0]
}

// pushPart appends a part and merges the last two while the newer is at
// least half the size of the older.
func (im *Import) pushPart(p set, maxV uint64) {
	im.parts = append(im.parts, p)
	for n := len(im.parts); n >= 2 && 2*im.parts[n-1].card() >= im.parts[n-2].card(); n = len(im.parts) {
		im.parts[n-2] = setOr(im.parts[n-2], im.parts[n-1])
		im.parts = im.parts[:n-1]
	}
	last := im.parts[len(im.parts)-1]
	im.lastMax = max(maxV, last.maximum())
}

// release drops the staging buffers.
func (im *Import) release() {
	im.done = true
	im.pending, im.tmp, im.parts, im.raw, im.rawExp, im.pairs = nil, nil, nil, nil, nil, nil
}

// Abort drops the staged keys; a later commit fails.
func (im *Import) Abort() { im.release() }

// staged turns the staging area into the staged set and its expiring
// entries (sorted, each value once, none that is also staged without
// expiry). For hashed kinds it assigns dictionary ids in staging order
// (Replace, Add) or only looks them up (Remove: a key with no id is in no
// list).
func (im *Import) staged(dict *contactkey.Dictionary) (set, []expPair) {
	phone := im.kind == contactkey.KindPhone
	var perm set
	pairs := im.pairs
	if phone {
		im.flushPending()
		perm = setFastOr(true, im.parts)
	} else {
		vals := make([]uint64, 0, len(im.raw))
		for i, v := range im.raw {
			var id uint32
			if im.mode == Remove {
				var ok bool
				if id, ok = dict.Lookup(v); !ok {
					continue
				}
			} else {
				id = dict.Assign(v)
			}
			if im.rawExp != nil && im.rawExp[i] != 0 {
				pairs = append(pairs, expPair{uint64(id), im.rawExp[i]})
				continue
			}
			vals = append(vals, uint64(id))
		}
		radixSort(vals, nil, nil, nil)
		perm = newSet(false)
		perm.addSorted(vals)
	}
	if len(pairs) == 0 {
		return perm, nil
	}
	pairs = sortPairs(pairs)
	out := pairs[:0]
	for _, p := range pairs {
		if !perm.contains(p.v) {
			out = append(out, p)
		}
	}
	vals := make([]uint64, len(out))
	for i, p := range out {
		vals[i] = p.v
	}
	withExp := newSet(phone)
	withExp.addSorted(vals)
	return setOr(perm, withExp), out
}

// CommitImport applies a staged import to the current version of its list
// as one change at version and at, and returns what changed. The list gets
// a new version only when its content changed. A sticky list
// (customer_request, complaint) never loses entries to an import: what
// Replace or Remove would have removed is counted in KeptSticky.
func (s *Store) CommitImport(im *Import, version uint64, at time.Time) (ImportResult, error) {
	if err := s.mutate(version); err != nil {
		return ImportResult{}, err
	}
	if im.done {
		return ImportResult{}, fmt.Errorf("%w: list %q", ErrImportClosed, im.list)
	}
	l, ok := s.lists[im.list]
	if !ok {
		return ImportResult{}, fmt.Errorf("%w: %q (deleted during the import)", ErrUnknownList, im.list)
	}
	if l.spec.Kind != im.kind {
		return ImportResult{}, fmt.Errorf("%w: list %q now holds %s keys, the import staged %s keys", ErrKindMismatch, im.list, l.spec.Kind, im.kind)
	}
	defer im.release()
	staged, pairs := im.staged(s.dicts[im.kind])
	old := l.entries
	inter := staged.andCard(old)
	sticky := l.spec.Sticky()
	var res ImportResult
	var final set
	var exp expiries
	keepLonger := func(inOld, inNew bool, oldAt, newAt int64) int64 {
		switch {
		case inOld && inNew:
			return laterExpiry(oldAt, newAt)
		case inOld:
			return oldAt
		}
		return newAt
	}
	switch {
	case im.mode == Add || im.mode == Replace && sticky:
		final = setOr(old, staged)
		res.Added = staged.card() - inter
		if im.mode == Replace {
			res.KeptSticky = old.card() - inter
		}
		exp = mergeExpiries(final, l.exp, old, pairs, staged, keepLonger)
	case im.mode == Replace:
		final = staged
		res.Added = staged.card() - inter
		res.Removed = old.card() - inter
		exp = mergeExpiries(final, expiries{}, old, pairs, staged, func(_, _ bool, _, newAt int64) int64 { return newAt })
	case sticky: // Remove
		final = old
		res.KeptSticky = inter
		exp = l.exp
	default: // Remove
		final = setAndNot(old, staged)
		res.Removed = inter
		exp = mergeExpiries(final, l.exp, old, nil, staged, func(_, _ bool, oldAt, _ int64) int64 { return oldAt })
	}
	res.Total = final.card()
	s.version = version
	if res.Added == 0 && res.Removed == 0 && slices.Equal(exp.keys, l.exp.keys) && slices.Equal(exp.at, l.exp.at) {
		return res, nil
	}
	final.optimize()
	s.lists[im.list] = l.with(final, exp, version, at.UnixNano())
	s.listsVersion = version
	return res, nil
}
