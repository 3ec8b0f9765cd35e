package wal

import (
	"os"

	"golang.org/x/sys/unix"
)

// Sync uses fdatasync: appends change the size, which fdatasync writes
// too, and skipping the mtime update spares the file system a metadata
// write per commit.
func (f osFile) Sync() error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
