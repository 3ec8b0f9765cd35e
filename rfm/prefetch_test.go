package rfm

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"unsafe"

	"github.com/hushcrm/hush/internal/hugepage"
	"github.com/hushcrm/hush/internal/prefetch"
)

// BenchmarkPrefetch: random aggregate updates of a 250 MB table, the
// next window's lines loaded (the old way), prefetched, or not at all.
func BenchmarkPrefetch(b *testing.B) {
	const n = 160 << aggChunkBits
	slab := hugepage.Make[Aggregate](n)
	chunks := make([][]Aggregate, 0, n>>aggChunkBits)
	for i := 0; i < n; i += aggChunk {
		chunks = append(chunks, slab[i:i+aggChunk:i+aggChunk])
	}
	at := func(k uint64) *Aggregate { return &chunks[k>>aggChunkBits][k&(aggChunk-1)] }
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, 1<<20)
	for i := range keys {
		keys[i] = uint64(r.IntN(n))
	}
	e := Event{Day: 100, Amount: 5}
	for mode, name := range []string{"load", "prefetch", "none"} {
		b.Run(name+"/"+strconv.Itoa(prefetchWindow), func(b *testing.B) {
			var sink uint32
			var addrs [prefetchWindow]uintptr
			for range b.N {
				for lo := 0; lo < len(keys); lo += prefetchWindow {
					hi := min(lo+prefetchWindow, len(keys))
					next := keys[hi:min(hi+prefetchWindow, len(keys))]
					switch mode {
					case 0:
						for _, k := range next {
							sink += at(k).Orders
						}
					case 1:
						for i, k := range next {
							addrs[i] = uintptr(unsafe.Pointer(at(k)))
						}
						prefetch.Spans24(addrs[:len(next)])
					}
					for _, k := range keys[lo:hi] {
						at(k).add(&e, 0)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(keys)), "ns/update")
			_ = sink
		})
	}
}
