package wal

import (
	"os"
	"syscall"
)

// mapFile maps f's size bytes read-only. MAP_POPULATE fills the page
// tables in one go (the snapshot is read whole at once anyway): a fault
// per 4 KiB page costs ~8 µs on the machines hush is measured on.
func mapFile(f *os.File, size int64) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
}

const canMap = true

func unmapFile(b []byte) { syscall.Munmap(b) }
