//go:build !amd64

package contactkey

// prefetch is a no-op where hush has no prefetch instruction wired up:
// the probes then wait for their misses as they come (correct, slower).
func prefetch(addrs []uintptr) {}
