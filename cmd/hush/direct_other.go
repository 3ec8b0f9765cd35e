//go:build !linux

package main

import (
	"errors"
	"os"
)

var errInvalid = errors.New("invalid argument")

var errNoDirect = errors.New("no O_DIRECT on this system")

// setDirect: no direct I/O here; outputs go through the page cache.
func setDirect(f *os.File, on bool) error {
	if on {
		return errNoDirect
	}
	return nil
}
