package suppression

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// bigPhones is a 48M-number phone set of the scrub benchmark's shape
// (national registry plus company lists: about 316 numbers in every
// container of the NANP range, array containers of ~630 bytes, 100 MB),
// built once per test binary.
var bigPhones = sync.OnceValue(func() *frozen {
	rng := rand.New(rand.NewPCG(7, 7))
	const first, conts, per = 12_000_000_000 >> 16, 152_000, 316
	vals := make([]uint64, 0, conts*per)
	lows := make([]uint16, per)
	for c := uint64(first); c < first+conts; c++ {
		for i := range lows {
			lows[i] = uint16(rng.Uint32())
		}
		slices.Sort(lows)
		for i, l := range lows {
			if i == 0 || l != lows[i-1] {
				vals = append(vals, c<<16|uint64(l))
			}
		}
	}
	s := newSet(true)
	s.addSorted(vals)
	s.optimize()
	f := freeze(s)
	f.withRanks()
	return f
})

// BenchmarkWalkBigPhones is the scrub's union probe: batches of 64k
// phones in container order, a third of them in the 48M set, against
// it with ranks (probeRank, as the union is walked) and without. It
// reports ns per key.
func BenchmarkWalkBigPhones(b *testing.B) {
	f := bigPhones()
	rng := rand.New(rand.NewPCG(8, 8))
	const batch = 1 << 16
	var all []uint64
	for range 1 << 20 {
		if rng.IntN(3) == 0 {
			all = append(all, f.sampleValue(rng))
		} else {
			all = append(all, 12_000_000_000+rng.Uint64N(152_000<<16))
		}
	}
	var batches [][]uint64
	for i := 0; i+batch <= len(all); i += batch {
		u := slices.Clone(all[i : i+batch])
		slices.Sort(u)
		batches = append(batches, u)
	}
	for _, rank := range []bool{true, false} {
		name := "probe"
		if rank {
			name = "probeRank"
		}
		b.Run(name, func(b *testing.B) {
			hits := 0
			i := 0
			for b.Loop() {
				u := batches[i%len(batches)]
				i++
				f.walk(u, rank, func(int, uint64) { hits++ })
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batch, "ns/key")
		})
	}
}

// sampleValue returns a random value of f (a phone set of array
// containers).
func (f *frozen) sampleValue(rng *rand.Rand) uint64 {
	bk := &f.buckets[rng.IntN(len(f.buckets))]
	ci := rng.IntN(bk.n)
	c := bk.container(f.data, ci)
	var lows []uint16
	lows = c.appendValues(lows)
	return uint64(bk.hi)<<32 | uint64(bk.key(ci))<<16 | uint64(lows[rng.IntN(len(lows))])
}
