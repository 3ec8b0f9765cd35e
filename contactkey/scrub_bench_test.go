package contactkey

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// scrubRows are typical address and e-mail cells of a campaign file: the
// per-row cost of the scrub is their Key calls.
var scrubRows = []struct {
	name string
	kind Kind
	in   string
}{
	{"address/en", KindAddress, "123 Main Street Apt 4, Springfield"},
	{"address/en-long", KindAddress, "12 Main Street, Apt. 4, Springfield, IL 62701"},
	{"address/po", KindAddress, "P.O. Box 1234, N.E. Portland"},
	{"address/zh", KindAddress, "上海市黄浦区南京东路１００号"},
	{"email/mixed", KindEmail, "Alice.Smith@Example.com"},
	{"email/lower", KindEmail, "alice.smith@example.com"},
	{"email/plus", KindEmail, " Alice.Smith+news@Example.co.uk "},
}

// BenchmarkScrubKey is Normalizer.Key for address and e-mail cells, as the
// scrub calls it.
func BenchmarkScrubKey(b *testing.B) {
	n := mustNormalizer(b, "US")
	h, _ := NewHasher(testSecret())
	for _, c := range scrubRows {
		raw := []byte(c.in)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var sink uint64
			for b.Loop() {
				k, err := n.Key(c.kind, raw, h)
				if err != nil {
					b.Fatal(err)
				}
				sink += k.V
			}
			_ = sink
		})
	}
}

// benchDicts caches the big dictionaries across -count runs: building the
// 30M one takes seconds.
var benchDicts sync.Map // int → *benchDict

type benchDict struct {
	d *Dictionary
	// Probes in random order: all present, half present, and one in ten
	// present (a scrub's keys are mostly in no list).
	hit, mixed, few []uint64
}

func getBenchDict(n int) *benchDict {
	if v, ok := benchDicts.Load(n); ok {
		return v.(*benchDict)
	}
	vs := randomValues(uint64(n), n, 0)
	d := NewDictionary()
	d.AssignBatch(vs, make([]uint32, 0, n))
	const probes = 1 << 20
	rng := rand.New(rand.NewPCG(3, 4))
	bd := &benchDict{d: d, hit: make([]uint64, probes), mixed: make([]uint64, probes), few: make([]uint64, probes)}
	for i := range probes {
		if i%10 == 0 {
			bd.few[i] = vs[rng.IntN(n)]
		} else {
			bd.few[i] = rng.Uint64()
		}
		bd.hit[i] = vs[rng.IntN(n)]
		if i%2 == 0 {
			bd.mixed[i] = vs[rng.IntN(n)]
		} else {
			bd.mixed[i] = rng.Uint64()
		}
	}
	benchDicts.Store(n, bd)
	return bd
}

// BenchmarkDictionaryLookupRandom probes big dictionaries with random
// values in batches of 1024, as the scrub does: a loop of Lookup calls
// against LookupBatch. It reports ns per probe.
func BenchmarkDictionaryLookupRandom(b *testing.B) {
	const batch = 1024
	for _, n := range []int{4_000_000, 7_000_000, 30_000_000} {
		bd := getBenchDict(n)
		d := bd.d
		ids := make([]uint32, batch)
		found := make([]bool, batch)
		for _, set := range []struct {
			name   string
			probes []uint64
		}{{"hit", bd.hit}, {"mixed", bd.mixed}, {"few", bd.few}} {
			probes := set.probes
			b.Run(fmt.Sprintf("n=%d/%s/loop", n, set.name), func(b *testing.B) {
				b.ReportAllocs()
				off := 0
				for b.Loop() {
					for i, v := range probes[off : off+batch] {
						ids[i], found[i] = d.Lookup(v)
					}
					off = (off + batch) & (len(probes) - 1)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batch, "ns/probe")
			})
			b.Run(fmt.Sprintf("n=%d/%s/batch", n, set.name), func(b *testing.B) {
				b.ReportAllocs()
				off := 0
				for b.Loop() {
					d.LookupBatch(probes[off:off+batch], ids, found)
					off = (off + batch) & (len(probes) - 1)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batch, "ns/probe")
			})
		}
	}
}
