package suppression

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// twinStores applies the same random history to a store that commits the
// legacy way and one that prepares and publishes, and checks after every
// step that the two write the same snapshot bytes and that Prepare alone
// changed nothing.
func TestPrepareCommitMatchesLegacy(t *testing.T) {
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 17))
		legacy, split := newFixture(t), newFixture(t)
		specs := []struct {
			name   string
			kind   contactkey.Kind
			typ    ListType
			source string
		}{
			{"dnc", contactkey.KindPhone, Deny, SourceNationalRegistry},
			{"phone_refusals", contactkey.KindPhone, Deny, SourceComplaint},
			{"bounces", contactkey.KindEmail, Deny, SourceBounce},
			{"email_refusals", contactkey.KindEmail, Deny, SourceCustomerRequest},
			{"cust_ok", contactkey.KindCustomer, Consent, SourceCustomerRequest},
			{"homes", contactkey.KindAddress, Deny, SourceLitigator},
		}
		for _, f := range []*fixture{legacy, split} {
			for _, sp := range specs {
				f.list(sp.name, sp.kind, sp.typ, "call,email", "all", sp.source)
			}
		}
		universe := func(kind contactkey.Kind) uint64 {
			if kind == contactkey.KindPhone {
				return 12_000_000_000 + uint64(rng.IntN(3))*10_000_000 + uint64(rng.IntN(200_000))
			}
			return uint64(rng.IntN(3000)) * 0x9e3779b97f4a7c15 // spread hashes
		}
		now := t0.Unix()
		for step := range 40 {
			sp := specs[rng.IntN(len(specs))]
			if rng.IntN(5) == 0 {
				// Opt-outs and opt-ins grow dictionaries and edit sticky
				// lists between imports.
				k := contactkey.Key{Kind: sp.kind, V: universe(sp.kind)}
				if rng.IntN(2) == 0 {
					legacy.optOut(k, "call", "all", "")
					split.optOut(k, "call", "all", "")
				} else {
					legacy.optIn(k, "all", "all")
					split.optIn(k, "all", "all")
				}
				continue
			}
			mode := []ImportMode{Add, Add, Replace, Remove}[rng.IntN(4)]
			n := rng.IntN(5000)
			keys := make([]uint64, n)
			var exps []int64
			if rng.IntN(2) == 0 {
				exps = make([]int64, n)
			}
			for i := range keys {
				keys[i] = universe(sp.kind)
				if exps != nil && rng.IntN(3) == 0 {
					exps[i] = now + int64(rng.IntN(1000))
				}
			}
			if rng.IntN(3) == 0 {
				slices.Sort(keys)
			}
			imL, err := legacy.s.BeginImport(sp.name, mode)
			if err != nil {
				t.Fatal(err)
			}
			imS, _ := split.s.BeginImport(sp.name, mode)
			for c := range slices.Chunk(keys, 700) {
				imL.Add(c, nil)
				imS.Add(c, nil)
			}
			if exps != nil {
				// A second batch with expiries, part of it repeating keys.
				imL.Add(keys[:n/2], exps[:n/2])
				imS.Add(keys[:n/2], exps[:n/2])
			}
			v, at := legacy.next(), legacy.at()
			split.next()
			resL, err := legacy.s.legacyCommitImport(imL, v, at)
			if err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, split.s)
			dictLen := split.s.Dictionary(sp.kind)
			listBefore, _ := split.s.List(sp.name)
			pc, err := split.s.PrepareCommit(imS, v, at)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(snapshot(t, split.s), before) {
				t.Fatalf("seed %d step %d: PrepareCommit changed the store", seed, step)
			}
			if l, _ := split.s.List(sp.name); l != listBefore {
				t.Fatalf("seed %d step %d: PrepareCommit swapped the list", seed, step)
			}
			if dictLen != nil && dictLen.Len() != pc.dictLen {
				t.Fatalf("dictionary grew in Prepare")
			}
			resS, err := split.s.Publish(pc)
			if err != nil {
				t.Fatal(err)
			}
			if resS != resL || pc.Result() != resL {
				t.Fatalf("seed %d step %d %s %s: result %+v, legacy %+v", seed, step, sp.name, mode, resS, resL)
			}
			if a, b := snapshot(t, legacy.s), snapshot(t, split.s); !bytes.Equal(a, b) {
				t.Fatalf("seed %d step %d %s %s: snapshots differ (%d vs %d bytes)", seed, step, sp.name, mode, len(a), len(b))
			}
		}
	}
}

// Until Publish, readers see the old list, the old dictionary and the old
// versions; after it, the new ones.
func TestPrepareInvisibleUntilPublish(t *testing.T) {
	for _, kind := range []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail} {
		t.Run(kind.String(), func(t *testing.T) {
			f := newFixture(t)
			f.list("l", kind, Deny, "call", "all", SourceNationalRegistry)
			f.imp("l", Add, []uint64{1, 2, 3}, nil)
			old, _ := f.s.List("l")
			p := f.policy(Call, DirectMarketing, "")
			ver, lver, dlen := f.s.Version(), f.s.ListsVersion(), 0
			if d := f.s.Dictionary(kind); d != nil {
				dlen = d.Len()
			}
			im, _ := f.s.BeginImport("l", Replace)
			im.Add([]uint64{3, 4, 5}, []int64{0, 0, 9_000_000_000})
			pc, err := f.s.PrepareCommit(im, f.next(), f.at())
			if err != nil {
				t.Fatal(err)
			}
			if want := (ImportResult{Added: 2, Removed: 2, Total: 3}); pc.Result() != want {
				t.Errorf("prepared result %+v, want %+v", pc.Result(), want)
			}
			if kind == contactkey.KindEmail && pc.NewIDs() != 2 {
				t.Errorf("NewIDs %d, want 2", pc.NewIDs())
			}
			check := func(when string, wantList *List, in, out []uint64) {
				t.Helper()
				if l, _ := f.s.List("l"); l != wantList {
					t.Errorf("%s: List returned another version", when)
				}
				p2 := f.policy(Call, DirectMarketing, "")
				for _, v := range in {
					if ok, _ := p2.Decide([]contactkey.Key{{Kind: kind, V: v}}, 0, nil); ok {
						t.Errorf("%s: %d allowed", when, v)
					}
				}
				for _, v := range out {
					if ok, _ := p2.Decide([]contactkey.Key{{Kind: kind, V: v}}, 0, nil); !ok {
						t.Errorf("%s: %d suppressed", when, v)
					}
				}
			}
			check("before Publish", old, []uint64{1, 2, 3}, []uint64{4, 5})
			if f.s.Version() != ver || f.s.ListsVersion() != lver {
				t.Error("versions moved before Publish")
			}
			if d := f.s.Dictionary(kind); d != nil && d.Len() != dlen {
				t.Errorf("dictionary grew to %d before Publish", d.Len())
			}
			if _, err := f.s.Publish(pc); err != nil {
				t.Fatal(err)
			}
			nl, _ := f.s.List("l")
			check("after Publish", nl, []uint64{3, 4, 5}, []uint64{1, 2})
			if f.s.Version() != f.v || f.s.ListsVersion() != f.v || nl.Version() != f.v {
				t.Error("versions did not move on Publish")
			}
			// The old policy still answers from the old version.
			if ok, _ := p.Decide([]contactkey.Key{{Kind: kind, V: 1}}, 0, nil); ok {
				t.Error("old policy lost its version")
			}
			if _, err := f.s.Publish(pc); !errors.Is(err, ErrImportClosed) {
				t.Errorf("second Publish: %v", err)
			}
		})
	}
}

// Dropping a prepared commit leaves the store as if the import never
// happened: a later history matches one that never staged it.
func TestPrepareAbort(t *testing.T) {
	build := func(abort bool) *fixture {
		f := newFixture(t)
		f.list("e", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
		f.imp("e", Add, []uint64{10, 11}, nil)
		if abort {
			im, _ := f.s.BeginImport("e", Add)
			im.Add([]uint64{12, 13, 10}, nil)
			before := snapshot(t, f.s)
			pc, err := f.s.PrepareCommit(im, f.v+1, f.at())
			if err != nil || pc.NewIDs() != 2 {
				t.Fatalf("prepare: %v, %d new ids", err, pc.NewIDs())
			}
			if !bytes.Equal(snapshot(t, f.s), before) {
				t.Fatal("PrepareCommit changed the store")
			}
			if _, err := f.s.CommitImport(im, f.v+1, f.at()); !errors.Is(err, ErrImportClosed) {
				t.Errorf("commit after prepare: %v", err)
			}
		}
		f.imp("e", Add, []uint64{13, 14}, nil)
		f.optOut(email(15), "email", "all", "")
		return f
	}
	if a, b := snapshot(t, build(true).s), snapshot(t, build(false).s); !bytes.Equal(a, b) {
		t.Error("an aborted prepare left a trace")
	}
}

func TestPublishStale(t *testing.T) {
	setup := func() (*fixture, *PreparedCommit) {
		f := newFixture(t)
		f.list("e", contactkey.KindEmail, Deny, "email", "all", SourceCustomerRequest)
		f.list("p", contactkey.KindPhone, Deny, "call", "all", SourceNationalRegistry)
		f.imp("e", Add, []uint64{1}, nil)
		im, _ := f.s.BeginImport("e", Add)
		im.Add([]uint64{2, 3}, nil)
		pc, err := f.s.PrepareCommit(im, f.next(), f.at())
		if err != nil {
			t.Fatal(err)
		}
		return f, pc
	}
	for name, between := range map[string]func(f *fixture){
		"opt-out grew the dictionary": func(f *fixture) { f.optOut(email(7), "email", "all", "") },
		"phone opt-out":               func(f *fixture) { f.optOut(phone(7), "call", "all", "") },
		"another import":              func(f *fixture) { f.imp("p", Add, []uint64{5}, nil) },
		"opt-in edited the list":      func(f *fixture) { f.optIn(email(1), "all", "all") },
		"list deleted": func(f *fixture) {
			if err := f.s.DeleteList("p", f.next(), f.at()); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			f, pc := setup()
			between(f)
			want := snapshot(t, f.s)
			if _, err := f.s.Publish(pc); !errors.Is(err, ErrStalePrepared) && !errors.Is(err, ErrStaleVersion) {
				t.Fatalf("Publish after a change: %v", err)
			}
			if !bytes.Equal(snapshot(t, f.s), want) {
				t.Error("a refused Publish changed the store")
			}
		})
	}
	f, pc := setup()
	other := newFixture(t)
	if _, err := other.s.Publish(pc); !errors.Is(err, ErrStalePrepared) {
		t.Errorf("publish into another store: %v", err)
	}
	if _, err := f.s.Publish(nil); !errors.Is(err, ErrStalePrepared) {
		t.Errorf("publish nil: %v", err)
	}
	view := f.s.Freeze()
	if _, err := view.Publish(pc); !errors.Is(err, ErrStalePrepared) {
		t.Errorf("publish into a view: %v", err)
	}
	im, _ := f.s.BeginImport("p", Add)
	if _, err := view.PrepareCommit(im, f.next(), f.at()); !errors.Is(err, ErrFrozen) {
		t.Errorf("prepare on a view: %v", err)
	}
	if _, err := f.s.Publish(pc); err != nil {
		t.Errorf("the untouched store refused: %v", err)
	}
}

// The engine's pattern: the writer prepares with no lock while readers
// decide under the read lock, then publishes under the write lock. Run
// with -race.
func TestPrepareWhileReading(t *testing.T) {
	f := newFixture(t)
	f.list("p", contactkey.KindPhone, Deny, "call", "all", SourceNationalRegistry)
	f.list("e", contactkey.KindEmail, Deny, "call", "all", SourceBounce)
	f.list("q", contactkey.KindPhone, Deny, "call", "all", SourceInternal)
	f.list("r", contactkey.KindPhone, Deny, "call", "all", SourceInternal)
	f.imp("q", Add, samplePhones(3, 20_000, 20), nil)
	f.imp("r", Add, samplePhones(4, 20_000, 20), nil)
	var mu sync.RWMutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	phones := samplePhones(5, 5_000, 20)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.RLock()
				p, err := f.s.Compile(Scope{Call, DirectMarketing, ""})
				if err != nil {
					mu.RUnlock()
					t.Error(err)
					return
				}
				p.Decide([]contactkey.Key{phone(phones[i%len(phones)]), email(uint64(i + g))}, 0, nil)
				p.DecideBatch(contactkey.KindPhone, phones, 0, func(int, Reason) {})
				p.DecideBatch(contactkey.KindEmail, []uint64{1, 2, 3, uint64(i)}, 0, func(int, Reason) {})
				mu.RUnlock()
			}
		}()
	}
	for round := range 20 {
		list, keys := "p", samplePhones(uint64(round), 3_000, 20)
		if round%2 == 1 {
			list = "e"
			keys = []uint64{uint64(round), uint64(round + 1000), 7}
		}
		im, _ := f.s.BeginImport(list, []ImportMode{Add, Replace}[round%3%2])
		im.Add(keys, nil)
		pc, err := f.s.PrepareCommit(im, f.next(), f.at())
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		_, err = f.s.Publish(pc)
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if f.s.Version() != f.v {
		t.Errorf("version %d, want %d", f.s.Version(), f.v)
	}
}

func ExampleStore_PrepareCommit() {
	s := NewStore()
	spec := ListSpec{Name: "dnc", Kind: contactkey.KindPhone, Type: Deny, Channels: ChannelSet(Call), Purposes: PurposeSet{All: true}, Source: SourceNationalRegistry}
	if err := s.CreateList(spec, 1, t0); err != nil {
		panic(err)
	}
	im, _ := s.BeginImport("dnc", Replace)
	im.Add([]uint64{12025550100, 12025550101}, nil)
	// Heavy part: no lock, readers go on.
	pc, err := s.PrepareCommit(im, 2, t0)
	if err != nil {
		panic(err)
	}
	// Cheap part: under the engine's write lock.
	res, err := s.Publish(pc)
	fmt.Println(res.Added, res.Total, err)
	// Output: 2 2 <nil>
}
