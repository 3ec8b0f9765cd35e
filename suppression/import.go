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

// stage turns the staging area into the staged set and its expiring
// entries (sorted, each value once, none that is also staged without
// expiry). It reads the dictionary of a hashed kind but never writes it,
// so readers may use the store meanwhile: a value that has no id yet is
// given, in the staging order of its first occurrence, the id it will
// get when Publish assigns fresh in that order (dict.Len(), dict.Len()+1,
// ...). Remove only looks ids up: a key with no id is in no list.
func (im *Import) stage(dict *contactkey.Dictionary) (staged set, pairs []expPair, fresh []uint64, err error) {
	phone := im.kind == contactkey.KindPhone
	pairs = im.pairs
	if phone {
		im.flushPending()
		staged = setFastOr(true, im.parts)
	} else {
		base := dict.Len()
		// The new values, in staging order: a dictionary of their own
		// gives each its rank among them.
		var local *contactkey.Dictionary
		vals := make([]uint64, 0, len(im.raw))
		for i, v := range im.raw {
			id, ok := dict.Lookup(v)
			if !ok {
				if im.mode == Remove {
					continue
				}
				if local == nil {
					local = contactkey.NewDictionary()
				}
				r := local.Assign(v)
				if base+int(r) >= contactkey.MaxDictionaryLen {
					return set{}, nil, nil, fmt.Errorf("%w: the %s dictionary would exceed %d ids", ErrDictionaryFull, im.kind, uint64(contactkey.MaxDictionaryLen))
				}
				id = uint32(base + int(r))
			}
			if im.rawExp != nil && im.rawExp[i] != 0 {
				pairs = append(pairs, expPair{uint64(id), im.rawExp[i]})
				continue
			}
			vals = append(vals, uint64(id))
		}
		if local != nil {
			fresh = local.AppendValues(nil, 0)
		}
		radixSort(vals, nil, nil, nil)
		staged = newSet(false)
		staged.addSorted(vals)
	}
	if len(pairs) == 0 {
		return staged, nil, fresh, nil
	}
	pairs = sortPairs(pairs)
	out := pairs[:0]
	for _, p := range pairs {
		if !staged.contains(p.v) {
			out = append(out, p)
		}
	}
	vals := make([]uint64, len(out))
	for i, p := range out {
		vals[i] = p.v
	}
	withExp := newSet(phone)
	withExp.addSorted(vals)
	return setOr(staged, withExp), out, fresh, nil
}

// PreparedCommit is an import whose new list version is computed but not
// yet visible: Store.Publish makes it so. Dropping it instead leaves the
// store as it was (the import itself is used up).
type PreparedCommit struct {
	store   *Store
	list    string
	kind    contactkey.Kind
	version uint64
	// What the commit was computed against; Publish checks that none of
	// it moved.
	base      *List
	baseStore uint64
	dictLen   int
	fresh     []uint64               // hashed values to assign ids to, in id order from dictLen
	nextDict  *contactkey.Dictionary // the dictionary with fresh assigned; nil when none are
	next      *List                  // the new version; nil when the content does not change
	res       ImportResult
	published bool
	// What the commit changes, for the change log (ChangesSince).
	changed []uint64
	wide    bool
}

// Result is what the commit does once published.
func (pc *PreparedCommit) Result() ImportResult { return pc.res }

// NewIDs is the number of dictionary ids Publish will assign.
func (pc *PreparedCommit) NewIDs() int { return len(pc.fresh) }

// CommitImport applies a staged import to the current version of its list
// as one change at version and at, and returns what changed: PrepareCommit
// then Publish.
func (s *Store) CommitImport(im *Import, version uint64, at time.Time) (ImportResult, error) {
	pc, err := s.PrepareCommit(im, version, at)
	if err != nil {
		return ImportResult{}, err
	}
	return s.Publish(pc)
}

// PrepareCommit does the work of committing a staged import — sorting,
// merging with the current list, expiries, compressing and serialising
// the new bitmap — without changing anything a reader can see: it only
// reads the store (lists and dictionaries), so it may run while readers
// use the store, provided no other mutation runs meanwhile (the engine's
// single writer, without its write lock). For hashed kinds it works out
// which keys are new to the dictionary and the ids they will get.
// Publish then makes the result visible. The list gets a new version
// only when its content changes. A sticky list (customer_request, complaint) never loses
// entries to an import: what Replace or Remove would have removed is
// counted in KeptSticky.
//
// Errors that leave the import open for a later commit: ErrFrozen,
// ErrStaleVersion, ErrImportClosed, ErrUnknownList, ErrKindMismatch. Once
// the staged keys are read the import is used up, whatever follows.
func (s *Store) PrepareCommit(im *Import, version uint64, at time.Time) (*PreparedCommit, error) {
	if err := s.mutate(version); err != nil {
		return nil, err
	}
	if im.done {
		return nil, fmt.Errorf("%w: list %q", ErrImportClosed, im.list)
	}
	l, ok := s.lists[im.list]
	if !ok {
		return nil, fmt.Errorf("%w: %q (deleted during the import)", ErrUnknownList, im.list)
	}
	if l.spec.Kind != im.kind {
		return nil, fmt.Errorf("%w: list %q now holds %s keys, the import staged %s keys", ErrKindMismatch, im.list, l.spec.Kind, im.kind)
	}
	defer im.release()
	dict := s.dicts[im.kind]
	pc := &PreparedCommit{store: s, list: im.list, kind: im.kind, version: version, base: l, baseStore: s.version}
	if dict != nil {
		pc.dictLen = dict.Len()
	}
	staged, pairs, fresh, err := im.stage(dict)
	if err != nil {
		return nil, err
	}
	pc.fresh = fresh
	if len(fresh) > 0 {
		// Built here, off the engine's lock; Publish installs it.
		pc.nextDict = dict.Extended(fresh)
	}
	old := l.entries.view()
	inter := staged.andCard(old)
	sticky := l.spec.Sticky()
	var res ImportResult
	var final set
	var exp expiries
	var diff func() set // the entries that came or went, computed only when logged
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
		diff = func() set { return setAndNot(staged, old) }
		res.Added = staged.card() - inter
		if im.mode == Replace {
			res.KeptSticky = old.card() - inter
		}
		exp = mergeExpiries(final, l.exp, old, pairs, staged, keepLonger)
	case im.mode == Replace:
		final = staged
		res.Added = staged.card() - inter
		res.Removed = old.card() - inter
		diff = func() set { return setXor(old, staged) }
		exp = mergeExpiries(final, expiries{}, old, pairs, staged, func(_, _ bool, _, newAt int64) int64 { return newAt })
	case sticky: // Remove
		final = old
		res.KeptSticky = inter
		exp = l.exp
	default: // Remove
		final = setAndNot(old, staged)
		res.Removed = inter
		diff = func() set { return setAnd(old, staged) }
		exp = mergeExpiries(final, l.exp, old, nil, staged, func(_, _ bool, oldAt, _ int64) int64 { return oldAt })
	}
	res.Total = final.card()
	pc.res = res
	if res.Added == 0 && res.Removed == 0 && slices.Equal(exp.keys, l.exp.keys) && slices.Equal(exp.at, l.exp.at) {
		return pc, nil
	}
	ids := dict
	if pc.nextDict != nil {
		ids = pc.nextDict
	}
	pc.changed, pc.wide = listChangeKeys(diff, old.phone(), l.exp, exp, res.Added+res.Removed, ids)
	// final is a new bitmap no reader has seen (old is only read).
	pc.next = l.with(freeze(final), exp, version, at.UnixNano())
	return pc, nil
}

// Publish makes a prepared commit visible: it assigns the new dictionary
// ids, swaps in the new list version and moves the store's version. It
// does no work proportional to the list: a phone import publishes in
// microseconds; a hashed one spends about 150 ns per new dictionary id
// (contactkey.Dictionary.Assign, plus a rehash when the table grows). It fails with ErrStalePrepared, changing nothing, when the store
// moved since PrepareCommit (another mutation ran in between), and with
// ErrImportClosed when pc was published already.
func (s *Store) Publish(pc *PreparedCommit) (ImportResult, error) {
	if pc == nil || pc.store != s {
		return ImportResult{}, fmt.Errorf("%w: prepared for another store", ErrStalePrepared)
	}
	if pc.published {
		return ImportResult{}, fmt.Errorf("%w: list %q: already published", ErrImportClosed, pc.list)
	}
	if err := s.mutate(pc.version); err != nil {
		return ImportResult{}, err
	}
	dict := s.dicts[pc.kind]
	switch {
	case s.version != pc.baseStore:
		return ImportResult{}, fmt.Errorf("%w: store moved from version %d to %d", ErrStalePrepared, pc.baseStore, s.version)
	case s.lists[pc.list] != pc.base:
		return ImportResult{}, fmt.Errorf("%w: list %q changed", ErrStalePrepared, pc.list)
	case dict != nil && dict.Len() != pc.dictLen:
		return ImportResult{}, fmt.Errorf("%w: the %s dictionary grew from %d to %d", ErrStalePrepared, pc.kind, pc.dictLen, dict.Len())
	}
	if pc.nextDict != nil {
		dict.Install(pc.nextDict) // a few words: the ids were assigned in PrepareCommit
	}
	pc.published = true
	s.version = pc.version
	if pc.next != nil {
		s.lists[pc.list] = pc.next
		s.listsVersion = pc.version
		s.logChange(Change{Version: pc.version, Kind: pc.kind, Keys: pc.changed, List: pc.list, Wide: pc.wide})
	}
	return pc.res, nil
}
