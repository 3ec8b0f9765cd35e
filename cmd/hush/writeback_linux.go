package main

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing bytes [off, off+n) of f
// to disk, without waiting for it (sync_file_range with
// SYNC_FILE_RANGE_WRITE). It is a hint: errors are ignored, the final
// fsync is what makes the file durable.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2
	syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), uintptr(n), syncFileRangeWrite, 0, 0)
}
