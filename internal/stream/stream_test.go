package stream

import (
	"sync"
	"testing"
)

// Line writes exactly its 64 bytes, at any 8-byte alignment, and what it
// wrote is seen by another goroutine after Fence and a synchronisation.
func TestLineCopiesSixtyFourBytes(t *testing.T) {
	for _, at := range []int{0, 1, 7, 8, 13} {
		dst := make([]uint64, 32)
		var src [8]uint64
		for i := range src {
			src[i] = uint64(i+1) * 0x0101010101010101
		}
		Line((*[8]uint64)(dst[at:at+8]), &src)
		Fence()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, v := range dst {
				want := uint64(0)
				if i >= at && i < at+8 {
					want = src[i-at]
				}
				if v != want {
					t.Errorf("at %d: dst[%d] = %#x, want %#x", at, i, v, want)
				}
			}
		}()
		wg.Wait()
	}
}
