//go:build !amd64

package stream

// Line copies the 64 bytes at src to dst (an ordinary copy here).
func Line(dst, src *[8]uint64) { *dst = *src }

// Fence does nothing where Line writes with ordinary stores.
func Fence() {}
