package hugepage

import (
	"syscall"
	"unsafe"
)

const madvHugepage = 14 // MADV_HUGEPAGE

func advise(p unsafe.Pointer, n uintptr) {
	// An error (an old kernel, THP disabled) only means no huge pages.
	_ = syscall.Madvise(unsafe.Slice((*byte)(p), n), madvHugepage)
}
