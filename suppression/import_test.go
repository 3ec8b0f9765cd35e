package suppression

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

func entries(t *testing.T, s *Store, name string) []uint64 {
	t.Helper()
	l, ok := s.List(name)
	if !ok {
		t.Fatalf("no list %q", name)
	}
	var out []uint64
	l.entries.view().each(make([]uint64, 64), func(vs []uint64) { out = append(out, vs...) })
	return out
}

func TestImportModes(t *testing.T) {
	tests := []struct {
		name   string
		source string
		mode   ImportMode
		keys   []uint64
		want   []uint64
		res    ImportResult
	}{
		{"replace", SourceNationalRegistry, Replace, []uint64{3, 4, 5}, []uint64{3, 4, 5}, ImportResult{Added: 2, Removed: 2, Total: 3}},
		{"add", SourceNationalRegistry, Add, []uint64{3, 4, 5}, []uint64{1, 2, 3, 4, 5}, ImportResult{Added: 2, Total: 5}},
		{"remove", SourceNationalRegistry, Remove, []uint64{3, 4, 5}, []uint64{1, 2}, ImportResult{Removed: 1, Total: 2}},
		{"replace sticky", SourceCustomerRequest, Replace, []uint64{3, 4, 5}, []uint64{1, 2, 3, 4, 5}, ImportResult{Added: 2, KeptSticky: 2, Total: 5}},
		{"remove sticky", SourceComplaint, Remove, []uint64{3, 4, 5}, []uint64{1, 2, 3}, ImportResult{KeptSticky: 1, Total: 3}},
		{"add sticky", SourceComplaint, Add, []uint64{3, 4, 5}, []uint64{1, 2, 3, 4, 5}, ImportResult{Added: 2, Total: 5}},
		{"replace with nothing", SourceInternal, Replace, nil, nil, ImportResult{Removed: 3}},
	}
	for _, kind := range []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail} {
		for _, tc := range tests {
			t.Run(kind.String()+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t)
				f.list("l", kind, Deny, "call", "all", tc.source)
				f.imp("l", Add, []uint64{1, 2, 3}, nil)
				res := f.imp("l", tc.mode, tc.keys, nil)
				if res != tc.res {
					t.Errorf("result %+v, want %+v", res, tc.res)
				}
				l, _ := f.s.List("l")
				var got []uint64
				for _, v := range []uint64{1, 2, 3, 4, 5} {
					if l.Contains(contactkey.Key{Kind: kind, V: v}) {
						got = append(got, v)
					}
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("entries %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func TestImportVersions(t *testing.T) {
	f := newFixture(t)
	f.list("l", contactkey.KindPhone, Deny, "call", "all", SourceInternal)
	f.imp("l", Add, []uint64{1, 2}, nil)
	l1, _ := f.s.List("l")
	if l1.Version() != f.v || !l1.UpdatedAt().Equal(f.at()) {
		t.Fatalf("version %d updated %v, want %d %v", l1.Version(), l1.UpdatedAt(), f.v, f.at())
	}
	d1 := l1.Digest()
	lv := f.s.ListsVersion()
	// Nothing changes: same list, same version.
	f.imp("l", Add, []uint64{2, 1}, nil)
	if l2, _ := f.s.List("l"); l2 != l1 {
		t.Error("a no-op commit published a new version")
	}
	f.optOut(phone(9), "all", "all", "")
	if f.s.ListsVersion() != lv {
		t.Error("a no-op commit or an opt-out moved ListsVersion")
	}
	if f.s.Version() != f.v {
		t.Errorf("store version %d, want %d", f.s.Version(), f.v)
	}
	f.imp("l", Add, []uint64{3}, nil)
	if f.s.ListsVersion() != f.v {
		t.Errorf("ListsVersion %d after a change at %d", f.s.ListsVersion(), f.v)
	}
	l3, _ := f.s.List("l")
	if l3 == l1 || l3.Version() != f.v || l3.Digest() == d1 {
		t.Error("a change must publish a new version with a new digest")
	}
	// The old version is untouched.
	if l1.Len() != 2 || l1.Contains(phone(3)) || l1.Digest() != d1 {
		t.Error("the published version changed")
	}
	// Same content, another list: same digest.
	f.list("m", contactkey.KindPhone, Deny, "sms", "direct_marketing", SourcePartner)
	f.imp("m", Replace, []uint64{3, 2, 1}, nil)
	if m, _ := f.s.List("m"); m.Digest() != l3.Digest() {
		t.Error("digest depends on more than the content")
	}
}

func TestImportExpiries(t *testing.T) {
	f := newFixture(t)
	f.list("l", contactkey.KindPhone, Deny, "call", "all", SourceBounce)
	f.imp("l", Add, []uint64{1, 2, 3, 4}, []int64{100, 0, 300, 400})
	// Add keeps the longer suppression: 0 beats any time, later beats earlier.
	f.imp("l", Add, []uint64{1, 2, 3, 4, 5, 5}, []int64{0, 50, 200, 500, 60, 70})
	l, _ := f.s.List("l")
	want := map[uint64]int64{1: 0, 2: 0, 3: 300, 4: 500, 5: 70}
	for v, w := range want {
		if e, ok := l.Entry(phone(v)); !ok || e != w {
			t.Errorf("phone %d: expiry %d %v, want %d", v, e, ok, w)
		}
	}
	// Replace takes the new expiries.
	f.imp("l", Replace, []uint64{3, 4, 6, 6}, []int64{10, 0, 0, 20})
	l, _ = f.s.List("l")
	want = map[uint64]int64{3: 10, 4: 0, 6: 0}
	for v, w := range want {
		if e, ok := l.Entry(phone(v)); !ok || e != w {
			t.Errorf("after replace, phone %d: expiry %d %v, want %d", v, e, ok, w)
		}
	}
	if l.Len() != 3 || l.Expiring() != 1 {
		t.Errorf("len %d expiring %d", l.Len(), l.Expiring())
	}
	// Remove drops the entry and its expiry.
	f.imp("l", Remove, []uint64{3}, []int64{99})
	l, _ = f.s.List("l")
	if l.Expiring() != 0 || l.Contains(phone(3)) {
		t.Error("remove left the expiry behind")
	}
}

func TestImportHashedIDsInStagingOrder(t *testing.T) {
	a, b := newFixture(t), newFixture(t)
	for _, f := range []*fixture{a, b} {
		f.list("e", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
	}
	keys := []uint64{0xff, 0x10, 0xaa, 0x10, 0x05}
	a.imp("e", Add, keys, nil)
	b.imp("e", Add, keys[:2], nil)
	b.imp("e", Add, keys[2:], nil)
	for _, f := range []*fixture{a, b} {
		d := f.s.Dictionary(contactkey.KindEmail)
		var got []uint64
		for id := range d.Len() {
			got = append(got, d.Value(uint32(id)))
		}
		if want := []uint64{0xff, 0x10, 0xaa, 0x05}; !slices.Equal(got, want) {
			t.Errorf("dictionary %x, want %x", got, want)
		}
	}
	// Remove never assigns ids.
	a.imp("e", Remove, []uint64{0x777}, nil)
	if a.s.Dictionary(contactkey.KindEmail).Len() != 4 {
		t.Error("Remove assigned an id")
	}
}

func TestImportErrors(t *testing.T) {
	f := newFixture(t)
	f.list("l", contactkey.KindPhone, Deny, "call", "all", SourceInternal)
	if _, err := f.s.BeginImport("nope", Add); !errors.Is(err, ErrUnknownList) {
		t.Errorf("unknown list: %v", err)
	}
	if _, err := f.s.BeginImport("l", 9); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("bad mode: %v", err)
	}
	im, _ := f.s.BeginImport("l", Add)
	im.Add([]uint64{1}, nil)
	if _, err := f.s.CommitImport(im, f.next(), f.at()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CommitImport(im, f.next(), f.at()); !errors.Is(err, ErrImportClosed) {
		t.Errorf("second commit: %v", err)
	}
	// The list is deleted, then recreated with another kind, mid-import.
	im, _ = f.s.BeginImport("l", Add)
	im.Add([]uint64{2}, nil)
	if err := f.s.DeleteList("l", f.next(), f.at()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CommitImport(im, f.next(), f.at()); !errors.Is(err, ErrUnknownList) {
		t.Errorf("commit to deleted list: %v", err)
	}
	f.list("l", contactkey.KindEmail, Deny, "call", "all", SourceInternal)
	if _, err := f.s.CommitImport(im, f.next(), f.at()); !errors.Is(err, ErrKindMismatch) {
		t.Errorf("commit to recreated list: %v", err)
	}
	if f.s.Dictionary(contactkey.KindEmail).Len() != 0 {
		t.Error("a failed commit assigned ids")
	}
	// Versions never go backwards.
	im, _ = f.s.BeginImport("l", Add)
	if _, err := f.s.CommitImport(im, 1, f.at()); !errors.Is(err, ErrStaleVersion) {
		t.Errorf("stale version: %v", err)
	}
	im.Abort()
	if _, err := f.s.CommitImport(im, f.next(), f.at()); !errors.Is(err, ErrImportClosed) {
		t.Errorf("commit after abort: %v", err)
	}
}

// Keys arriving in every shape — sorted runs, overlapping sorted runs,
// random chunks, big and small — give the same list.
func TestImportStagingShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[uint64]bool{}
	var all []uint64
	for range 300_000 {
		v := 12_000_000_000 + uint64(rng.IntN(400))*10_000_000 + uint64(rng.IntN(10_000_000))
		all = append(all, v)
		want[v] = true
	}
	sorted := slices.Sorted(slices.Values(all))
	shapes := map[string][][]uint64{
		"one sorted chunk":   {sorted},
		"sorted small runs":  chunks(sorted, 1000),
		"random small":       chunks(all, 777),
		"random big":         chunks(all, 100_000),
		"sorted big overlap": {sorted[:200_000], sorted[100_000:], sorted[:70_000]},
		"one by one":         chunks(all[:5000], 1),
	}
	for name, cs := range shapes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.list("l", contactkey.KindPhone, Deny, "call", "all", SourceNationalRegistry)
			im, _ := f.s.BeginImport("l", Replace)
			n := 0
			uniq := map[uint64]bool{}
			for _, c := range cs {
				im.Add(slices.Clone(c), nil)
				n += len(c)
				for _, v := range c {
					uniq[v] = true
				}
			}
			res, err := f.s.CommitImport(im, f.next(), f.at())
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != uint64(len(uniq)) || res.Added != res.Total {
				t.Fatalf("result %+v, want %d entries", res, len(uniq))
			}
			got := entries(t, f.s, "l")
			if !slices.IsSorted(got) || len(got) != len(uniq) {
				t.Fatal("entries differ")
			}
			for _, v := range got {
				if !uniq[v] {
					t.Fatalf("unexpected entry %d", v)
				}
			}
		})
	}
}

func chunks(vs []uint64, n int) [][]uint64 {
	var out [][]uint64
	for len(vs) > 0 {
		k := min(n, len(vs))
		out = append(out, vs[:k])
		vs = vs[k:]
	}
	return out
}

func TestStickyDeleteList(t *testing.T) {
	f := newFixture(t)
	f.list("refusals", contactkey.KindPhone, Deny, "call", "all", SourceCustomerRequest)
	f.imp("refusals", Add, []uint64{1}, nil)
	if err := f.s.DeleteList("refusals", f.next(), f.at()); !errors.Is(err, ErrStickyList) {
		t.Fatalf("delete sticky list: %v", err)
	}
	f.optIn(phone(1), "all", "all")
	if err := f.s.DeleteList("refusals", f.next(), f.at()); err != nil {
		t.Fatalf("delete emptied sticky list: %v", err)
	}
	if err := f.s.DeleteList("refusals", f.next(), f.at()); !errors.Is(err, ErrUnknownList) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestListSpecValidate(t *testing.T) {
	ok := ListSpec{Name: "dnc.us-2026_a", Kind: contactkey.KindPhone, Type: Deny, Channels: ChannelSet(Call), Purposes: PurposeSet{All: true}, Source: "national_registry"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(*ListSpec){
		"empty name":     func(s *ListSpec) { s.Name = "" },
		"upper name":     func(s *ListSpec) { s.Name = "DNC" },
		"leading dash":   func(s *ListSpec) { s.Name = "-dnc" },
		"long name":      func(s *ListSpec) { s.Name = string(make([]byte, 65)) },
		"space":          func(s *ListSpec) { s.Name = "a b" },
		"kind":           func(s *ListSpec) { s.Kind = 7 },
		"type":           func(s *ListSpec) { s.Type = 0 },
		"no channels":    func(s *ListSpec) { s.Channels = 0 },
		"bad channel":    func(s *ListSpec) { s.Channels = 0x80 },
		"no purposes":    func(s *ListSpec) { s.Purposes = PurposeSet{} },
		"bad purpose":    func(s *ListSpec) { s.Purposes = PurposeSet{Names: []string{"Direct"}} },
		"source":         func(s *ListSpec) { s.Source = "" },
		"source shape":   func(s *ListSpec) { s.Source = "national registry" },
		"description":    func(s *ListSpec) { s.Description = string(make([]byte, MaxDescriptionLen+1)) },
		"not utf8 descr": func(s *ListSpec) { s.Description = "\xff" },
	}
	for name, mod := range tests {
		s := ok
		mod(&s)
		if err := s.Validate(); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("%s: %v", name, err)
		}
	}
	f := newFixture(t)
	if err := f.s.CreateList(ok, 1, t0); err != nil {
		t.Fatal(err)
	}
	if err := f.s.CreateList(ok, 2, t0); !errors.Is(err, ErrListExists) {
		t.Errorf("duplicate: %v", err)
	}
	// The store keeps purposes sorted and deduplicated, and its own copy.
	names := []string{"b", "a", "b"}
	spec := ok
	spec.Name, spec.Purposes = "x", PurposeSet{Names: names}
	if err := f.s.CreateList(spec, 3, t0); err != nil {
		t.Fatal(err)
	}
	names[0] = "zzz"
	if l, _ := f.s.List("x"); !slices.Equal(l.Spec().Purposes.Names, []string{"a", "b"}) {
		t.Errorf("purposes %v", l.Spec().Purposes.Names)
	}
}
