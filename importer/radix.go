package importer

// radixSort sorts keys in place (LSD, 8 bits a pass) using tmp as scratch
// (len(tmp) >= len(keys)). Passes whose byte is the same in every key are
// skipped, so phone numbers (< 2^50) cost 6-7 passes, not 8. Sorting first
// turns bitmap building from the random-insert trap (minutes) into seconds.
func radixSort(keys, tmp []uint64) {
	if len(keys) < 256 {
		insertionSort(keys)
		return
	}
	var or, and uint64 = 0, ^uint64(0)
	for _, k := range keys {
		or |= k
		and &= k
	}
	differ := or ^ and
	src, dst := keys, tmp[:len(keys)]
	for shift := uint(0); shift < 64; shift += 8 {
		if (differ>>shift)&0xff == 0 {
			continue
		}
		var count [256]int
		for _, k := range src {
			count[(k>>shift)&0xff]++
		}
		pos := 0
		for i := range count {
			c := count[i]
			count[i] = pos
			pos += c
		}
		for _, k := range src {
			b := (k >> shift) & 0xff
			dst[count[b]] = k
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}

func insertionSort(a []uint64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// dedupSorted removes adjacent duplicates.
func dedupSorted(a []uint64) []uint64 {
	if len(a) == 0 {
		return a
	}
	w := 1
	for i := 1; i < len(a); i++ {
		if a[i] != a[w-1] {
			a[w] = a[i]
			w++
		}
	}
	return a[:w]
}
