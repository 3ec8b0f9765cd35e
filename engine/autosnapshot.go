package engine

import "io"

// A committed import is the costliest thing to replay: starting up replays
// its chunks, then sorts, merges and (for hashed kinds) assigns dictionary
// ids again — about 3 s for a 1M-entry list on the test machine — where
// loading the same state from a snapshot costs a small fraction of that
// per byte. So the writer snapshots right after an import commit once the
// log since the last snapshot is worth it, rather than waiting for
// Options.SnapshotBytes of log: the next process (a scrub, a check) then
// starts from the snapshot.
//
// "Worth it": at least importSnapshotMinBytes of log, and at least
// 1/importSnapshotRatio of the last snapshot's size, so that a stream of
// small imports into a big state does not rewrite the whole state after
// each one (writing a snapshot costs in proportion to the state; replay
// costs far more per byte of log than writing costs per byte of state).
const (
	importSnapshotMinBytes = 1 << 20
	importSnapshotRatio    = 32
)

// autoSnapshot is the writer's bookkeeping for snapshotDue.
type autoSnapshot struct {
	importCommitted bool  // an import committed since the last snapshot
	lastBytes       int64 // size of the last snapshot this process wrote (0: unknown)
}

// snapshotDue says whether the writer should snapshot now (between record
// batches, never while an import is open: its staging is not state).
func (e *Engine) snapshotDue() bool {
	if len(e.imports) > 0 {
		return false
	}
	if e.bytesSinceSnap >= e.snapshotThreshold() {
		return true
	}
	a := &e.autoSnap
	return a.importCommitted &&
		e.bytesSinceSnap >= importSnapshotMinBytes &&
		e.bytesSinceSnap >= a.lastBytes/importSnapshotRatio
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
