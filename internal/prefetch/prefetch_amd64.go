package prefetch

// Lines prefetches the cache line holding each address.
//
//go:noescape
func Lines(addrs []uintptr)

// Spans24 prefetches the lines holding the 24 bytes that start at each
// address (the first byte and the last, a+23): a 24-byte record in an
// array may straddle two lines.
//
//go:noescape
func Spans24(addrs []uintptr)
