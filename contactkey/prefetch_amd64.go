package contactkey

// prefetch issues PREFETCHT0 for every address in addrs: the CPU starts
// loading those cache lines and goes on at once. Batch probes name the
// lines of their next block here and work on the current block while
// the misses are in flight; a plain load used for the same purpose keeps
// its place in the reorder buffer until its line arrives, so only a few
// such misses overlap (rfm's update prefetch found the same). It is a
// hint only: the addresses are never dereferenced, so a stale, nil or
// odd one costs nothing and changes nothing.
//
//go:noescape
func prefetch(addrs []uintptr)
