// Package hugepage asks the kernel to back big, randomly accessed tables
// (per-customer aggregates, id pages) with transparent huge pages: a
// random update of a 240 MB table with 4 KiB pages misses the TLB almost
// every time, and the page walk costs about as much as the cache miss
// itself. It is a hint only (madvise MADV_HUGEPAGE on Linux, nothing
// elsewhere): the memory stays ordinary Go memory, zeroed and collected
// as usual, and nothing changes if the kernel declines.
package hugepage
