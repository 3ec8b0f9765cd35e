package httpapi

import (
	"runtime"
	"sync"
)

// importCores gives the Go scheduler a second P while server-side imports
// run, when the server has only one (GOMAXPROCS 1: one core, or pinned to
// one with taskset). With a single P a CPU-bound import goroutine keeps it
// for its whole 10 ms time slice, and connections that became readable
// wait for that P and for sysmon's network poll: during a 50M-number
// import, checks ran at 1,300/s with a client p99 of 170 ms. With a second
// P an idle one always polls the network, the import runs on
// GOMAXPROCS-1 = 1 of them, and the kernel shares the core between the two
// threads, preempting the import thread when a check's thread wakes
// (bench/RESULTS.md, live service: 6,900 checks/s, p99 38 ms during the
// same import). Outside imports the server keeps its one P: a second P on
// one core costs CPU per check (its idle spinning), so it is only worth
// paying for while an import competes with checks.
//
// The zero value is ready. Imports may overlap: the first raises
// GOMAXPROCS, the last one out restores it.
type importCores struct {
	mu      sync.Mutex
	running int
	restore int // GOMAXPROCS to go back to, 0 when it was not raised
}

// acquire is called as an import starts; it returns the goroutines the
// import may use for parsing and sorting (one P stays for checks).
func (c *importCores) acquire() (workers int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == 0 {
		if p := runtime.GOMAXPROCS(0); p < 2 {
			c.restore = runtime.GOMAXPROCS(2)
		}
	}
	c.running++
	return max(1, runtime.GOMAXPROCS(0)-1)
}

// release is called as an import ends, however it ends.
func (c *importCores) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running--
	if c.running == 0 && c.restore > 0 {
		runtime.GOMAXPROCS(c.restore)
		c.restore = 0
	}
}
