package suppression

import (
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"
	"unsafe"

	"github.com/hushcrm/hush/contactkey"
)

// OptEvent is one opt-out or opt-in a subject made, for a scope of
// channels and purposes.
type OptEvent struct {
	Version  uint64 // journal seq of the record
	At       int64  // unix seconds, when the subject said it
	Channels ChannelSet
	Purposes PurposeSet
	Source   string // how it reached us: customer_request, complaint, …
	OptIn    bool
	Evidence string // what proves an opt-in: a signed form id, a recording…
}

const optEventSize = unsafe.Sizeof(OptEvent{})

// covers reports whether the event speaks about (c, purpose).
func (e *OptEvent) covers(c Channel, purpose string) bool {
	return e.Channels.Has(c) && e.Purposes.Has(purpose)
}

func (s *Store) checkEvent(key contactkey.Key, ev *OptEvent) error {
	if err := s.mutate(ev.Version); err != nil {
		return err
	}
	if !key.Kind.Valid() {
		return fmt.Errorf("%w: kind %d", ErrInvalidKey, uint8(key.Kind))
	}
	if !ev.Channels.Valid() {
		return fmt.Errorf("%w: channels %#x", ErrInvalidEvent, uint8(ev.Channels))
	}
	if err := ev.Purposes.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if ev.Source == "" {
		ev.Source = SourceCustomerRequest
	}
	if !ValidSource(ev.Source) {
		return fmt.Errorf("%w: source %q must match [a-z][a-z0-9_]{0,63}", ErrInvalidEvent, ev.Source)
	}
	if len(ev.Evidence) > MaxEvidenceLen || !utf8.ValidString(ev.Evidence) {
		return fmt.Errorf("%w: evidence must be UTF-8 of at most %d bytes", ErrInvalidEvent, MaxEvidenceLen)
	}
	ev.Purposes = ev.Purposes.normalized()
	return nil
}

// record appends ev to key's history and indexes the key.
func (s *Store) record(key contactkey.Key, ev OptEvent) {
	evs, had := s.optouts[key]
	s.optouts[key] = append(evs, ev)
	if !had {
		if key.Kind == contactkey.KindPhone {
			s.optIndex[key.Kind].add(key.V)
		} else {
			// Keys with events get a dictionary id so batches can find
			// them in the index; assignment follows the record order,
			// so it is deterministic.
			s.optIndex[key.Kind].add(uint64(s.dicts[key.Kind].Assign(key.V)))
		}
	}
	for _, n := range ev.Purposes.Names {
		s.optPurposes[n]++
	}
	s.version = ev.Version
	s.logChange(Change{Version: ev.Version, Kind: key.Kind, Keys: []uint64{key.V}})
}

// OptOut records that the subject refused contact on ev's channels for
// ev's purposes. An empty Source means customer_request.
func (s *Store) OptOut(key contactkey.Key, ev OptEvent) error {
	ev.OptIn = false
	if err := s.checkEvent(key, &ev); err != nil {
		return err
	}
	s.record(key, ev)
	return nil
}

// OptIn records that the subject agreed again to contact on ev's channels
// for ev's purposes; it needs Evidence (ErrEvidenceRequired). Besides
// lifting earlier opt-outs of that scope, it removes the key from every
// sticky deny list (customer_request, complaint) whose whole scope the
// opt-in covers — the only way entries leave those lists. A list only
// partly covered keeps the key: the customer lifted part of the refusal.
func (s *Store) OptIn(key contactkey.Key, ev OptEvent) error {
	ev.OptIn = true
	if ev.Evidence == "" {
		return fmt.Errorf("%w: opt-in of %s key on %s for %s", ErrEvidenceRequired, key.Kind, ev.Channels, ev.Purposes)
	}
	if err := s.checkEvent(key, &ev); err != nil {
		return err
	}
	s.record(key, ev)
	for _, name := range slices.Sorted(maps.Keys(s.lists)) {
		l := s.lists[name]
		if !l.spec.Sticky() || l.spec.Kind != key.Kind || !ev.Channels.Covers(l.spec.Channels) || !ev.Purposes.Covers(l.spec.Purposes) {
			continue
		}
		v, ok := l.value(key)
		if !ok || !l.entries.contains(v) {
			continue
		}
		one := newSet(l.entries.phone)
		one.addSorted([]uint64{v})
		entries := freeze(setAndNot(l.entries.view(), one))
		exp := l.exp
		if i, found := slices.BinarySearch(exp.keys, v); found {
			exp = expiries{
				keys: slices.Delete(slices.Clone(exp.keys), i, i+1),
				at:   slices.Delete(slices.Clone(exp.at), i, i+1),
			}
		}
		s.lists[name] = l.with(entries, exp, ev.Version, ev.At*1e9)
		s.listsVersion = ev.Version
		s.logChange(Change{Version: ev.Version, Kind: key.Kind, Keys: []uint64{key.V}, List: name})
	}
	return nil
}

// History returns a copy of key's events, oldest first.
func (s *Store) History(key contactkey.Key) []OptEvent {
	return slices.Clone(s.optouts[key])
}

// OptOutKeys is the number of keys with at least one event.
func (s *Store) OptOutKeys() int { return len(s.optouts) }

// decideOptOut walks key's events newest first and returns the one that
// decides (c, purpose), if it is an opt-out.
func decideOptOut(evs []OptEvent, c Channel, purpose string) (*OptEvent, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		e := &evs[i]
		if e.covers(c, purpose) {
			return e, !e.OptIn
		}
	}
	return nil, false
}
