package suppression

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// naive is an independent, map-based model of the decision rules.
type naive struct {
	lists   []naiveList // sorted by name
	optouts map[contactkey.Key][]OptEvent
}

type naiveList struct {
	name     string
	kind     contactkey.Kind
	typ      ListType
	channels ChannelSet
	purposes PurposeSet
	source   string
	since    int64
	entries  map[uint64]int64 // value → expiry, 0 = none
}

// reasons is what a row holding only key must be told, leaving out
// consent lists of other kinds.
func (m *naive) reasons(key contactkey.Key, s Scope, at int64) []string {
	var out []string
	purposes := []string{s.Purpose}
	if s.Sponsor != "" && s.Purpose != ThirdPartyDisclosure {
		purposes = append(purposes, ThirdPartyDisclosure)
	}
	evs := m.optouts[key]
	for _, p := range purposes {
		for i := len(evs) - 1; i >= 0; i-- {
			e := evs[i]
			if e.Channels&ChannelSet(s.Channel) != 0 && (e.Purposes.All || slices.Contains(e.Purposes.Names, p)) {
				if !e.OptIn {
					out = append(out, fmt.Sprintf("optout:%s:%s:%d", p, e.Source, e.At))
				}
				break
			}
		}
	}
	var consent []string
	for _, l := range m.lists {
		if l.kind != key.Kind || l.channels&ChannelSet(s.Channel) == 0 {
			continue
		}
		exp, in := l.entries[key.V]
		active := in && (exp == 0 || exp > at)
		has := func(p string) bool { return l.purposes.All || slices.Contains(l.purposes.Names, p) }
		if l.typ == Consent {
			if has(s.Purpose) && !active {
				consent = append(consent, fmt.Sprintf("no_consent:%s:%s:0", l.name, l.source))
			}
			continue
		}
		if active && (has(s.Purpose) || s.Sponsor != "" && has(ThirdPartyDisclosure)) {
			out = append(out, fmt.Sprintf("list:%s:%s:%d", l.name, l.source, l.since))
		}
	}
	return append(out, consent...)
}

func render(r Reason) string {
	if r.Code == ReasonOptOut {
		return fmt.Sprintf("optout:%s:%s:%d", r.Purpose, r.Source, r.Since)
	}
	return fmt.Sprintf("%s:%s:%s:%d", r.Code, r.List, r.Source, r.Since)
}

// stateShape says how randomState draws: every emailEvery-th list holds
// e-mails (the others phones), with optOuts events.
type stateShape struct {
	lists, emailEvery, optOuts int
}

// randomState builds the same random state in a Store and in the model.
func randomState(t *testing.T, rng *rand.Rand, phones, hashes []uint64, shape stateShape) (*fixture, *naive) {
	f := newFixture(t)
	m := &naive{optouts: map[contactkey.Key][]OptEvent{}}
	purposes := []string{DirectMarketing, ThirdPartyDisclosure, "research"}
	randPurposes := func() PurposeSet {
		if rng.IntN(4) == 0 {
			return PurposeSet{All: true}
		}
		var names []string
		for _, p := range purposes {
			if rng.IntN(2) == 0 {
				names = append(names, p)
			}
		}
		if len(names) == 0 {
			names = []string{purposes[rng.IntN(3)]}
		}
		return PurposeSet{Names: names}
	}
	now := f.at().Unix()
	for i := range shape.lists {
		kind := contactkey.KindPhone
		universe := phones
		if i%shape.emailEvery == shape.emailEvery-1 {
			kind, universe = contactkey.KindEmail, hashes
		}
		typ := Deny
		if i%4 == 3 {
			typ = Consent
		}
		spec := ListSpec{Name: fmt.Sprintf("list%d", i), Kind: kind, Type: typ, Channels: ChannelSet(1+rng.IntN(31)) & AllChannels, Purposes: randPurposes(), Source: []string{SourceNationalRegistry, SourceBounce, SourceInternal}[rng.IntN(3)]}
		if spec.Channels == 0 {
			spec.Channels = AllChannels
		}
		if err := f.s.CreateList(spec, f.next(), f.at()); err != nil {
			t.Fatal(err)
		}
		nl := naiveList{name: spec.Name, kind: kind, typ: typ, channels: spec.Channels, purposes: spec.Purposes, source: spec.Source, entries: map[uint64]int64{}}
		for range 1 + rng.IntN(3) {
			mode := []ImportMode{Add, Add, Replace, Remove}[rng.IntN(4)]
			n := rng.IntN(len(universe))
			keys := make([]uint64, n)
			exps := make([]int64, n)
			for j := range keys {
				keys[j] = universe[rng.IntN(len(universe))]
				if rng.IntN(5) == 0 {
					exps[j] = now + int64(rng.IntN(200)) - 100
				}
			}
			if rng.IntN(2) == 0 {
				slices.Sort(keys) // exercise the sorted fast path
			}
			staged := map[uint64]int64{}
			for j, k := range keys {
				if e, ok := staged[k]; ok {
					staged[k] = laterExpiry(e, exps[j])
				} else {
					staged[k] = exps[j]
				}
			}
			switch mode {
			case Add:
				for k, e := range staged {
					if old, ok := nl.entries[k]; ok {
						e = laterExpiry(old, e)
					}
					nl.entries[k] = e
				}
			case Replace:
				nl.entries = staged
			case Remove:
				for k := range staged {
					delete(nl.entries, k)
				}
			}
			im, _ := f.s.BeginImport(spec.Name, mode)
			im.Add(keys, exps)
			if _, err := f.s.CommitImport(im, f.next(), f.at()); err != nil {
				t.Fatal(err)
			}
		}
		l, _ := f.s.List(spec.Name)
		nl.since = l.UpdatedAt().Unix()
		m.lists = append(m.lists, nl)
	}
	slices.SortFunc(m.lists, func(a, b naiveList) int { return strings.Compare(a.name, b.name) })
	for range shape.optOuts {
		var k contactkey.Key
		if rng.IntN(2) == 0 {
			k = phone(phones[rng.IntN(len(phones))])
		} else {
			k = email(hashes[rng.IntN(len(hashes))])
		}
		ev := OptEvent{Version: f.next(), At: now + int64(rng.IntN(1000)), Channels: ChannelSet(1+rng.IntN(31)) & AllChannels, Purposes: randPurposes(), Source: SourceCustomerRequest}
		if ev.Channels == 0 {
			ev.Channels = ChannelSet(Call)
		}
		var err error
		if rng.IntN(3) == 0 {
			ev.OptIn, ev.Evidence = true, "form"
			err = f.s.OptIn(k, ev)
		} else {
			err = f.s.OptOut(k, ev)
		}
		if err != nil {
			t.Fatal(err)
		}
		ev.Purposes = ev.Purposes.normalized()
		m.optouts[k] = append(m.optouts[k], ev)
		// Opt-ins also clear sticky lists; none of these lists is sticky.
	}
	return f, m
}

// DecideBatch and Decide agree with the model, key by key, on random data.
func TestDecideBatchMatchesModel(t *testing.T) {
	for seed := range uint64(4) {
		checkAgainstModel(t, seed, 3000, 2000, stateShape{lists: 8, emailEvery: 3, optOuts: 400})
	}
	// No opt-outs: the hashed kind's batches take the dense bitsets.
	for seed := uint64(20); seed < 23; seed++ {
		checkAgainstModel(t, seed, 3000, 2000, stateShape{lists: 8, emailEvery: 2, optOuts: 0})
	}
}

// The same with dense dictionary ids (bitmap and run containers), unions
// of both kinds, and enough opt-outs that the opt-out index spills into
// its frozen levels.
func TestDecideBatchMatchesModelDense(t *testing.T) {
	checkAgainstModel(t, 10, 60_000, 30_000, stateShape{lists: 14, emailEvery: 2, optOuts: 9000})
}

func checkAgainstModel(t *testing.T, seed uint64, nPhones, nHashes int, shape stateShape) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	phones := make([]uint64, nPhones)
	for i := range phones {
		// Clustered like real numbers: a few area codes, random lines.
		phones[i] = 12_000_000_000 + uint64(rng.IntN(5))*10_000_000 + uint64(rng.IntN(10_000_000))
	}
	hashes := make([]uint64, nHashes)
	for i := range hashes {
		hashes[i] = rng.Uint64()
	}
	f, m := randomState(t, rng, phones, hashes, shape)
	now := t0.Unix() // the expiries were drawn around it
	var unions [contactkey.KindAddress + 1]int
	defer func() {
		if shape.lists > 8 && (unions[contactkey.KindPhone] == 0 || unions[contactkey.KindEmail] == 0) {
			t.Errorf("seed %d: policies with unions, per kind: %v; the test misses them", seed, unions)
		}
	}()
	for _, scope := range []Scope{
		{Call, DirectMarketing, ""}, {SMS, DirectMarketing, "acme"}, {Email, "research", "acme"},
		{Mail, ThirdPartyDisclosure, ""}, {SMS, ThirdPartyDisclosure, "acme"}, {Push, "research", ""}, {Call, AutomatedDecision, "x"},
	} {
		p, err := f.s.Compile(scope)
		if err != nil {
			t.Fatal(err)
		}
		for k, u := range p.union {
			if u != nil {
				unions[k]++
			}
		}
		at := now + int64(rng.IntN(200)) - 100
		for _, kind := range []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail} {
			universe := phones
			if kind == contactkey.KindEmail {
				universe = hashes
			}
			// The sizes reach every way set.probe has: key by key
			// (small), iterator walks, and bitmap intersection (many
			// distinct keys per container).
			for _, n := range []int{40, 5000, 40_000} {
				keys := make([]uint64, n)
				for i := range keys {
					switch {
					case n == 40_000 && i%2 == 0 && kind == contactkey.KindPhone:
						keys[i] = 12_000_000_000 + uint64(rng.IntN(5))*10_000_000 + uint64(rng.IntN(10_000_000))
					case rng.IntN(10) == 0:
						keys[i] = rng.Uint64() % 20_000_000_000 // mostly unknown
					default:
						keys[i] = universe[rng.IntN(len(universe))]
					}
				}
				// Hashed kinds: by the dense bitsets, and by walking the
				// lists (the way for lists whose bitsets would be too big).
				got := make([][]string, n)
				walked := make([][]string, n)
				for _, walk := range []bool{false, true} {
					p.walkHashed = walk
					out := got
					if walk {
						out = walked
					}
					last := -1
					p.DecideBatch(kind, keys, at, func(i int, r Reason) {
						if i < last {
							t.Fatalf("hits out of index order: %d after %d", i, last)
						}
						last = i
						out[i] = append(out[i], render(r))
					})
				}
				p.walkHashed = false
				if kind == contactkey.KindEmail && n >= smallBatch && shape.optOuts == 0 {
					// The dense way ran: it built the lists' bitsets.
					for _, st := range p.steps {
						if st.list.spec.Kind == kind && st.list.dense == nil {
							t.Fatalf("list %s has no dense bitset", st.list.spec.Name)
						}
					}
				}
				for i, v := range keys {
					if !slices.Equal(got[i], walked[i]) {
						t.Fatalf("seed %d %+v %s batch of %d, key %d: dense %v, walked %v", seed, scope, kind, n, v, got[i], walked[i])
					}
					key := contactkey.Key{Kind: kind, V: v}
					want := m.reasons(key, scope, at)
					if !slices.Equal(got[i], want) {
						t.Fatalf("seed %d %+v %s batch of %d, key %d: DecideBatch %v, model %v", seed, scope, kind, n, v, got[i], want)
					}
					_, rs := p.Decide([]contactkey.Key{key}, at, nil)
					var single []string
					for _, r := range rs {
						if r.Kind == kind {
							single = append(single, render(r))
						}
					}
					if !slices.Equal(single, want) {
						t.Fatalf("seed %d %+v key %d: Decide %v, model %v", seed, scope, v, single, want)
					}
				}
			}
		}
	}
}

func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 2, 63, 64, 1000, 20000, 100000} {
		for _, spread := range []uint64{1, 1 << 16, 1 << 40, ^uint64(0)} {
			vs := make([]uint64, n)
			idx := make([]uint32, n)
			for i := range vs {
				vs[i] = 5_000_000 + rng.Uint64()%spread
				idx[i] = uint32(i)
			}
			orig := slices.Clone(vs)
			radixSort(vs, idx, nil, nil)
			if !slices.IsSorted(vs) {
				t.Fatalf("n=%d spread=%d: not sorted", n, spread)
			}
			for i := range vs {
				if orig[idx[i]] != vs[i] || i > 0 && vs[i] == vs[i-1] && idx[i] < idx[i-1] {
					t.Fatalf("n=%d spread=%d: index %d wrong or unstable", n, spread, i)
				}
			}
		}
	}
}

// frozen.dense sets exactly the bits of the set, for every container
// kind (arrays, bitmaps, runs), and gives up when the bitset is too big.
func TestFrozenDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name string
		vals func() []uint64
	}{
		{"empty", func() []uint64 { return nil }},
		{"one", func() []uint64 { return []uint64{70_000} }},
		{"sparse arrays", func() []uint64 {
			var v []uint64
			for range 3000 {
				v = append(v, uint64(rng.IntN(1<<22)))
			}
			return v
		}},
		{"bitmaps", func() []uint64 {
			var v []uint64
			for range 200_000 {
				v = append(v, uint64(rng.IntN(1<<18)))
			}
			return v
		}},
		{"runs", func() []uint64 {
			var v []uint64
			for s := uint64(5); s < 1<<20; s += 70_001 {
				for x := s; x < s+1+uint64(rng.IntN(3000)); x++ {
					v = append(v, x)
				}
			}
			return v
		}},
		{"last bit of a container", func() []uint64 { return []uint64{0, 65_535, 131_071} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := tc.vals()
			s := newSet(false)
			want := map[uint64]bool{}
			for _, v := range vals {
				s.b32.Add(uint32(v))
				want[v] = true
			}
			f := freeze(s)
			d := f.dense(denseMinBytes, denseMaxRatio)
			if d == nil {
				t.Fatal("no bitset")
			}
			n := 0
			for w, x := range d {
				for x != 0 {
					b := uint64(w*64 + bits.TrailingZeros64(x))
					x &= x - 1
					if !want[b] {
						t.Fatalf("bit %d set, not in the set", b)
					}
					n++
				}
			}
			if n != len(want) {
				t.Fatalf("%d bits set, the set has %d", n, len(want))
			}
			for v := range want {
				if !denseHas(d, v) {
					t.Fatalf("%d missing", v)
				}
			}
			if denseHas(d, uint64(len(d))*64+1) {
				t.Fatal("a bit past the end")
			}
			if len(want) > 0 {
				if f.dense(0, 0) != nil {
					t.Fatal("a bitset over its limits")
				}
			}
		})
	}
}

func TestSetRange(t *testing.T) {
	for _, tc := range []struct{ lo, hi uint64 }{{0, 0}, {0, 1}, {3, 64}, {0, 64}, {63, 65}, {10, 200}, {64, 128}, {1, 191}} {
		d := make([]uint64, 4)
		setRange(d, tc.lo, tc.hi)
		for b := uint64(0); b < 256; b++ {
			if got, want := denseHas(d, b), b >= tc.lo && b < tc.hi; got != want {
				t.Fatalf("[%d,%d): bit %d is %v", tc.lo, tc.hi, b, got)
			}
		}
	}
}
