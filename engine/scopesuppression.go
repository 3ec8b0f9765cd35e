package engine

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/customers"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// Customer-level suppression of a campaign scope (channel, purpose,
// sponsor): per reason — each deny list, each opt-out purpose, each
// consent list of the scope — the directory customers it applies to
// through any contact point of the channel's kind or their customer id.
// A run takes each reason out of its audience with a bitmap operation.
//
// Deriving the sets means a batch decision for every contact point of the
// directory (seconds at 10M customers), so they are kept per scope with
// the state they were derived from — the store version, the directory
// view and the time "at" entries' expiry was judged at — and carried
// forward: the next plan asks the store which keys changed since that
// version (suppression.Store.ChangesSince), the directory which customers
// changed (customers.Directory.ChangedSince), and the lists which entries
// expire between the two times; it decides again only the customers that
// hold those keys (customers.KeyIndex) or changed themselves, and patches
// copies of the sets those customers enter or leave. Anything the patch
// cannot see — a consent list created or deleted, a change too large to
// be worth patching (patchLimit), a log or directory that does not reach
// back far enough, a store that was replaced — falls back to the full
// derivation. Either way the result is exactly the full derivation's for
// the plan's state (TestScopeSuppressionPatchEqualsRebuild).

// scopeState is the customer-level suppression of one scope on one state.
type scopeState struct {
	store   *suppression.Store // identity: a store read from a snapshot starts a new lineage
	version uint64             // the store's version
	dir     *customers.Directory
	at      int64                        // unix seconds entry expiry was judged at
	lists   map[string]*suppression.List // the scope's lists at version
	steps   []campaigns.Step
	refs    []suppression.ListRef
	patched bool // derived by patching an earlier state (for tests and benchmarks)
}

// patchLimit is how many changed keys, or customers to decide again, a
// patch takes on before the full derivation is the better deal. Measured
// at 10M customers (bench/RESULTS.md, issue 5): a patch costs about
// 2 µs a customer plus a copy of each set it changes, the derivation
// about 0.3 µs a contact point of the directory; a tenth of the directory
// keeps the patch well under the derivation's time.
func patchLimit(dir *customers.Directory) int { return max(1<<12, dir.Len()/10) }

// scopeKinds are the kinds of key a scope's decision reads: the customer
// id and the channel's contact point.
func scopeKinds(ch suppression.Channel) []contactkey.Kind {
	kinds := []contactkey.Kind{contactkey.KindCustomer}
	if k := customers.KindOf(ch); k != contactkey.KindCustomer {
		kinds = append(kinds, k)
	}
	return kinds
}

// customerSuppression returns the scope's customer-level suppression
// steps (in the waterfall's order: consent, opt-outs, lists; by label
// within each) and the list versions they were derived from, for
// directory dir at time at.
func (e *Engine) customerSuppression(dir *customers.Directory, scope suppression.Scope, at time.Time) ([]campaigns.Step, []suppression.ListRef, error) {
	st, err := e.scopeSuppression(dir, scope, at.Unix())
	if err != nil {
		return nil, nil, err
	}
	return st.steps, st.refs, nil
}

// scopeKey names a scope in the cache: one carried state per scope,
// whatever the time it was derived for.
func scopeKey(scope suppression.Scope) string {
	return fmt.Sprintf("%d\x00%s\x00%s", scope.Channel, scope.Purpose, scope.Sponsor)
}

func (e *Engine) scopeSuppression(dir *customers.Directory, scope suppression.Scope, at int64) (*scopeState, error) {
	key := scopeKey(scope)
	a := e.audience()
	a.cacheMu.Lock()
	prev := a.scopeCache[key]
	a.cacheMu.Unlock()
	kinds := scopeKinds(scope.Channel)
	var idx []*customers.KeyIndex
	if prev != nil && prev.dir.Version() <= dir.Version() {
		// Built or advanced outside the store's lock (they read the
		// directory only), the kinds side by side.
		idx = make([]*customers.KeyIndex, len(kinds))
		var wg sync.WaitGroup
		for i, k := range kinds {
			wg.Go(func() { idx[i] = e.keyIndex(dir, k) })
		}
		wg.Wait()
	}
	if idx == nil {
		// No carried state to patch: the full derivation below. Build
		// the reverse indexes beside it (on the other core), so the plan
		// after the next change can patch.
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, k := range kinds {
			wg.Go(func() { e.keyIndex(dir, k) })
		}
	}
	var next *scopeState
	err := e.Read(func(st *suppression.Store, _ journal.Seq) error {
		if prev != nil && prev.store == st && prev.version == st.Version() && prev.dir == dir && prev.at == at {
			next = prev
			return nil
		}
		p, err := st.Compile(scope)
		if err != nil {
			return err
		}
		cur := &scopeState{store: st, version: st.Version(), dir: dir, at: at, refs: p.Lists(), lists: map[string]*suppression.List{}}
		for _, r := range cur.refs {
			l, _ := st.List(r.Name)
			cur.lists[r.Name] = l
		}
		if prev != nil && idx != nil {
			if steps, ok := patchScope(prev, cur, p, kinds, idx); ok {
				cur.steps, cur.patched = steps, true
				next = cur
				return nil
			}
		}
		cur.steps = deriveScope(dir, p, cur.refs, scope, at, kinds)
		next = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.cacheMu.Lock()
	if a.scopeCache == nil || len(a.scopeCache) > 64 {
		a.scopeCache = map[string]*scopeState{}
	}
	a.scopeCache[key] = next
	a.cacheMu.Unlock()
	return next, nil
}

// keyIndex returns the reverse index of kind for dir: the one kept,
// advanced to dir, or a new one.
func (e *Engine) keyIndex(dir *customers.Directory, kind contactkey.Kind) *customers.KeyIndex {
	a := e.audience()
	a.keyMu[kind].Lock()
	defer a.keyMu[kind].Unlock()
	x := a.keyIdx[kind]
	if x != nil && x.Directory() == dir {
		return x
	}
	var ok bool
	if x != nil {
		x, ok = x.Advance(dir)
	}
	if !ok {
		x = customers.NewKeyIndex(dir, kind)
	}
	if old := a.keyIdx[kind]; old == nil || old.Directory().Version() <= dir.Version() {
		a.keyIdx[kind] = x
	}
	return x
}

// stepAcc collects, per reason label, the customers a reason applies to.
type stepAcc struct {
	byLabel map[string]*accStep
}

type accStep struct {
	step campaigns.Step
	ids  []uint64
}

func newStepAcc() *stepAcc { return &stepAcc{byLabel: map[string]*accStep{}} }

// stepOf is the step a reason belongs to. Opt-outs are one step per
// purpose whatever list and source each event had.
func stepOf(r suppression.Reason) campaigns.Step {
	s := campaigns.Step{Code: r.Code, List: r.List, Source: r.Source, Purpose: r.Purpose}
	if r.Code == suppression.ReasonOptOut {
		s.List, s.Source = "", ""
	}
	return s
}

func (a *stepAcc) entry(s campaigns.Step) *accStep {
	l := s.Label()
	ac := a.byLabel[l]
	if ac == nil {
		ac = &accStep{step: s}
		a.byLabel[l] = ac
	}
	return ac
}

func (a *stepAcc) add(s campaigns.Step, id uint32) {
	ac := a.entry(s)
	if n := len(ac.ids); n == 0 || ac.ids[n-1] != uint64(id) {
		ac.ids = append(ac.ids, uint64(id))
	}
}

// decide runs the policy's batch decisions over the keys of kinds of the
// customers of ids (nil: every customer of dir), and the consent lists'
// rule that a customer lacking a key of their kind fails them.
func (a *stepAcc) decide(dir *customers.Directory, p *suppression.Policy, refs []suppression.ListRef, scope suppression.Scope, at int64, kinds []contactkey.Kind, ids *roaring64.Bitmap) {
	for _, k := range kinds {
		batch := func(bids []uint32, keys []uint64) {
			p.DecideBatch(k, keys, at, func(i int, r suppression.Reason) { a.add(stepOf(r), bids[i]) })
		}
		if ids == nil {
			dir.EachKey(k, 1<<18, batch)
			continue
		}
		var bids []uint32
		var keys []uint64
		for it := ids.Iterator(); it.HasNext(); {
			id := uint32(it.Next())
			if c, ok := dir.Get(id); ok {
				for _, key := range c.Keys(k) {
					bids, keys = append(bids, id), append(keys, key)
				}
			}
		}
		batch(bids, keys)
	}
	// A scope consent list of a kind the customer has no key of is
	// failed too: nothing of that kind could be checked.
	for _, ref := range refs {
		if ref.Type != suppression.Consent {
			continue
		}
		among := dir.All()
		if ids != nil {
			among = roaring64.And(ids, dir.All())
		}
		missing := roaring64.AndNot(among, dir.With(ref.Kind))
		if missing.IsEmpty() {
			continue
		}
		ac := a.entry(campaigns.Step{Code: suppression.ReasonNoConsent, List: ref.Name, Source: ref.Source, Purpose: scope.Purpose})
		ac.ids = append(ac.ids, missing.ToArray()...)
	}
}

// sets returns the collected customers per label as bitmaps.
func (a *stepAcc) sets() map[string]*accStep {
	for _, ac := range a.byLabel {
		slices.Sort(ac.ids)
		set := roaring64.NewBitmap()
		set.AddMany(slices.Compact(ac.ids))
		ac.step.Set = set
		ac.ids = nil
	}
	return a.byLabel
}

// sortSteps puts steps in the order — consent, then each
// suppression reason (opt-outs, then lists) — and by label within each.
func sortSteps(steps []campaigns.Step) {
	rank := map[string]int{suppression.ReasonNoConsent: 0, suppression.ReasonOptOut: 1, suppression.ReasonList: 2}
	sort.Slice(steps, func(i, j int) bool {
		a, b := steps[i], steps[j]
		if rank[a.Code] != rank[b.Code] {
			return rank[a.Code] < rank[b.Code]
		}
		return a.Label() < b.Label()
	})
}

// deriveScope is the full derivation: a batch decision over every
// contact point of kinds in the directory.
func deriveScope(dir *customers.Directory, p *suppression.Policy, refs []suppression.ListRef, scope suppression.Scope, at int64, kinds []contactkey.Kind) []campaigns.Step {
	acc := newStepAcc()
	acc.decide(dir, p, refs, scope, at, kinds, nil)
	var steps []campaigns.Step
	for _, ac := range acc.sets() {
		ac.step.Set.RunOptimize()
		steps = append(steps, ac.step)
	}
	sortSteps(steps)
	return steps
}

// patchScope derives cur's steps from prev's, or reports that it cannot
// (ok false: derive them in full). It runs under the store's read lock;
// idx are the reverse indexes of kinds for cur.dir.
func patchScope(prev, cur *scopeState, p *suppression.Policy, kinds []contactkey.Kind, idx []*customers.KeyIndex) (steps []campaigns.Step, ok bool) {
	if prev.store != cur.store || prev.version > cur.version || prev.dir.Version() > cur.dir.Version() {
		return nil, false
	}
	limit := patchLimit(cur.dir)
	kindAt := func(k contactkey.Kind) int { return slices.Index(kinds, k) }
	keys := make([][]uint64, len(kinds))
	nKeys := 0
	tooMany := false
	addKeys := func(k contactkey.Kind, ks []uint64) {
		if i := kindAt(k); i >= 0 && !tooMany {
			keys[i] = append(keys[i], ks...)
			if nKeys += len(ks); nKeys > limit {
				tooMany = true
			}
		}
	}
	relevant := func(name string) bool { return prev.lists[name] != nil || cur.lists[name] != nil }
	logged := map[string]bool{}
	structural := map[string]bool{}
	reaches := cur.store.ChangesSince(prev.version, func(c *suppression.Change) {
		if c.List != "" {
			if !relevant(c.List) {
				return
			}
			logged[c.List] = true
			if c.Structural {
				structural[c.List] = true
				return
			}
			if c.Wide && kindAt(c.Kind) >= 0 {
				tooMany = true
				return
			}
		}
		addKeys(c.Kind, c.Keys)
	})
	if !reaches || tooMany {
		return nil, false
	}
	// Fail closed: every list version that moved must be explained by
	// the log, and a list that joined or left the scope by its creation
	// or deletion.
	for name, l := range cur.lists {
		if o := prev.lists[name]; o != l && !logged[name] || o == nil && !structural[name] {
			return nil, false
		}
	}
	for name := range prev.lists {
		if cur.lists[name] == nil && !structural[name] {
			return nil, false
		}
	}
	for name := range structural {
		for _, l := range []*suppression.List{prev.lists[name], cur.lists[name]} {
			if l == nil {
				continue
			}
			if l.Spec().Type == suppression.Consent || l.Len() > uint64(limit) {
				// A consent list joining or leaving the scope changes
				// everyone lacking its entries.
				return nil, false
			}
			var ks []uint64
			l.EachValue(nil, func(vs []uint64) {
				for _, v := range vs {
					k, _ := l.KeyOf(v)
					ks = append(ks, k)
				}
			})
			addKeys(l.Spec().Kind, ks)
		}
	}
	// Entries whose expiry lies between the two times changed standing.
	if cur.at != prev.at {
		lo, hi := min(prev.at, cur.at), max(prev.at, cur.at)
		for _, l := range cur.lists {
			if kindAt(l.Spec().Kind) < 0 {
				continue
			}
			var ks []uint64
			l.EachExpiring(lo, hi, func(k uint64) { ks = append(ks, k) })
			addKeys(l.Spec().Kind, ks)
		}
	}
	if tooMany {
		return nil, false
	}
	affected := roaring64.NewBitmap()
	if cur.dir != prev.dir {
		changed, ok := cur.dir.ChangedSince(prev.dir.Version())
		if !ok {
			return nil, false
		}
		affected.Or(changed)
	}
	var hits []uint64
	for i, ks := range keys {
		slices.Sort(ks)
		for _, k := range slices.Compact(ks) {
			idx[i].Lookup(k, func(id uint32) { hits = append(hits, uint64(id)) })
		}
	}
	slices.Sort(hits)
	affected.AddMany(slices.Compact(hits))
	if affected.GetCardinality() > uint64(limit) {
		return nil, false
	}
	if affected.IsEmpty() {
		return prev.steps, true
	}
	acc := newStepAcc()
	acc.decide(cur.dir, p, cur.refs, p.Scope(), cur.at, kinds, affected)
	fresh := acc.sets()
	for _, s := range prev.steps {
		f := fresh[s.Label()]
		delete(fresh, s.Label())
		var now *roaring64.Bitmap
		if f != nil {
			now = f.step.Set
		} else {
			now = roaring64.NewBitmap()
		}
		if roaring64.And(s.Set, affected).Equals(now) {
			steps = append(steps, s) // unchanged: keep the set (and what is cached on it)
			continue
		}
		set := roaring64.AndNot(s.Set, affected)
		set.Or(now)
		if set.IsEmpty() {
			continue
		}
		s.Set = set
		steps = append(steps, s)
	}
	for _, f := range fresh { // reasons no customer had before
		steps = append(steps, f.step)
	}
	sortSteps(steps)
	return steps, true
}

// scopeCaches is the audience's cache of customer-level suppression and
// the reverse indexes it patches with.
type scopeCaches struct {
	scopeCache map[string]*scopeState
	keyMu      [contactkey.KindAddress + 1]sync.Mutex // per kind, held while its index is built or advanced
	keyIdx     [contactkey.KindAddress + 1]*customers.KeyIndex
}
