package suppression

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hushcrm/hush/contactkey"
)

// Scope is what a contact is for: the channel, the purpose, and who it is
// for.
type Scope struct {
	Channel Channel
	Purpose string
	// Sponsor is "" when the company contacts on its own behalf, else the
	// named third party the contact is made for. A sponsored contact
	// discloses the subject to that party, so it is also stopped by
	// everything that forbids third_party_disclosure.
	Sponsor string
}

const maxSponsorLen = 256

// Reason codes: stable, written into suppressed-row files and counted in
// waterfalls.
const (
	ReasonList      = "list"       // the key is an active entry of a deny list
	ReasonOptOut    = "optout"     // the subject opted out of this scope
	ReasonNoConsent = "no_consent" // a consent list applies and the subject is not in it (or the consent expired, or the row has no key of its kind)
	// ReasonStaleState: the instance lost the shared log for longer than
	// its max staleness, so it cannot know the answer (fail closed).
	ReasonStaleState = "stale_state"
)

// OptOutsList is the List of every opt-out Reason.
const OptOutsList = "optouts"

// Reason says why a subject is suppressed.
type Reason struct {
	Code   string          // ReasonList, ReasonOptOut or ReasonNoConsent
	List   string          // the list's name; OptOutsList for opt-outs
	Source string          // the list's or the opt-out event's source
	Since  int64           // unix seconds; see below
	Kind   contactkey.Kind // the kind of key that matched (or was missing)
	// Purpose is the purpose through which the list or opt-out applied:
	// the scope's own, or third_party_disclosure for a sponsored scope.
	Purpose string
}

// Since, by code: for an opt-out, when the subject made the deciding
// opt-out event. For a list entry, the list version's UpdatedAt: the entry
// has been on the list at least since then (per-entry times are in the
// journal, not in the bitmaps). For no_consent, 0.

// ListRef identifies a list version a policy applied, for the
// proof-of-scrub manifest.
type ListRef struct {
	Name    string
	Kind    contactkey.Kind
	Type    ListType
	Source  string
	Version uint64
	Digest  [32]byte
	Len     uint64
}

type step struct {
	list    *List
	consent bool
	reason  Reason // prefilled for this list
	// filtered: the list is part of its kind's union
	// (Policy.union), which says whether a key is in the list.
	filtered bool
	part     int
}

// minUnionLists is how many deny lists of one kind a policy needs before
// it builds their union. A row is checked against the largest list and
// the union of the others: two probes instead of one per list for the
// clean rows that are the bulk of any scrub. The largest list stays out
// of the union so the union costs no more memory than the smaller lists.
const minUnionLists = 3

// maxUnionParts bounds the lists one union holds (a union's masks are
// read as uint64); more lists of a kind than that are probed one by one.
const maxUnionParts = 64

// Policy is a scope compiled against one state of the store: the lists
// that apply, in decision order (deny lists by name, then consent lists by
// name), plus the store's opt-outs. It holds the list versions current at
// Compile, so it keeps giving the same answers for them however the lists
// change later; opt-outs are read from the store at each call (a frozen
// store's do not change). Decide and DecideBatch need the engine's read
// lock (they read the store's dictionaries and opt-outs); any number of
// goroutines may call them at once.
type Policy struct {
	store        *Store
	scope        Scope
	version      uint64
	listsVersion uint64
	purposes     [2]string // the scope's purpose, then third_party_disclosure when sponsored
	nPurposes    int
	steps        []step
	kinds        []contactkey.Kind                     // consent kinds
	union        [contactkey.KindAddress + 1]*unionSet // nil where a kind has none

	scratch sync.Pool // *batchScratch
	// walkHashed makes DecideBatch walk the lists of hashed kinds even
	// where they have dense bitsets (tests compare the two ways).
	walkHashed bool
}

// Compile builds the policy for scope. A purpose that is neither standard
// nor named by any list or opt-out event fails with ErrUnknownPurpose: a
// misspelt purpose would otherwise match nothing and let everyone through.
func (s *Store) Compile(scope Scope) (*Policy, error) {
	if !scope.Channel.Valid() {
		return nil, fmt.Errorf("%w: channel %d", ErrInvalidScope, uint8(scope.Channel))
	}
	if !ValidPurposeName(scope.Purpose) {
		return nil, fmt.Errorf("%w: purpose %q", ErrInvalidScope, scope.Purpose)
	}
	if len(scope.Sponsor) > maxSponsorLen || !utf8.ValidString(scope.Sponsor) {
		return nil, fmt.Errorf("%w: sponsor must be UTF-8 of at most %d bytes", ErrInvalidScope, maxSponsorLen)
	}
	lists := s.Lists()
	if !s.knownPurpose(scope.Purpose, lists) {
		return nil, fmt.Errorf("%w %q (not standard, and no list or opt-out uses it)", ErrUnknownPurpose, scope.Purpose)
	}
	p := &Policy{store: s, scope: scope, version: s.version, listsVersion: s.listsVersion}
	p.purposes[0], p.nPurposes = scope.Purpose, 1
	sponsored := scope.Sponsor != "" && scope.Purpose != ThirdPartyDisclosure
	if sponsored {
		p.purposes[1], p.nPurposes = ThirdPartyDisclosure, 2
	}
	var consent []step
	for _, l := range lists {
		sp := &l.spec
		if !sp.Channels.Has(scope.Channel) {
			continue
		}
		r := Reason{Code: ReasonList, List: sp.Name, Source: sp.Source, Since: l.updatedAt / 1e9, Kind: sp.Kind}
		switch {
		case sp.Type == Consent:
			if sp.Purposes.Has(scope.Purpose) {
				r.Code, r.Since, r.Purpose = ReasonNoConsent, 0, scope.Purpose
				consent = append(consent, step{list: l, consent: true, reason: r})
				if !slices.Contains(p.kinds, sp.Kind) {
					p.kinds = append(p.kinds, sp.Kind)
				}
			}
		case sp.Purposes.Has(scope.Purpose):
			r.Purpose = scope.Purpose
			p.steps = append(p.steps, step{list: l, reason: r})
		case sponsored && sp.Purposes.Has(ThirdPartyDisclosure):
			r.Purpose = ThirdPartyDisclosure
			p.steps = append(p.steps, step{list: l, reason: r})
		}
	}
	p.buildUnions()
	p.steps = append(p.steps, consent...)
	slices.Sort(p.kinds)
	return p, nil
}

// buildUnions builds, for each kind with at least minUnionLists deny
// lists, the union of all of them but the largest.
func (p *Policy) buildUnions() {
	for _, kind := range contactkey.Kinds {
		var idx []int
		for i, st := range p.steps {
			if st.list.spec.Kind == kind {
				idx = append(idx, i)
			}
		}
		if len(idx) < minUnionLists {
			continue
		}
		largest := idx[0]
		for _, i := range idx[1:] {
			if p.steps[i].list.Len() > p.steps[largest].list.Len() {
				largest = i
			}
		}
		var parts []*frozen
		var key strings.Builder
		for _, i := range idx {
			l := p.steps[i].list
			fmt.Fprintf(&key, "%s@%d/", l.spec.Name, l.version)
			if i != largest && len(parts) < maxUnionParts {
				p.steps[i].filtered, p.steps[i].part = true, len(parts)
				parts = append(parts, l.entries)
			}
		}
		p.union[kind] = p.store.union(key.String(), kind == contactkey.KindPhone, parts)
	}
}

// union returns the union of parts, from the store's cache when a policy
// over the same list versions built it already (key names them).
func (s *Store) union(key string, phone bool, parts []*frozen) *unionSet {
	s.unionMu.Lock()
	defer s.unionMu.Unlock()
	if s.unionsAt != s.listsVersion || s.unions == nil {
		// Lists changed: policies compiled from now on use new unions;
		// older policies keep theirs.
		s.unions, s.unionsAt = map[string]*unionSet{}, s.listsVersion
	}
	if u, ok := s.unions[key]; ok {
		return u
	}
	u := buildUnionSet(phone, parts)
	s.unions[key] = u
	return u
}

func (s *Store) knownPurpose(name string, lists []*List) bool {
	if isStandardPurpose(name) || s.optPurposes[name] > 0 {
		return true
	}
	for _, l := range lists {
		if slices.Contains(l.spec.Purposes.Names, name) {
			return true
		}
	}
	return false
}

// Scope is the scope the policy was compiled for.
func (p *Policy) Scope() Scope { return p.scope }

// Version is the store version the policy was compiled at.
func (p *Policy) Version() uint64 { return p.version }

// ListsVersion is the store's ListsVersion at Compile: the policy is
// current for as long as the store's ListsVersion equals it.
func (p *Policy) ListsVersion() uint64 { return p.listsVersion }

// Lists returns the applied lists in decision order, with their digests
// (computed on first use for each list version: for a list of hundreds of
// millions of entries that takes a moment once).
func (p *Policy) Lists() []ListRef {
	out := make([]ListRef, len(p.steps))
	for i, st := range p.steps {
		l := st.list
		out[i] = ListRef{Name: l.spec.Name, Kind: l.spec.Kind, Type: l.spec.Type, Source: l.spec.Source, Version: l.version, Digest: l.Digest(), Len: l.Len()}
	}
	return out
}

// ConsentKinds returns the kinds of key that consent lists of this policy
// hold, sorted: a row with no key of such a kind fails that consent.
func (p *Policy) ConsentKinds() []contactkey.Kind { return slices.Clone(p.kinds) }

// resolve maps a key to the bitmap value its kind's lists use, without
// growing any dictionary.
func (s *Store) resolve(k contactkey.Key) (uint64, bool) {
	if k.Kind == contactkey.KindPhone {
		return k.V, true
	}
	if !k.Kind.Valid() {
		return 0, false
	}
	id, ok := s.dicts[k.Kind].Lookup(k.V)
	return uint64(id), ok
}

// Decide checks one subject — every key a row carries (customer, phone,
// e-mail, address…) — at time at (unix seconds). It appends every reason
// to reasons[:0], in policy order: opt-outs first (per key, the scope's
// purpose then third_party_disclosure), then deny lists, then consent
// lists. With room in reasons it does not allocate.
//
// A deny list suppresses when any key of its kind is an active entry. A
// consent list passes only when the row has keys of its kind and every one
// is an active entry. Entries whose expiry is <= at are not active.
func (p *Policy) Decide(keys []contactkey.Key, at int64, reasons []Reason) (allowed bool, out []Reason) {
	return p.decide(keys, at, reasons, 0)
}

// decide is Decide limited to the lists of one kind when only is not 0.
func (p *Policy) decide(keys []contactkey.Key, at int64, reasons []Reason, only contactkey.Kind) (allowed bool, out []Reason) {
	out = reasons[:0]
	s := p.store
	c := p.scope.Channel
	// Resolve each key once, not once per list.
	var vals [8]uint64
	var resolved uint8
	for i, k := range keys[:min(len(keys), len(vals))] {
		if v, ok := s.resolve(k); ok {
			vals[i] = v
			resolved |= 1 << i
		}
	}
	value := func(i int) (uint64, bool) {
		if i < len(vals) {
			return vals[i], resolved&(1<<i) != 0
		}
		return s.resolve(keys[i])
	}
	if len(s.optouts) > 0 {
		for i, k := range keys {
			if k.Kind != contactkey.KindPhone {
				// A hashed key with events has a dictionary id in the
				// kind's opt-out index: most keys are ruled out without
				// hashing the key into the map.
				id, ok := value(i)
				if !ok || !k.Kind.Valid() || !s.optIndex[k.Kind].contains(id) {
					continue
				}
			}
			evs := s.optouts[k]
			if len(evs) == 0 {
				continue
			}
			for _, purpose := range p.purposes[:p.nPurposes] {
				if e, ok := decideOptOut(evs, c, purpose); ok {
					out = append(out, Reason{Code: ReasonOptOut, List: OptOutsList, Source: e.Source, Since: e.At, Kind: k.Kind, Purpose: purpose})
				}
			}
		}
	}
	if len(p.steps) == 0 {
		return len(out) == 0, out
	}
	// Per kind, whether the union was probed; per key, the lists of the
	// union that hold it.
	var probed uint8
	var masks [len(vals)]uint64
	for si := range p.steps {
		st := &p.steps[si]
		kind := st.list.spec.Kind
		if only != 0 && kind != only {
			continue
		}
		if st.filtered {
			un := p.union[kind]
			if probed&(1<<kind) == 0 {
				probed |= 1 << kind
				for i, k := range keys[:min(len(keys), len(vals))] {
					if k.Kind == kind && resolved&(1<<i) != 0 {
						if r, ok := un.set.lookupRank(vals[i]); ok {
							masks[i] = un.mask(r)
						}
					}
				}
			}
			for i, k := range keys {
				if k.Kind != kind {
					continue
				}
				var in bool
				if i < len(vals) {
					in = masks[i]&(1<<st.part) != 0 && st.list.unexpired(vals[i], at)
				} else if v, ok := value(i); ok {
					in = st.list.active(v, at)
				}
				if in {
					out = append(out, st.reason)
					break
				}
			}
			continue
		}
		if !st.consent {
			for i, k := range keys {
				if k.Kind != kind {
					continue
				}
				if v, ok := value(i); ok && st.list.active(v, at) {
					out = append(out, st.reason)
					break
				}
			}
			continue
		}
		pass := false
		for i, k := range keys {
			if k.Kind != kind {
				continue
			}
			v, ok := value(i)
			if pass = ok && st.list.active(v, at); !pass {
				break
			}
		}
		if !pass {
			out = append(out, st.reason)
		}
	}
	return len(out) == 0, out
}
