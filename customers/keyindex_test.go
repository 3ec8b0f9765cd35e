package customers

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/contactkey"
)

// holdersByScan is the reference: per key, the customers holding it, by
// looking at every row.
func holdersByScan(d *Directory, kind contactkey.Kind) map[uint64][]uint32 {
	out := map[uint64][]uint32{}
	for it := d.All().Iterator(); it.HasNext(); {
		id := uint32(it.Next())
		c, _ := d.Get(id)
		for _, k := range c.Keys(kind) {
			if h := out[k]; len(h) == 0 || h[len(h)-1] != id {
				out[k] = append(h, id)
			}
		}
	}
	return out
}

func lookupSorted(x *KeyIndex, key uint64) []uint32 {
	var out []uint32
	x.Lookup(key, func(id uint32) { out = append(out, id) })
	slices.Sort(out)
	return slices.Compact(out)
}

// TestKeyIndexFollowsTheDirectory: after random puts (new customers,
// replaced ones, keys shared between customers) an index advanced publish
// by publish and one built afresh both give exactly the holders a scan of
// the rows gives, and ChangedSince names every customer put since.
func TestKeyIndexFollowsTheDirectory(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		rng := rand.New(rand.NewPCG(seed, 7))
		b := NewBuilder(Empty())
		d := b.Publish(1)
		phones := NewKeyIndex(d, contactkey.KindPhone)
		subjects := NewKeyIndex(d, contactkey.KindCustomer)
		const nKeys = 300 // few keys: many are shared
		for step := range 60 {
			put := roaring64.NewBitmap()
			for range 1 + rng.IntN(80) {
				id := uint32(rng.IntN(9000)) // more than two chunks
				var ph []uint64
				for range rng.IntN(3) {
					ph = append(ph, 12025550000+uint64(rng.IntN(nKeys)))
				}
				b.Put(id, Customer{ExternalID: "c", SubjectKey: uint64(rng.IntN(nKeys)), Phones: ph}, nil)
				put.Add(uint64(id))
			}
			before := d
			d = b.Publish(uint64(step + 2))
			got, ok := d.ChangedSince(before.Version())
			if !ok || !got.Equals(put) {
				t.Fatalf("seed %d step %d: ChangedSince = %v (ok %v), want %v", seed, step, got, ok, put)
			}
			var okP, okS bool
			if phones, okP = phones.Advance(d); !okP {
				t.Fatalf("seed %d step %d: phone index cannot advance", seed, step)
			}
			if subjects, okS = subjects.Advance(d); !okS {
				t.Fatalf("seed %d step %d: subject index cannot advance", seed, step)
			}
			fresh := NewKeyIndex(d, contactkey.KindPhone)
			byPhone, bySubject := holdersByScan(d, contactkey.KindPhone), holdersByScan(d, contactkey.KindCustomer)
			for k := range uint64(nKeys) {
				ph := 12025550000 + k
				want := byPhone[ph]
				if g := lookupSorted(phones, ph); !slices.Equal(g, want) {
					t.Fatalf("seed %d step %d phone %d: advanced index %v, scan %v", seed, step, ph, g, want)
				}
				if g := lookupSorted(fresh, ph); !slices.Equal(g, want) {
					t.Fatalf("seed %d step %d phone %d: fresh index %v, scan %v", seed, step, ph, g, want)
				}
				if g, w := lookupSorted(subjects, k), bySubject[k]; !slices.Equal(g, w) {
					t.Fatalf("seed %d step %d subject %d: index %v, scan %v", seed, step, k, g, w)
				}
			}
		}
		if len(phones.runs) > maxRuns {
			t.Fatalf("%d runs", len(phones.runs))
		}
	}
}

func TestChangedSinceAcrossPublishes(t *testing.T) {
	b := NewBuilder(Empty())
	b.Put(1, Customer{ExternalID: "a"}, nil)
	d1 := b.Publish(10)
	b.Put(2, Customer{ExternalID: "b"}, nil)
	b.Publish(11)
	b.Put(7, Customer{ExternalID: "c"}, nil)
	b.Put(2, Customer{ExternalID: "b2"}, nil)
	d3 := b.Publish(12)
	if got, ok := d3.ChangedSince(d1.Version()); !ok || !slices.Equal(got.ToArray(), []uint64{2, 7}) {
		t.Fatalf("since 10: %v %v", got, ok)
	}
	if got, ok := d3.ChangedSince(0); !ok || !slices.Equal(got.ToArray(), []uint64{1, 2, 7}) {
		t.Fatalf("since 0: %v %v", got, ok)
	}
	if got, ok := d3.ChangedSince(12); !ok || !got.IsEmpty() {
		t.Fatalf("since now: %v %v", got, ok)
	}
	if _, ok := d1.ChangedSince(12); ok {
		t.Fatal("an older view answered for a later version")
	}
	// A directory built from a snapshot remembers nothing before it.
	r := NewBuilder(Empty())
	r.Put(1, Customer{ExternalID: "a"}, nil)
	rd := r.Publish(12)
	if got, ok := rd.ChangedSince(10); !ok || !slices.Equal(got.ToArray(), []uint64{1}) {
		t.Fatalf("restored, since 10: %v %v (every restored customer counts as changed)", got, ok)
	}
}

// TestChangeLogIsBounded: a publish of more customers than the chain
// keeps is wide, and readers behind it must rebuild.
func TestChangeLogIsBounded(t *testing.T) {
	n := link(nil, 0, 1, make([]uint32, 10))
	n = link(n, 1, 2, []uint32{5})
	if n.total != 2 || n.prev == nil { // 10 zeros compact to one id
		t.Fatalf("total %d", n.total)
	}
	big := make([]uint32, maxChangeLog+1)
	for i := range big {
		big[i] = uint32(i)
	}
	w := link(n, 2, 3, big)
	if !w.wide || w.prev != nil {
		t.Fatal("an oversized publish is not wide")
	}
	d := &Directory{version: 3, changes: w}
	if _, ok := d.ChangedSince(2); ok {
		t.Fatal("a wide publish answered")
	}
}

// BenchmarkKeyIndex1M: building the reverse index of a 1M-customer
// directory (one phone and one customer key each) and its size.
func BenchmarkKeyIndex1M(b *testing.B) {
	bl := NewBuilder(Empty())
	rng := rand.New(rand.NewPCG(1, 1))
	for id := range uint32(1_000_000) {
		bl.Put(id, Customer{ExternalID: "c", SubjectKey: rng.Uint64(), Phones: []uint64{12000000000 + uint64(id)*7}}, nil)
	}
	d := bl.Publish(1)
	b.ReportAllocs()
	var x *KeyIndex
	for b.Loop() {
		x = NewKeyIndex(d, contactkey.KindCustomer)
	}
	b.ReportMetric(float64(x.MemoryBytes())/1e6, "bytes/customer")
	b.ReportMetric(float64(x.Pairs()), "pairs")
}
