package importer

import "sort"

// sortIdx orders idx by keys[idx[i]], stable so duplicates keep file order.
func sortIdx(idx []int, keys []uint64) {
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
}
