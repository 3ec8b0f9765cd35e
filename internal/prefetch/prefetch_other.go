//go:build !amd64

package prefetch

// Lines does nothing where hush has no prefetch instruction wired up: the
// loops then wait for their misses one by one (correct, slower).
func Lines(addrs []uintptr) {}

// Spans24 does nothing here, like Lines.
func Spans24(addrs []uintptr) {}
