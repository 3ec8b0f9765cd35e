package suppression

import (
	"errors"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

func TestFreezeIsolation(t *testing.T) {
	f := newFixture(t)
	f.list("dnc", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.list("emails", contactkey.KindEmail, Deny, "call", "all", SourceCustomerRequest)
	f.imp("dnc", Add, []uint64{1, 2}, nil)
	f.imp("emails", Add, []uint64{0xe1}, nil)
	f.optOut(phone(5), "call", "all", "")

	view := f.s.Freeze()
	rows := [][]contactkey.Key{{phone(1)}, {phone(3)}, {phone(5)}, {phone(6)}, {email(0xe1)}, {email(0xe2)}}
	decide := func(s *Store) []string {
		p, err := s.Compile(Scope{Call, DirectMarketing, ""})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			_, rs := p.Decide(r, 0, nil)
			out = append(out, codes(rs)...)
			out = append(out, "|")
		}
		return out
	}
	want := decide(view)

	// Every kind of change to the live store.
	f.imp("dnc", Replace, []uint64{3}, nil)
	f.imp("emails", Add, []uint64{0xe2}, nil)
	f.optOut(phone(6), "call", "all", "")
	f.optIn(phone(5), "call", "all")
	f.optIn(email(0xe1), "all", "all")
	f.list("new", contactkey.KindPhone, Deny, "call", "all", SourceInternal)
	f.imp("new", Add, []uint64{1}, nil)
	if err := f.s.DeleteList("dnc", f.next(), f.at()); err != nil {
		t.Fatal(err)
	}

	if got := decide(view); !slices.Equal(got, want) {
		t.Errorf("view changed: %v, was %v", got, want)
	}
	if live := decide(f.s); slices.Equal(live, want) {
		t.Error("the live store did not change: the test proves nothing")
	}
	if len(view.Lists()) != 2 || len(view.History(phone(5))) != 1 || len(view.History(phone(6))) != 0 {
		t.Error("view lists or histories changed")
	}
	if view.Version() == f.s.Version() {
		t.Error("view version moved")
	}
	// The view is read-only.
	for name, err := range map[string]error{
		"create": view.CreateList(ListSpec{Name: "x", Kind: contactkey.KindPhone, Type: Deny, Channels: AllChannels, Purposes: PurposeSet{All: true}, Source: "internal"}, 100, t0),
		"delete": view.DeleteList("dnc", 100, t0),
		"optout": view.OptOut(phone(9), OptEvent{Version: 100, Channels: AllChannels, Purposes: PurposeSet{All: true}}),
		"optin":  view.OptIn(phone(9), OptEvent{Version: 100, Channels: AllChannels, Purposes: PurposeSet{All: true}, Evidence: "x"}),
	} {
		if !errors.Is(err, ErrFrozen) {
			t.Errorf("%s on a view: %v", name, err)
		}
	}
	if _, err := view.BeginImport("dnc", Add); !errors.Is(err, ErrFrozen) {
		t.Errorf("import on a view: %v", err)
	}
}

// A policy holds the list versions it was compiled with.
func TestPolicyKeepsItsListVersions(t *testing.T) {
	f := newFixture(t)
	f.list("dnc", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.imp("dnc", Add, []uint64{1}, nil)
	p := f.policy(Call, DirectMarketing, "")
	refs := p.Lists()
	f.imp("dnc", Replace, []uint64{2}, nil)
	if ok, _ := p.Decide([]contactkey.Key{phone(1)}, 0, nil); ok {
		t.Error("old policy lost its list version")
	}
	if got := p.Lists(); !slices.Equal(got, refs) {
		t.Error("old policy's manifest changed")
	}
	if ok, _ := f.policy(Call, DirectMarketing, "").Decide([]contactkey.Key{phone(1)}, 0, nil); !ok {
		t.Error("new policy sees the old version")
	}
	if refs[0].Len != 1 || refs[0].Name != "dnc" || refs[0].Type != Deny || refs[0].Source != SourceNationalRegistry || refs[0].Version != 2 {
		t.Errorf("ListRef %+v", refs[0])
	}
}

// Readers share a policy (its scratch pool, digests and container counts
// are filled in concurrently), and a frozen view keeps answering while
// the writer changes the live store. Run with -race. Only phone keys are
// used by the view's readers: the dictionaries are shared with the live
// store, which is why the engine's read lock is still needed for hashed
// kinds.
func TestConcurrentReaders(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"a", "b", "c", "d"} {
		f.list(name, contactkey.KindPhone, Deny, "call", "all", SourceNationalRegistry)
		f.imp(name, Add, samplePhones(uint64(len(name)+int(name[0])), 50_000, 40), nil)
	}
	f.optOut(phone(1), "call", "all", "")
	view := f.s.Freeze()
	p, err := view.Compile(Scope{Call, DirectMarketing, ""})
	if err != nil {
		t.Fatal(err)
	}
	keys := samplePhones(4, 40_000, 40)
	want := 0
	p.DecideBatch(contactkey.KindPhone, keys, 0, func(int, Reason) { want++ })
	done := make(chan int)
	for g := range 4 {
		go func() {
			total := 0
			for range 5 {
				hits := 0
				p.DecideBatch(contactkey.KindPhone, keys[:len(keys)-g], 0, func(int, Reason) { hits++ })
				if g == 0 && hits != want {
					total = -1 << 30
				}
				total += hits
				p.Decide([]contactkey.Key{phone(keys[g])}, 0, nil)
				p.Lists()
			}
			done <- total
		}()
	}
	for i := range 20 { // the writer
		f.imp("a", Add, []uint64{keys[i]}, nil)
		f.optOut(phone(keys[i+100]), "call", "all", "")
	}
	for range 4 {
		if <-done < 0 {
			t.Error("a reader saw the frozen view change")
		}
	}
}
