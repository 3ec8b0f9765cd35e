package importer

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSort(t *testing.T) {
	for _, n := range []int{0, 1, 2, 255, 256, 1000, 100_000, 1<<20 + 3} {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		for _, gen := range []func() uint64{
			func() uint64 { return r.Uint64() },
			func() uint64 { return 12_000_000_000 + r.Uint64N(9_000_000_000) },
			func() uint64 { return 42 },
		} {
			a := make([]uint64, n)
			for i := range a {
				a[i] = gen()
			}
			want := slices.Clone(a)
			slices.Sort(want)
			radixSort(a, make([]uint64, n))
			if !slices.Equal(a, want) {
				t.Fatalf("n=%d: not sorted", n)
			}
			if got, w := dedupSorted(a, hooks{}), slices.Compact(want); !slices.Equal(got, w) {
				t.Fatalf("n=%d: dedup differs", n)
			}
		}
	}
}

func BenchmarkRadixSort10M(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]uint64, 10_000_000)
	for i := range src {
		src[i] = 12_000_000_000 + r.Uint64N(9_000_000_000)
	}
	a := make([]uint64, len(src))
	tmp := make([]uint64, len(src))
	b.ReportAllocs()
	for b.Loop() {
		copy(a, src)
		radixSort(a, tmp)
	}
	b.ReportMetric(float64(len(src))*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}
