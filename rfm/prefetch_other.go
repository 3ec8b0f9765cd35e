//go:build !amd64

package rfm

// prefetch is a no-op where hush has no prefetch instruction wired up:
// the updates then wait for their misses one by one (correct, slower).
func prefetch(addrs []uintptr) {}
