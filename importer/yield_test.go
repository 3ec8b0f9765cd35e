package importer

import (
	"slices"
	"testing"
)

func TestCopyYielding(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dst, src   int
		wantCopied int
	}{
		{"empty", 0, 0, 0},
		{"smaller than a chunk", 10, 10, 10},
		{"exactly a chunk", copyChunk, copyChunk, copyChunk},
		{"chunks and a tail", 3*copyChunk + 7, 3*copyChunk + 7, 3*copyChunk + 7},
		{"short destination", copyChunk + 1, 2 * copyChunk, copyChunk + 1},
		{"short source", 2 * copyChunk, copyChunk + 5, copyChunk + 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := make([]uint64, tc.src)
			for i := range src {
				src[i] = uint64(i)*2654435761 + 1
			}
			dst := make([]uint64, tc.dst)
			want := make([]uint64, tc.dst)
			if n := copy(want, src); n != tc.wantCopied {
				t.Fatalf("copy: %d, table says %d", n, tc.wantCopied)
			}
			if n := copyYielding(dst, src, hooks{}); n != tc.wantCopied {
				t.Fatalf("copyYielding copied %d, want %d", n, tc.wantCopied)
			}
			if !slices.Equal(dst, want) {
				t.Fatal("copyYielding result differs from copy")
			}
		})
	}
}

// The sort must give the same result on any number of workers: a server
// import sorts on fewer goroutines than the CLI.
func TestRadixSortWorkers(t *testing.T) {
	const n = 1<<20 + 12345 // above the parallel threshold
	base := make([]uint64, n)
	x := uint64(88172645463325252)
	for i := range base {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		base[i] = 2000000000 + x%8000000000 // phone-sized
	}
	want := slices.Clone(base)
	slices.Sort(want)
	for _, workers := range []int{0, 1, 2, 3} {
		a := slices.Clone(base)
		radixSortWorkers(a, make([]uint64, n), workers, hooks{})
		if !slices.Equal(a, want) {
			t.Fatalf("workers=%d: not sorted like slices.Sort", workers)
		}
	}
}
