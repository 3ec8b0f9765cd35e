package purchases

import (
	"os"
	"syscall"
)

// mapFile maps a regular, non-empty file the block reader will read
// whole (see mappable); ok is false when it cannot, and the caller
// reads the stream instead.
func mapFile(f *os.File, src *Source) (data []byte, unmap func(), ok bool) {
	if !mappable(src) {
		return nil, nil, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() != int64(int(fi.Size())) {
		return nil, nil, false
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, false
	}
	return data, func() { _ = syscall.Munmap(data) }, true
}
