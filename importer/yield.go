package importer

import "runtime"

// copyChunk is how many keys copyYielding moves between yields (runtime.Gosched and Options.Yield): 512 KiB,
// well under a millisecond even while the pages are first touched.
const copyChunk = 1 << 16

// copyYielding is copy(dst, src) for slices of hundreds of megabytes on a
// server that also answers checks. One copy of a 50M-key slice is a single
// memmove, which the Go scheduler cannot preempt (assembly has no async
// safe points): on a busy core, with the page faults of fresh memory, it
// held the only P for seconds while checks waited (bench/RESULTS.md, live
// service). Copying in chunks with a yield between them bounds that to a
// chunk. It returns the number of elements copied, as copy does.
func copyYielding(dst, src []uint64, h hooks) int {
	n := min(len(dst), len(src))
	for off := 0; off < n; off += copyChunk {
		end := min(off+copyChunk, n)
		copy(dst[off:end], src[off:end])
		if end < n {
			runtime.Gosched()
			h.step()
		}
	}
	return n
}

// yieldEvery is how many keys an import's loops (parsing, sorting,
// deduplicating) handle between calls of Options.Yield: 16,384 lines
// parse in about 0.1-0.3 ms, the passes of a sort over as many keys take
// less.
const yieldEvery = 1 << 14

// hooks are an import's Options.WorkerStart and Options.Yield, carried
// into its loops; either may be nil.
type hooks struct{ start, yield func() }

// begin runs the start hook, first thing in every goroutine an import starts.
func (h hooks) begin() {
	if h.start != nil {
		h.start()
	}
}

// step runs the yield hook, between slices of an import's loops.
func (h hooks) step() {
	if h.yield != nil {
		h.yield()
	}
}
