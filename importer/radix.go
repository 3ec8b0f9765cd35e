package importer

import (
	"math/bits"
	"runtime"
	"sync"
)

// radixSort sorts keys in place using tmp as scratch (len(tmp) >=
// len(keys)). Sorting first turns bitmap building from the random-insert
// trap (minutes) into seconds.
//
// Large inputs are split by their most significant differing byte (one
// counting pass), and the buckets are sorted in parallel with an LSD radix
// sort over the lower bytes. Bytes that are the same in every key are
// skipped, so phone numbers (< 2^50) cost 5-6 passes, not 8.
func radixSort(keys, tmp []uint64) { radixSortWorkers(keys, tmp, runtime.GOMAXPROCS(0), hooks{}) }

// radixSortWorkers is radixSort on at most workers goroutines: a
// server-side import keeps to its share of the cores (Options.Workers).
// Every goroutine it starts runs h.begin first, and every loop calls
// h.step between slices of yieldEvery keys.
func radixSortWorkers(keys, tmp []uint64, workers int, h hooks) {
	if len(keys) < 256 {
		insertionSort(keys)
		return
	}
	var or, and uint64 = 0, ^uint64(0)
	for off := 0; off < len(keys); off += yieldEvery {
		for _, k := range keys[off:min(off+yieldEvery, len(keys))] {
			or |= k
			and &= k
		}
		h.step()
	}
	differ := or ^ and
	if differ == 0 {
		return
	}
	if workers <= 1 || len(keys) < 1<<20 || bits.Len64(differ) <= 8 {
		lsd(keys, tmp[:len(keys)], differ, 64, h)
		return
	}
	// The 8 bits just below the highest differing one spread the keys
	// over 256 buckets, whatever the keys' range.
	top := uint(bits.Len64(differ) - 8)
	// MSD pass into tmp by the top differing byte.
	var count [257]int
	for off := 0; off < len(keys); off += yieldEvery {
		for _, k := range keys[off:min(off+yieldEvery, len(keys))] {
			count[(k>>top)&0xff+1]++
		}
		h.step()
	}
	for i := 1; i < 257; i++ {
		count[i] += count[i-1]
	}
	bounds := count
	for off := 0; off < len(keys); off += yieldEvery {
		for _, k := range keys[off:min(off+yieldEvery, len(keys))] {
			b := (k >> top) & 0xff
			tmp[count[b]] = k
			count[b]++
		}
		h.step()
	}
	// Each bucket sorts on the lower bytes; its range of keys is scratch.
	lower := differ & (1<<top - 1)
	buckets := make(chan int, 256)
	for b := 0; b < 256; b++ {
		if bounds[b+1]-bounds[b] > 0 {
			buckets <- b
		}
	}
	close(buckets)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.begin()
			for b := range buckets {
				lo, hi := bounds[b], bounds[b+1]
				lsd(tmp[lo:hi], keys[lo:hi], lower, top, h)
			}
		}()
	}
	wg.Wait()
	copyYielding(keys, tmp[:len(keys)], h)
}

// lsd sorts keys on the bytes that start below limit and differ, using tmp
// as scratch; the result ends in keys. Bits at and above limit must be equal
// in all keys (they are within an MSD bucket), so whole bytes may be used.
func lsd(keys, tmp []uint64, differ uint64, limit uint, h hooks) {
	if len(keys) < 256 {
		insertionSort(keys)
		return
	}
	src, dst := keys, tmp
	for shift := uint(0); shift < limit && shift < 64; shift += 8 {
		if (differ>>shift)&0xff == 0 {
			continue
		}
		var count [256]int
		for off := 0; off < len(src); off += yieldEvery {
			for _, k := range src[off:min(off+yieldEvery, len(src))] {
				count[(k>>shift)&0xff]++
			}
			h.step()
		}
		pos := 0
		for i := range count {
			c := count[i]
			count[i] = pos
			pos += c
		}
		for off := 0; off < len(src); off += yieldEvery {
			for _, k := range src[off:min(off+yieldEvery, len(src))] {
				b := (k >> shift) & 0xff
				dst[count[b]] = k
				count[b]++
			}
			h.step()
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copyYielding(keys, src, h)
	}
}

func insertionSort(a []uint64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// dedupSorted removes adjacent duplicates, calling h.step between slices
// of yieldEvery keys.
func dedupSorted(a []uint64, h hooks) []uint64 {
	if len(a) == 0 {
		return a
	}
	w := 1
	for off := 1; off < len(a); off += yieldEvery {
		for i := off; i < min(off+yieldEvery, len(a)); i++ {
			if a[i] != a[w-1] {
				a[w] = a[i]
				w++
			}
		}
		h.step()
	}
	return a[:w]
}
