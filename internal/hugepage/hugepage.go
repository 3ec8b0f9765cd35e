package hugepage

import "unsafe"

// size is the huge page size advised for (x86-64 and arm64 Linux).
const size = 2 << 20

// MinBytes is the smallest allocation worth advising: below two huge
// pages there is rarely a whole aligned one inside.
const MinBytes = 2 * size

// Make returns make([]T, n), with the huge-page-aligned part of its
// memory advised for huge pages when it is at least MinBytes. T should
// hold no pointers (the tables it is for do not).
func Make[T any](n int) []T {
	s := make([]T, n)
	var zero T
	bytes := uintptr(n) * unsafe.Sizeof(zero)
	if n == 0 || bytes < MinBytes {
		return s
	}
	start := uintptr(unsafe.Pointer(&s[0]))
	lo := (start + size - 1) &^ (size - 1)
	hi := (start + bytes) &^ (size - 1)
	if hi > lo {
		advise(unsafe.Add(unsafe.Pointer(&s[0]), lo-start), hi-lo)
	}
	return s
}
