package main

import (
	"os"
	"syscall"
)

var errInvalid = syscall.EINVAL

// setDirect turns O_DIRECT on or off for f (fcntl F_SETFL). Turning it
// on fails on file systems without direct I/O.
func setDirect(f *os.File, on bool) error {
	fd := f.Fd()
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	if errno != 0 {
		return errno
	}
	if on {
		flags |= syscall.O_DIRECT
	} else {
		flags &^= syscall.O_DIRECT
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, flags); errno != 0 {
		return errno
	}
	return nil
}
