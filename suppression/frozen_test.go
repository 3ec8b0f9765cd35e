package suppression

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// randomSet builds a set whose containers take every form: sparse
// arrays, dense bitmaps, runs, and (for phones) several 2^32 buckets.
func randomSet(rng *rand.Rand, phone bool) (set, []uint64) {
	s := newSet(phone)
	var vals []uint64
	his := []uint64{0}
	if phone {
		his = []uint64{2, 3, 7, 1 << 17} // 12-digit numbers up to 15-digit ones
	}
	for _, hi := range his {
		for range 1 + rng.IntN(6) {
			base := hi<<32 | uint64(rng.IntN(1<<16))<<16
			switch rng.IntN(4) {
			case 0: // sparse array
				for range 1 + rng.IntN(300) {
					vals = append(vals, base|uint64(rng.IntN(1<<16)))
				}
			case 1: // bitmap
				for range 5000 + rng.IntN(20000) {
					vals = append(vals, base|uint64(rng.IntN(1<<16)))
				}
			case 2: // runs
				for range 1 + rng.IntN(20) {
					start := rng.IntN(1 << 16)
					for x := start; x < min(1<<16, start+rng.IntN(3000)); x++ {
						vals = append(vals, base|uint64(x))
					}
				}
			case 3: // a single value
				vals = append(vals, base|uint64(rng.IntN(1<<16)))
			}
		}
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	s.addSorted(vals)
	return s, vals
}

func TestFrozenMatchesRoaring(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 5))
		phone := seed%2 == 0
		s, vals := randomSet(rng, phone)
		if seed == 10 {
			s, vals = newSet(phone), nil // empty
		}
		s.optimize()
		var want bytes.Buffer
		if _, err := s.writeTo(&want); err != nil {
			t.Fatal(err)
		}
		f := freeze(s)
		f.withRanks()
		if !bytes.Equal(f.data, want.Bytes()) {
			t.Fatalf("seed %d: frozen bytes differ from roaring's", seed)
		}
		if f.card != uint64(len(vals)) {
			t.Fatalf("seed %d: card %d, want %d", seed, f.card, len(vals))
		}
		if m, ok := f.maximum(); ok != (len(vals) > 0) || ok && m != vals[len(vals)-1] {
			t.Fatalf("seed %d: maximum %d %v", seed, m, ok)
		}
		if !f.view().equals(s) {
			t.Fatalf("seed %d: view differs", seed)
		}
		// Probes: every value, its neighbours, and random others.
		rank := map[uint64]uint64{}
		for i, v := range vals {
			rank[v] = uint64(i)
		}
		var probes []uint64
		for _, v := range vals {
			if rng.IntN(8) == 0 {
				probes = append(probes, v, v+1, v-1)
			}
		}
		for range 3000 {
			x := rng.Uint64()
			if !phone {
				x = uint64(uint32(x))
			}
			probes = append(probes, x, x>>20, x>>40)
		}
		for _, v := range probes {
			_, in := rank[v]
			if f.contains(v) != in {
				t.Fatalf("seed %d: contains(%d) = %v", seed, v, !in)
			}
			if r, ok := f.lookupRank(v); ok != in || ok && r != rank[v] {
				t.Fatalf("seed %d: lookupRank(%d) = %d %v, want %d %v", seed, v, r, ok, rank[v], in)
			}
		}
		// Both walks, over container-ordered batches with repeats.
		for _, n := range []int{len(probes), 50, 1} {
			u := slices.Clone(probes[:min(n, len(probes))])
			u = append(u, u[:len(u)/3]...)
			containerShuffle(rng, u)
			got := map[int]uint64{}
			last := -1
			f.probeRank(u, func(k int, r uint64) {
				if k <= last {
					t.Fatalf("seed %d n %d: index %d after %d: not ascending", seed, n, k, last)
				}
				last = k
				got[k] = r
			})
			byKey := map[int]bool{}
			last = -1
			f.probe(u, func(k int) {
				if k <= last {
					t.Fatalf("seed %d n %d: probe: index %d after %d: not ascending", seed, n, k, last)
				}
				last = k
				byKey[k] = true
			})
			for k, v := range u {
				r, in := rank[v]
				if _, ok := got[k]; ok != in || in && got[k] != r || byKey[k] != in {
					t.Fatalf("seed %d n %d: key %d (%d): walk says %v rank %d, want %v %d", seed, n, k, v, ok, got[k], in, r)
				}
			}
		}
	}
}

// containerShuffle sorts u by container and shuffles within each, the
// order DecideBatch hands the walks.
func containerShuffle(rng *rand.Rand, u []uint64) {
	slices.Sort(u)
	for i := 0; i < len(u); {
		j := i
		for j < len(u) && u[j]>>16 == u[i]>>16 {
			j++
		}
		rng.Shuffle(j-i, func(a, b int) { u[i+a], u[i+b] = u[i+b], u[i+a] })
		i = j
	}
}

// equals reports whether two sets hold the same values.
func (s set) equals(o set) bool {
	if s.b64 != nil {
		return o.b64 != nil && s.b64.Equals(o.b64)
	}
	return o.b32 != nil && s.b32.Equals(o.b32)
}

// Damaged bytes are refused with an error, never a panic, and what is
// accepted reads the same through the probes and through roaring.
func TestLoadFrozenRejectsDamage(t *testing.T) {
	for _, phone := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(1, 1))
		s, _ := randomSet(rng, phone)
		good := freeze(s).data
		if _, err := loadFrozen(good, phone); err != nil {
			t.Fatalf("good bytes refused: %v", err)
		}
		if _, err := loadFrozen(good, !phone); err == nil {
			t.Errorf("phone=%v bytes accepted as the other kind", phone)
		}
		for _, cut := range []int{0, 3, 7, 8, 12, len(good) / 2, len(good) - 1} {
			if _, err := loadFrozen(good[:cut], phone); !errors.Is(err, errRoaringFormat) {
				t.Errorf("phone=%v cut at %d: %v", phone, cut, err)
			}
		}
		if _, err := loadFrozen(append(slices.Clone(good), 0), phone); !errors.Is(err, errRoaringFormat) {
			t.Errorf("phone=%v trailing byte: %v", phone, err)
		}
		for i := range 600 {
			b := slices.Clone(good)
			at := rng.IntN(len(b)) // anywhere, or in the headers
			if i%2 == 0 {
				at = rng.IntN(min(len(b), 400))
			}
			b[at] ^= byte(1 + rng.IntN(255))
			checkLoaded(t, b, phone)
		}
	}
}

// checkLoaded loads b and, if it is accepted, compares the probes with
// roaring's reading of the same bytes.
func checkLoaded(t *testing.T, b []byte, phone bool) {
	t.Helper()
	f, err := loadFrozen(b, phone)
	if err != nil {
		if !errors.Is(err, errRoaringFormat) {
			t.Fatalf("error %v does not wrap errRoaringFormat", err)
		}
		return
	}
	v := f.view()
	if v.card() != f.card {
		t.Fatalf("card %d, roaring says %d", f.card, v.card())
	}
	n := 0
	v.each(make([]uint64, 256), func(vs []uint64) {
		for _, x := range vs {
			if n < 2000 && !f.contains(x) {
				t.Fatalf("roaring holds %d, the probe does not find it", x)
			}
			n++
		}
	})
}

func FuzzLoadFrozen(f *testing.F) {
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 9))
		s, _ := randomSet(rng, seed%2 == 0)
		f.Add(freeze(s).data, seed%2 == 0)
	}
	f.Add(emptyFrozen(true).data, true)
	f.Add(emptyFrozen(false).data, false)
	f.Fuzz(func(t *testing.T, b []byte, phone bool) {
		checkLoaded(t, b, phone)
	})
}

func TestUnionSetMasks(t *testing.T) {
	for _, phone := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(3, 3))
		var parts []*frozen
		var members []map[uint64]bool
		for range 11 { // two mask planes
			s, vals := randomSet(rng, phone)
			parts = append(parts, freeze(s))
			m := map[uint64]bool{}
			for _, v := range vals {
				m[v] = true
			}
			members = append(members, m)
		}
		u := buildUnionSet(phone, parts)
		all := map[uint64]bool{}
		for _, m := range members {
			for v := range m {
				all[v] = true
			}
		}
		if u.set.card != uint64(len(all)) {
			t.Fatalf("union of %d, want %d", u.set.card, len(all))
		}
		checked := 0
		for v := range all {
			if checked++; checked > 20000 {
				break
			}
			r, ok := u.set.lookupRank(v)
			if !ok {
				t.Fatalf("%d not in the union", v)
			}
			m := u.mask(r)
			for i := range parts {
				if members[i][v] != (m&(1<<i) != 0) || u.inPart(i, r) != members[i][v] {
					t.Fatalf("phone=%v value %d part %d: mask %b", phone, v, i, m)
				}
			}
		}
	}
}

func TestOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	spans := map[string]func() uint64{
		"one container":             func() uint64 { return 12_025_550_000 + uint64(rng.IntN(1000)) },
		"one country":               func() uint64 { return 12_000_000_000 + uint64(rng.IntN(8_000_000_000)) },
		"world":                     func() uint64 { return 1_000_000_000 + uint64(rng.Int64N(999_000_000_000_000)) },
		"64-bit (too wide to pack)": func() uint64 { return rng.Uint64() },
	}
	for name, gen := range spans {
		for _, n := range []int{1, 100, 70_000} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				keys := make([]uint64, n)
				for i := range keys {
					keys[i] = gen()
					if i > 0 && rng.IntN(10) == 0 {
						keys[i] = keys[rng.IntN(i)] // repeats
					}
				}
				sc := &batchScratch{}
				for round := range 2 { // scratch reuse
					u, idx := sc.order(keys, nil)
					if len(u) != n || len(idx) != n {
						t.Fatalf("round %d: %d values, %d indexes, want %d", round, len(u), len(idx), n)
					}
					seen := make([]bool, n)
					for k := range u {
						if k > 0 && u[k]>>16 < u[k-1]>>16 {
							t.Fatalf("round %d: not in container order at %d", round, k)
						}
						if seen[idx[k]] || keys[idx[k]] != u[k] {
							t.Fatalf("round %d: position %d: value %d from index %d", round, k, u[k], idx[k])
						}
						seen[idx[k]] = true
					}
				}
			})
		}
	}
	// Hashed keys: the ids of those the dictionary has.
	f := newFixture(t)
	f.list("e", 3, Deny, "email", "all", SourceBounce)
	known := make([]uint64, 30_000)
	for i := range known {
		known[i] = rng.Uint64()
	}
	f.imp("e", Add, known, nil)
	d := f.s.Dictionary(3)
	keys := make([]uint64, 50_000)
	want := 0
	for i := range keys {
		if rng.IntN(2) == 0 {
			keys[i] = known[rng.IntN(len(known))]
			want++
		} else {
			keys[i] = rng.Uint64()
		}
	}
	u, idx := (&batchScratch{}).order(keys, d)
	if len(u) != want {
		t.Fatalf("%d ids, want %d", len(u), want)
	}
	for k := range u {
		if id, ok := d.Lookup(keys[idx[k]]); !ok || uint64(id) != u[k] || k > 0 && u[k]>>16 < u[k-1]>>16 {
			t.Fatalf("position %d: id %d for key index %d", k, u[k], idx[k])
		}
	}
}

func TestKeyIndex(t *testing.T) {
	for _, phone := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(6, 6))
		gen := func() uint64 {
			if phone {
				return 12_000_000_000 + uint64(rng.IntN(30))*10_000_000 + uint64(rng.IntN(2_000_000))
			}
			return uint64(rng.IntN(400_000))
		}
		ix := newKeyIndex(phone)
		model := map[uint64]bool{}
		var snap keyIndex
		var snapModel map[uint64]bool
		// Enough adds for the slice to spill into mid many times and mid
		// into base.
		for i := range 150_000 {
			v := gen()
			ix.add(v)
			model[v] = true
			if i == 100_000 {
				snap = ix.clone()
				snapModel = map[uint64]bool{}
				for k := range model {
					snapModel[k] = true
				}
			}
		}
		if ix.base.card == 0 || ix.card() != uint64(len(model)) {
			t.Fatalf("phone=%v: card %d (base %d), want %d", phone, ix.card(), ix.base.card, len(model))
		}
		probes := make([]uint64, 0, 60_000)
		for range 60_000 {
			probes = append(probes, gen())
		}
		for name, c := range map[string]struct {
			ix *keyIndex
			m  map[uint64]bool
		}{"live": {&ix, model}, "clone": {&snap, snapModel}} {
			for _, v := range probes[:5000] {
				if c.ix.contains(v) != c.m[v] {
					t.Fatalf("phone=%v %s: contains(%d) = %v", phone, name, v, !c.m[v])
				}
			}
			for _, n := range []int{60_000, 3000, 10} {
				u := slices.Clone(probes[:n])
				containerShuffle(rng, u)
				got := make([]bool, n)
				c.ix.probe(u, func(k int) {
					if got[k] {
						t.Fatalf("index %d twice", k)
					}
					got[k] = true
				})
				for k, v := range u {
					if got[k] != c.m[v] {
						t.Fatalf("phone=%v %s n=%d: probe of %d says %v", phone, name, n, v, got[k])
					}
				}
			}
		}
	}
}

// Set operations run on views whose containers are the published bytes:
// none of them may write there. A random history of imports, opt-ins
// and policies leaves every list version and union ever published
// byte for byte as it was.
func TestPublishedBytesNeverChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	f := newFixture(t)
	names := []string{"a", "b", "c", "d"}
	for i, n := range names {
		f.list(n, []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail}[i%2], Deny, "call", "all", []string{SourceNationalRegistry, SourceComplaint}[i/2])
		f.list(n+"2", []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail}[i%2], Deny, "call", "all", SourceInternal)
	}
	seen := map[*frozen][]byte{}
	remember := func() {
		for _, l := range f.s.Lists() {
			if _, ok := seen[l.entries]; !ok {
				seen[l.entries] = slices.Clone(l.entries.data)
			}
		}
		p := f.policy(Call, DirectMarketing, "")
		for _, u := range p.union {
			if u != nil {
				if _, ok := seen[u.set]; !ok {
					seen[u.set] = slices.Clone(u.set.data)
				}
			}
		}
	}
	for range 60 {
		remember()
		name := names[rng.IntN(len(names))]
		if rng.IntN(2) == 0 {
			name += "2"
		}
		l, _ := f.s.List(name)
		keys := make([]uint64, rng.IntN(3000))
		for i := range keys {
			keys[i] = uint64(rng.IntN(20_000)) // dense: bitmaps and runs
			if l.spec.Kind == contactkey.KindPhone {
				keys[i] += 12_000_000_000 + uint64(rng.IntN(3))<<16
			}
		}
		if rng.IntN(6) == 0 && len(keys) > 0 {
			f.optIn(contactkey.Key{Kind: l.spec.Kind, V: keys[0]}, "all", "all")
			continue
		}
		f.imp(name, []ImportMode{Add, Replace, Remove}[rng.IntN(3)], keys, nil)
	}
	remember()
	if len(seen) < 30 {
		t.Fatalf("only %d versions published: the test proves little", len(seen))
	}
	for fz, b := range seen {
		if !bytes.Equal(fz.data, b) {
			t.Fatal("published bytes changed")
		}
	}
}

// arrayHas and arrayFind agree with a plain search for every 16-bit
// value, over arrays of every size class (below the window, around it,
// the few hundred of a phone registry's containers, skewed ones whose
// values stray far from their even spread, and full 4096-entry arrays).
func TestArraySearchesExhaustive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		card int
		skew bool
	}{{1, false}, {15, false}, {16, false}, {17, false}, {100, false}, {316, false}, {316, true}, {1000, true}, {4096, false}} {
		seen := map[uint16]bool{}
		for len(seen) < tc.card {
			v := uint16(rng.Uint32())
			if tc.skew {
				v = uint16(uint32(v) * uint32(v) >> 16) // crowded at the bottom
			}
			seen[v] = true
		}
		vals := make([]uint16, 0, tc.card)
		for v := range seen {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		a := make([]byte, 2*len(vals))
		for i, v := range vals {
			a[2*i], a[2*i+1] = byte(v), byte(v>>8)
		}
		for x := range 1 << 16 {
			low := uint16(x)
			want, in := slices.BinarySearch(vals, low)
			if got := arrayHas(a, len(vals), low); got != in {
				t.Fatalf("card %d skew %v: arrayHas(%d) = %v, want %v", tc.card, tc.skew, low, got, in)
			}
			if p, ok := arrayFind(a, len(vals), low); ok != in || in && p != want {
				t.Fatalf("card %d skew %v: arrayFind(%d) = %d %v, want %d %v", tc.card, tc.skew, low, p, ok, want, in)
			}
		}
	}
}
