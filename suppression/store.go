package suppression

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hushcrm/hush/contactkey"
)

// Store is the whole suppression state: lists, opt-out events, and the
// dictionaries that give hashed keys dense ids. It is not safe for
// concurrent use (see the package comment).
type Store struct {
	version uint64
	// listsVersion is the version of the last change to any list (its
	// creation, deletion, or content): a Policy depends on nothing else
	// but the opt-outs, which it reads live.
	listsVersion uint64
	lists        map[string]*List
	dicts        [contactkey.KindAddress + 1]*contactkey.Dictionary // nil for phone

	// optouts holds every key's opt-out and opt-in events in the order
	// they were applied. A slice is only ever appended to, so a frozen
	// view that copied the slice header keeps reading its prefix.
	optouts map[contactkey.Key][]OptEvent
	// optIndex holds, per kind, the keys that have events (phone numbers,
	// or dictionary ids), so Decide rules most keys out without hashing
	// them into optouts and a batch finds its candidates in one walk.
	optIndex [contactkey.KindAddress + 1]keyIndex
	// optPurposes counts the opt-out events per named purpose: a purpose
	// used by an event is known to Compile.
	optPurposes map[string]int

	frozen bool

	// changes is the change log (ChangesSince): what the mutations after
	// changesFloor did, oldest first. Not state: snapshots do not carry
	// it, and a frozen view has none.
	changes      []Change
	changeKeys   int // keys in changes
	changesFloor uint64

	// unions caches the per-kind unions policies build (Policy.union),
	// so policies over the same lists share one. Compile runs under the
	// engine's read lock, many at once, hence the mutex.
	unionMu  sync.Mutex
	unions   map[string]*unionSet
	unionsAt uint64 // the listsVersion the cached unions belong to
}

// NewStore returns an empty store.
func NewStore() *Store {
	s := &Store{
		lists:       map[string]*List{},
		optouts:     map[contactkey.Key][]OptEvent{},
		optPurposes: map[string]int{},
	}
	for _, k := range contactkey.Kinds {
		s.optIndex[k] = newKeyIndex(k == contactkey.KindPhone)
		if k.Hashed() {
			s.dicts[k] = contactkey.NewDictionary()
		}
	}
	return s
}

// Version is the journal sequence number of the last record applied.
func (s *Store) Version() uint64 { return s.version }

// ListsVersion is the version of the last change to any list: creation,
// deletion, an import that changed entries, an opt-in that took a key out
// of a sticky list. A Policy reads opt-outs from the store at each call,
// so a cached Policy stays right until ListsVersion moves (opt-outs alone
// do not need a recompile).
func (s *Store) ListsVersion() uint64 { return s.listsVersion }

// Dictionary returns the dense-id dictionary of a hashed kind (nil for
// phones and unknown kinds), for the engine to journal its growth
// (AppendValues). Callers must not assign ids through it.
func (s *Store) Dictionary(k contactkey.Kind) *contactkey.Dictionary {
	if !k.Valid() {
		return nil
	}
	return s.dicts[k]
}

// mutate checks that a mutation may run at version and records it.
func (s *Store) mutate(version uint64) error {
	if s.frozen {
		return ErrFrozen
	}
	if version < s.version {
		return fmt.Errorf("%w: %d < %d", ErrStaleVersion, version, s.version)
	}
	return nil
}

// CreateList adds an empty list. The spec's purposes are stored sorted and
// deduplicated.
func (s *Store) CreateList(spec ListSpec, version uint64, at time.Time) error {
	if err := s.mutate(version); err != nil {
		return err
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	if _, ok := s.lists[spec.Name]; ok {
		return fmt.Errorf("%w: %q", ErrListExists, spec.Name)
	}
	spec.Purposes = spec.Purposes.normalized()
	ns := at.UnixNano()
	s.lists[spec.Name] = &List{
		spec:      spec,
		version:   version,
		createdAt: ns,
		updatedAt: ns,
		entries:   emptyFrozen(spec.Kind == contactkey.KindPhone),
		dict:      s.dicts[spec.Kind],
	}
	s.version, s.listsVersion = version, version
	s.logChange(Change{Version: version, Kind: spec.Kind, List: spec.Name, Structural: true})
	return nil
}

// DeleteList removes a list. A sticky list (customer_request, complaint)
// that still holds entries cannot be deleted: that would undo refusals
// customers made (ErrStickyList).
func (s *Store) DeleteList(name string, version uint64, at time.Time) error {
	if err := s.mutate(version); err != nil {
		return err
	}
	l, ok := s.lists[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownList, name)
	}
	if l.spec.Sticky() && l.Len() > 0 {
		return fmt.Errorf("%w: %q has %d entries from %s", ErrStickyList, name, l.Len(), l.spec.Source)
	}
	delete(s.lists, name)
	s.version, s.listsVersion = version, version
	s.logChange(Change{Version: version, Kind: l.spec.Kind, List: name, Structural: true})
	return nil
}

// List returns the current version of a list.
func (s *Store) List(name string) (*List, bool) {
	l, ok := s.lists[name]
	return l, ok
}

// Lists returns the current lists sorted by name.
func (s *Store) Lists() []*List {
	names := slices.Sorted(maps.Keys(s.lists))
	out := make([]*List, len(names))
	for i, n := range names {
		out[i] = s.lists[n]
	}
	return out
}

// MemoryBytes estimates the memory the store holds: lists, dictionaries,
// opt-out state, and the unions policies share.
func (s *Store) MemoryBytes() uint64 {
	var n uint64
	for _, l := range s.lists {
		n += l.MemoryBytes()
	}
	for _, d := range s.dicts {
		if d != nil {
			n += uint64(d.Len()) * 19 // see contactkey.Dictionary
		}
	}
	for _, k := range contactkey.Kinds {
		n += s.optIndex[k].sizeBytes()
	}
	s.unionMu.Lock()
	for _, u := range s.unions {
		n += u.sizeBytes()
	}
	s.unionMu.Unlock()
	for _, evs := range s.optouts {
		n += 48 + uint64(cap(evs))*uint64(optEventSize)
		for _, e := range evs {
			n += uint64(len(e.Evidence))
		}
	}
	return n
}

// Freeze returns a read-only view of the store as it is now, for long
// scrubs that must not see changes half-way. The view shares the
// immutable lists and the frozen levels of the opt-out index, and copies
// the rest of the opt-out state and the small maps, so later changes to s
// do not show in it. It shares the dictionaries, which
// the writer keeps growing: callers still hold the engine's read lock
// around Decide, DecideBatch and List.Contains on the view. Call Freeze
// under that lock too. Mutations of the view fail with ErrFrozen.
func (s *Store) Freeze() *Store {
	v := &Store{
		version:      s.version,
		listsVersion: s.listsVersion,
		lists:        maps.Clone(s.lists),
		dicts:        s.dicts,
		optouts:      make(map[contactkey.Key][]OptEvent, len(s.optouts)),
		optPurposes:  maps.Clone(s.optPurposes),
		frozen:       true,
		changesFloor: s.version,
	}
	for k, evs := range s.optouts {
		// Cap the copy at its length: an append by s never writes into
		// the view's visible range, and the view never appends.
		v.optouts[k] = evs[:len(evs):len(evs)]
	}
	for _, k := range contactkey.Kinds {
		v.optIndex[k] = s.optIndex[k].clone()
	}
	return v
}
