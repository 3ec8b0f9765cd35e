package suppression

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

func BenchmarkZZProbe(b *testing.B) {
	var parts []set
	for i := range 6 {
		p := newSet(true)
		clusteredPhones(uint64(i), 2_000_000, 400, true, func(c []uint64) { p.b64.AddMany(c) })
		p.optimize()
		parts = append(parts, p)
	}
	union := setFastOr(true, parts[1:])
	union.optimize()
	fr := func(s set) *frozen {
		var buf bytes.Buffer
		s.writeTo(&buf)
		f, err := freezeBytes(buf.Bytes(), true)
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	all := samplePhones(77, 1<<20, 400)
	for _, n := range []int{16 << 10, 64 << 10, 256 << 10, 1 << 20} {
		keys := slices.Clone(all[:n])
		radixSort(keys, nil, nil, nil)
		keys = slices.Compact(keys)
		for name, s := range map[string]set{"list": parts[0], "union": union} {
			f := fr(s)
			want := 0
			for _, v := range keys {
				if s.b64.Contains(v) {
					want++
				}
			}
			b.Run(fmt.Sprintf("n=%d/%s/frozen", n, name), func(b *testing.B) {
				h := 0
				c0 := cpuTime()
				defer func() { b.ReportMetric(float64(cpuTime()-c0)/float64(b.N*n), "cpu-ns/key") }()
				for range b.N {
					h = 0
					f.probeSorted(keys, func(int) { h++ })
				}
				if h != want {
					b.Fatalf("%d hits, want %d", h, want)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
			})
			b.Run(fmt.Sprintf("n=%d/%s/frozen2", n, name), func(b *testing.B) {
				h := 0
				var cs []cand
				c0 := cpuTime()
				defer func() { b.ReportMetric(float64(cpuTime()-c0)/float64(b.N*n), "cpu-ns/key") }()
				for range b.N {
					h = 0
					cs = f.probeSorted2(keys, cs, func(int) { h++ })
				}
				if h != want {
					b.Fatalf("%d hits, want %d", h, want)
				}
			})
			if n == 16<<10 {
				rk := all[:n]
				b.Run(fmt.Sprintf("n=%d/%s/frozen-contains-random", n, name), func(b *testing.B) {
					h := 0
					for range b.N {
						for _, v := range rk {
							if f.contains(v) {
								h++
							}
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
				})
				b.Run(fmt.Sprintf("n=%d/%s/roaring-contains-random", n, name), func(b *testing.B) {
					h := 0
					for range b.N {
						for _, v := range rk {
							if s.b64.Contains(v) {
								h++
							}
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
				})
			}
		}
	}
}
