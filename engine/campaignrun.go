package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/customers"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/rfm"
	"github.com/hushcrm/hush/segments"
	"github.com/hushcrm/hush/suppression"
)

// SegmentResolver returns a resolver over the current state: RFM
// segments and attributes of the published scoring, defined segments,
// and list and consent membership of directory customers (a customer is
// in a list when any of its contact points of the list's kind, or its
// customer id, is an unexpired entry).
func (e *Engine) SegmentResolver() *SegmentResolver {
	return e.SegmentResolverAt(e.opts.Now())
}

// SegmentResolverAt is SegmentResolver with list expiry judged at at.
func (e *Engine) SegmentResolverAt(at time.Time) *SegmentResolver {
	return &SegmentResolver{e: e, st: e.Campaigns(), res: e.RFM(), at: at.Unix(), busy: map[string]bool{}}
}

// SegmentResolver implements segments.Resolver over one view of the state.
type SegmentResolver struct {
	e        *Engine
	st       *CampaignState
	res      *rfm.Result
	at       int64
	universe *roaring64.Bitmap
	busy     map[string]bool // segments being evaluated (cycles)
}

var _ segments.Resolver = (*SegmentResolver)(nil)

// State is the view the resolver reads.
func (r *SegmentResolver) State() *CampaignState { return r.st }

func (r *SegmentResolver) HasSet(ns segments.Namespace, name string) bool {
	switch ns {
	case segments.NSRFM:
		return r.res != nil && r.res.Segment(name) != nil
	case segments.NSSegment:
		_, ok := r.st.Segments[name]
		return ok
	case segments.NSList, segments.NSConsent:
		ok := false
		r.e.Read(func(st *suppression.Store, _ journal.Seq) error {
			l, found := st.List(name)
			ok = found && (l.Spec().Type == suppression.Consent) == (ns == segments.NSConsent)
			return nil
		})
		return ok
	}
	return false
}

func (r *SegmentResolver) SetNames(ns segments.Namespace) []string {
	var out []string
	switch ns {
	case segments.NSRFM:
		if r.res != nil {
			for _, s := range r.res.Segments() {
				out = append(out, s.Slug)
			}
			out = append(out, r.res.Extra()...)
		}
	case segments.NSSegment:
		for n := range r.st.Segments {
			out = append(out, n)
		}
	case segments.NSList, segments.NSConsent:
		r.e.Read(func(st *suppression.Store, _ journal.Seq) error {
			for _, l := range st.Lists() {
				if (l.Spec().Type == suppression.Consent) == (ns == segments.NSConsent) {
					out = append(out, l.Name())
				}
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

func (r *SegmentResolver) HasAttribute(a segments.Attribute) bool {
	return r.res != nil && r.res.Attribute(string(a)) != nil
}

// Universe is every customer hush knows: the directory and every scored
// customer.
func (r *SegmentResolver) Universe() *roaring64.Bitmap {
	if r.universe == nil {
		u := r.st.Directory.All().Clone()
		if r.res != nil {
			u.Or(r.e.audience().to64(r.res, "\x00scored", r.res.Scored()))
		}
		r.universe = u
	}
	return r.universe
}

func (r *SegmentResolver) Set(ns segments.Namespace, name string) (*roaring64.Bitmap, error) {
	switch ns {
	case segments.NSRFM:
		if r.res == nil {
			return nil, fmt.Errorf("no RFM scores yet (run hush rfm)")
		}
		bm := r.res.Segment(name)
		if bm == nil {
			return nil, fmt.Errorf("unknown RFM segment")
		}
		return r.e.audience().to64(r.res, name, bm), nil
	case segments.NSSegment:
		sg, ok := r.st.Segments[name]
		if !ok {
			return nil, ErrUnknownSegment
		}
		if sg.Members != nil {
			return sg.Members, nil
		}
		if r.busy[name] {
			return nil, ErrSegmentCycle
		}
		r.busy[name] = true
		defer delete(r.busy, name)
		n, err := segments.Parse(sg.Expr)
		if err != nil {
			return nil, err
		}
		return segments.Eval(n, r)
	case segments.NSList, segments.NSConsent:
		return r.e.listMembers(r.st.Directory, name, r.at)
	}
	return nil, fmt.Errorf("unknown namespace %s", ns)
}

func (r *SegmentResolver) Attribute(a segments.Attribute) (*roaring64.BSI, uint8, error) {
	if r.res == nil {
		return nil, 0, fmt.Errorf("no RFM scores yet (run hush rfm)")
	}
	b := r.res.Attribute(string(a))
	if b == nil {
		return nil, 0, fmt.Errorf("no index")
	}
	if a == segments.AttrMonetary {
		return b, uint8(r.res.Exponent), nil
	}
	return b, 0, nil
}

// to64 converts (once per scoring) an RFM bitmap to the 64-bit form the
// segment language computes in.
func (a *audience) to64(res *rfm.Result, key string, bm *roaring.Bitmap) *roaring64.Bitmap {
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	if a.rfmRes != res {
		a.rfmRes, a.rfmCache = res, map[string]*roaring64.Bitmap{}
	}
	if b, ok := a.rfmCache[key]; ok {
		return b
	}
	out := roaring64.NewBitmap()
	it := bm.ManyIterator()
	buf32 := make([]uint32, 4096)
	buf := make([]uint64, 4096)
	for {
		n := it.NextMany(buf32)
		if n == 0 {
			break
		}
		for i := range n {
			buf[i] = uint64(buf32[i])
		}
		out.AddMany(buf[:n])
	}
	out.RunOptimize()
	a.rfmCache[key] = out
	return out
}

// cached returns the derived set under key, computing it once. The key
// names everything the set is derived from (list versions, directory
// version, times), so an entry never goes stale; the cache is emptied
// when it grows past its bound.
func (e *Engine) cached(key string, compute func() (*roaring64.Bitmap, error)) (*roaring64.Bitmap, error) {
	a := e.audience()
	a.cacheMu.Lock()
	if b, ok := a.cache[key]; ok {
		a.cacheMu.Unlock()
		return b, nil
	}
	a.cacheMu.Unlock()
	b, err := compute()
	if err != nil {
		return nil, err
	}
	a.cacheMu.Lock()
	if len(a.cache) >= 256 {
		a.cache = map[string]*roaring64.Bitmap{}
	}
	a.cache[key] = b
	a.cacheMu.Unlock()
	return b, nil
}

// listMembers: directory customers with an unexpired entry in the list,
// cached per list version, directory version and time.
func (e *Engine) listMembers(dir *customers.Directory, name string, at int64) (*roaring64.Bitmap, error) {
	var out *roaring64.Bitmap
	err := e.Read(func(st *suppression.Store, _ journal.Seq) error {
		l, ok := st.List(name)
		if !ok {
			return fmt.Errorf("list %q: %w", name, suppression.ErrUnknownList)
		}
		key := fmt.Sprintf("members\x00%s\x00%d\x00%d\x00%d", name, l.Version(), dir.Version(), at)
		var err error
		out, err = e.cached(key, func() (*roaring64.Bitmap, error) {
			kind := l.Spec().Kind
			var hits []uint64
			dir.EachKey(kind, 1<<16, func(ids []uint32, keys []uint64) {
				for i, k := range keys {
					if exp, ok := l.Entry(contactkey.Key{Kind: kind, V: k}); ok && (exp == 0 || exp > at) {
						if n := len(hits); n == 0 || hits[n-1] != uint64(ids[i]) {
							hits = append(hits, uint64(ids[i]))
						}
					}
				}
			})
			set := roaring64.NewBitmap()
			set.AddMany(hits)
			set.RunOptimize()
			return set, nil
		})
		return err
	})
	return out, err
}

// RunPlan is a computed campaign run.
type RunPlan struct {
	Spec      campaigns.Spec
	Run       uint64 // the journal position of the state it was computed on: the run's id
	At        time.Time
	Audience  *roaring64.Bitmap
	Steps     []campaigns.Step
	Waterfall campaigns.Waterfall
	Plan      *campaigns.Plan // nil for a dry run
	Lists     []suppression.ListRef
	Directory *customers.Directory
	Caps      []string
	names     map[uint32]string
}

// PlanCampaign computes a run of campaign name at time at: dry gives the
// waterfall only. A call campaign refuses to run on a stale national
// registry (*campaigns.StaleError).
func (e *Engine) PlanCampaign(name string, at time.Time, rules campaigns.Rules, dry bool) (*RunPlan, error) {
	st := e.Campaigns()
	c, ok := st.Campaigns[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownCampaign, name)
	}
	return e.PlanSpec(c.Spec, at, rules, dry)
}

// optimisticPlans is how many times a plan is computed beside the writer
// before it is computed on it.
const optimisticPlans = 3

// PlanSpec is PlanCampaign for a spec that need not be stored.
//
// A plan reads the lists, the directory, the scoring and the contact
// history one after the other. It is one consistent view of the state
// when no record was applied between its first read and its last, so it
// is computed beside the writer (writes go on) and kept only if the
// journal position did not move meanwhile; after optimisticPlans tries
// under a steady stream of writes it is computed on the writer goroutine,
// where nothing can be applied until it is done.
func (e *Engine) PlanSpec(spec campaigns.Spec, at time.Time, rules campaigns.Rules, dry bool) (*RunPlan, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if _, stale := e.Staleness(); stale {
		return nil, fmt.Errorf("campaign %s: %w", spec.Name, ErrStaleState)
	}
	for range optimisticPlans {
		before := e.Applied()
		rp, err := e.planSpec(spec, at, rules, dry, before, false)
		if e.Applied() == before {
			return rp, err
		}
	}
	var rp *RunPlan
	var err error
	cerr := e.control(context.Background(), func() error {
		rp, err = e.planSpec(spec, at, rules, dry, e.applied, true)
		return nil
	})
	if cerr != nil {
		return nil, cerr
	}
	return rp, err
}

// planSpec computes a plan on the state as it is at version (onWriter:
// called on the writer goroutine, which must not wait for itself).
func (e *Engine) planSpec(spec campaigns.Spec, at time.Time, rules campaigns.Rules, dry bool, version journal.Seq, onWriter bool) (*RunPlan, error) {
	res := e.SegmentResolverAt(at)
	st := res.State()
	dir := st.Directory
	rp := &RunPlan{Spec: spec, At: at, Directory: dir, Run: uint64(version)}
	if spec.Channel == suppression.Call {
		var ages []campaigns.ListAge
		e.Read(func(s *suppression.Store, _ journal.Seq) error {
			for _, l := range s.Lists() {
				if sp := l.Spec(); sp.Type == suppression.Deny && sp.Channels.Has(spec.Channel) {
					ages = append(ages, campaigns.ListAge{Name: l.Name(), Source: sp.Source, UpdatedAt: l.UpdatedAt()})
				}
			}
			return nil
		})
		if err := rules.CheckFresh(ages, at); err != nil {
			return nil, fmt.Errorf("campaign %s: %w", spec.Name, err)
		}
	}
	n, err := segments.Compile(spec.Audience, res)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: audience: %w", spec.Name, err)
	}
	audienceSet, err := segments.Eval(n, res)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: audience: %w", spec.Name, err)
	}
	rp.Audience = audienceSet
	kind := customers.KindOf(spec.Channel)
	steps := []campaigns.Step{{Code: campaigns.ReasonNoContactPoint, Set: roaring64.AndNot(audienceSet, dir.With(kind))}}
	for _, cl := range spec.Consents {
		members, err := e.listMembers(dir, cl, at.Unix())
		if err != nil {
			return nil, fmt.Errorf("campaign %s: consent %w", spec.Name, err)
		}
		steps = append(steps, campaigns.Step{Code: suppression.ReasonNoConsent, List: cl, Purpose: spec.Purpose, Set: roaring64.AndNot(audienceSet, members)})
	}
	sup, refs, err := e.customerSuppression(dir, spec.Scope(), at)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: %w", spec.Name, err)
	}
	rp.Lists = refs
	for _, s := range sup {
		if s.Source == campaigns.SourceNationalRegistry && s.Code == suppression.ReasonList {
			// The registry's customers minus those with a relationship.
			set := e.registryMinusExempt(s.Set, e.relationshipExempt(dir, res.res, rules, at))
			s.Set = set
		}
		steps = append(steps, s)
	}
	day := int32(at.UTC().Unix() / 86400)
	for _, cp := range spec.Caps {
		rp.Caps = append(rp.Caps, cp.String())
		// Contact history only grows: its length names its state.
		key := fmt.Sprintf("cap\x00%s\x00%d\x00%d", cp.String(), len(st.History), day)
		set, _ := e.cached(key, func() (*roaring64.Bitmap, error) { return st.History.Capped(cp, day), nil })
		steps = append(steps, campaigns.Step{Code: campaigns.ReasonCap, List: cp.Code(), Set: set})
	}
	if spec.Channel == suppression.Call {
		outside := roaring64.NewBitmap()
		dir.ZoneGroups(func(zones []string, set *roaring64.Bitmap) {
			if !rules.InCallingHours(zones, at) {
				outside.Or(set)
			}
		})
		steps = append(steps, campaigns.Step{Code: campaigns.ReasonOutsideWindow, Set: outside})
	}
	rp.Steps = steps
	if dry {
		rp.Waterfall = campaigns.DryRun(audienceSet, steps)
		return rp, nil
	}
	rp.Plan = campaigns.Compute(audienceSet, steps)
	rp.Waterfall = rp.Plan.Waterfall
	// Customers known only from the purchase history have their ids in
	// its dictionary, which the writer grows: read them there, once.
	if outside := roaring64.AndNot(rp.Plan.Suppressed, dir.All()); !outside.IsEmpty() {
		rp.names = map[uint32]string{}
		names := func() error {
			ids := e.customerIDs()
			for it := outside.Iterator(); it.HasNext(); {
				id := uint32(it.Next())
				if int(id) < ids.Len() {
					rp.names[id] = ids.Name(id)
				}
			}
			return nil
		}
		if onWriter {
			names()
		} else if err := e.control(context.Background(), names); err != nil {
			return nil, err
		}
	}
	return rp, nil
}

// Name is a customer's external id: the directory's, else the purchase
// history's (for customers of the plan without a directory entry).
func (rp *RunPlan) Name(id uint32) string {
	if c, ok := rp.Directory.Get(id); ok {
		return c.ExternalID
	}
	return rp.names[id]
}

// relationshipExempt: customers with an established business
// relationship on at — a purchase within the purchase window (from the
// RFM purchase history: recency_days of the scoring) or an inquiry within
// the inquiry window (from the directory). Both are range queries on
// bit-sliced indexes; the inquiry index is built once per directory
// version.
//
// The set is kept for the scoring, directory version, windows and day it
// was computed for; so is the registry set minus it, for the registry set
// it was taken from (registryMinusExempt), so a plan after a change that
// did not touch the registry's customers reuses both.
func (e *Engine) relationshipExempt(dir *customers.Directory, res *rfm.Result, rules campaigns.Rules, at time.Time) *roaring64.Bitmap {
	pFrom, iFrom := rules.EBRCutoffs(at)
	today := at.Unix() / 86400
	k := exemptKey{res: res, dir: dir.Version(), pFrom: pFrom, iFrom: iFrom, today: today}
	a := e.audience()
	a.cacheMu.Lock()
	if a.exempt != nil && a.exemptAt == k {
		out := a.exempt
		a.cacheMu.Unlock()
		return out
	}
	a.cacheMu.Unlock()
	out := roaring64.NewBitmap()
	if res != nil {
		// A purchase on day d has recency AsOf-d: d >= pFrom is recency
		// <= AsOf-pFrom (and a purchase after at does not count).
		if b := res.Attribute(string(segments.AttrRecencyDays)); b != nil {
			hi := int64(res.AsOf) - int64(pFrom)
			lo := int64(res.AsOf) - today
			if hi >= 0 {
				out.Or(segments.InRange(b, max(lo, 0), hi))
			}
		}
	}
	if idx := e.inquiryIndex(dir); idx != nil {
		out.Or(segments.InRange(idx, int64(iFrom), today))
	}
	a.cacheMu.Lock()
	a.exempt, a.exemptAt = out, k
	a.cacheMu.Unlock()
	return out
}

// exemptKey is what an exemption set is computed from. res is held by
// the cache entry, so its address cannot be reused by another scoring
// while the entry lives.
type exemptKey struct {
	res          *rfm.Result
	dir          uint64
	pFrom, iFrom int32
	today        int64
}

// registryMinusExempt is registry minus exempt, kept for the last few
// pairs of sets (held by the cache, so compared by identity).
func (e *Engine) registryMinusExempt(registry, exempt *roaring64.Bitmap) *roaring64.Bitmap {
	a := e.audience()
	a.cacheMu.Lock()
	for _, h := range a.ebr {
		if h.registry == registry && h.exempt == exempt {
			a.cacheMu.Unlock()
			return h.out
		}
	}
	a.cacheMu.Unlock()
	out := roaring64.AndNot(registry, exempt)
	a.cacheMu.Lock()
	if len(a.ebr) >= 8 {
		a.ebr = a.ebr[1:]
	}
	a.ebr = append(a.ebr, ebrHit{registry: registry, exempt: exempt, out: out})
	a.cacheMu.Unlock()
	return out
}

type ebrHit struct{ registry, exempt, out *roaring64.Bitmap }

// inquiryIndex is a bit-sliced index of the directory's last inquiry
// days, built once per directory version (nil when nobody inquired).
func (e *Engine) inquiryIndex(dir *customers.Directory) *roaring64.BSI {
	a := e.audience()
	a.cacheMu.Lock()
	if a.inquiryAt == dir.Version() && a.inquiryDir == dir {
		idx := a.inquiry
		a.cacheMu.Unlock()
		return idx
	}
	a.cacheMu.Unlock()
	var ids []uint64
	var days []int64
	for it := dir.All().Iterator(); it.HasNext(); {
		x := it.Next()
		if c, ok := dir.Get(uint32(x)); ok && c.InquiryDay != customers.NoDay {
			ids = append(ids, x)
			days = append(days, int64(c.InquiryDay))
		}
	}
	var idx *roaring64.BSI
	if len(ids) > 0 {
		idx, _ = segments.BuildIndex(ids, days)
	}
	a.cacheMu.Lock()
	a.inquiry, a.inquiryAt, a.inquiryDir = idx, dir.Version(), dir
	a.cacheMu.Unlock()
	return idx
}

// ReasonLabels returns the labels of a plan's steps, in order.
func (rp *RunPlan) ReasonLabels() []string {
	out := make([]string, len(rp.Steps))
	for i, s := range rp.Steps {
		out[i] = s.Label()
	}
	return out
}

// String summarises the waterfall on one line per step.
func (rp *RunPlan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "audience %d\n", rp.Waterfall.Audience)
	for _, s := range rp.Waterfall.Steps {
		fmt.Fprintf(&b, "  - %-50s %10d (matched %d)\n", s.Reason, s.Removed, s.Matched)
	}
	fmt.Fprintf(&b, "final %d\n", rp.Waterfall.Final)
	return b.String()
}

// AttributeValues implements segments.ValueSets: per-value bitmaps of the
// scores, built once per scoring.
func (r *SegmentResolver) AttributeValues(a segments.Attribute) (map[int64]*roaring64.Bitmap, bool) {
	if r.res == nil {
		return nil, false
	}
	b := r.res.Attribute(string(a))
	if b == nil {
		return nil, false
	}
	au := r.e.audience()
	au.cacheMu.Lock()
	defer au.cacheMu.Unlock()
	if au.valuesRes != r.res {
		au.valuesRes, au.values = r.res, map[segments.Attribute]map[int64]*roaring64.Bitmap{}
	}
	if v, ok := au.values[a]; ok {
		return v, v != nil
	}
	v, ok := segments.ValueBitmaps(b)
	au.values[a] = v
	return v, ok
}
