package rfm

// prefetch asks the CPU for the cache lines at each address and 23
// bytes on (an Aggregate is 24 bytes and may straddle two lines) without
// waiting for them: a prefetch retires at once, so the misses of a whole
// window are in flight together. A plain load used as a prefetch holds
// its place in the reorder buffer until its line arrives, which lets
// only a few misses overlap (a random update of a 250 MB table: ~80 ns
// with loads ahead, ~20 ns with prefetches, BenchmarkPrefetch). The
// addresses are never dereferenced; a stale one costs nothing.
//
//go:noescape
func prefetch(addrs []uintptr)
