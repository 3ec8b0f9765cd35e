// Package prefetch asks the CPU for cache lines without waiting for them.
//
// hush's batch loops (aggregate updates in rfm, list walks in suppression,
// dictionary look-ups in contactkey) touch memory at random. Naming the
// lines of the next block here and working on the current block meanwhile
// keeps a whole block's misses in flight together. A plain load used for
// the same purpose holds its place in the reorder buffer until its line
// arrives, so only a few such misses overlap (a random update of a 250 MB
// table: ~80 ns with loads ahead, ~20 ns with prefetches; rfm's
// BenchmarkPrefetch).
//
// Go has no prefetch intrinsic, so on amd64 this is a few lines of
// assembly (PREFETCHT0); elsewhere the functions do nothing, which is
// correct and only slower. The addresses are hints and are never
// dereferenced: a stale, nil, odd or unmapped one costs nothing and
// changes nothing, and no fault is raised.
package prefetch
