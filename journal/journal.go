package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Seq is the position of a record in the log: the first record is 1, and
// every appended record gets the next number. Zero means "before the log".
type Seq uint64

// Journal is an append-only log of opaque records plus snapshots of the state
// materialised from it. Implementations must be safe for concurrent use.
type Journal interface {
	// Append writes recs as consecutive records and returns the sequence
	// number of the first. It returns only once every record is durable
	// (on disk and fsynced for the file backend). Concurrent callers share
	// fsyncs (group commit). Either all of recs are durable or the call fails.
	Append(ctx context.Context, recs ...[]byte) (first Seq, err error)

	// Replay calls fn with every record whose sequence number is > after,
	// in order. The rec slice is only valid during the call.
	Replay(after Seq, fn func(seq Seq, rec []byte) error) error

	// LastSeq is the sequence number of the last durable record (0 if none).
	LastSeq() Seq

	// FirstSeq is the sequence number of the oldest record still in the log
	// (LastSeq()+1 when the log is empty).
	FirstSeq() Seq

	// WriteSnapshot stores a snapshot of the state covering every record
	// <= seq. write is given a writer for the snapshot's bytes. The snapshot
	// is published atomically (temp file, fsync, rename, fsync dir); older
	// snapshots and log segments no longer needed are then removed, keeping
	// the previous snapshot (and the log since it) as a fallback.
	WriteSnapshot(seq Seq, write func(w io.Writer) error) error

	// Snapshots lists the snapshots present, newest first.
	Snapshots() ([]Seq, error)

	// OpenSnapshot opens the snapshot covering seq. The returned reader
	// verifies the snapshot's checksum: a Read that reaches the end of a
	// damaged snapshot returns a *CorruptionError instead of io.EOF.
	OpenSnapshot(seq Seq) (io.ReadCloser, error)

	// Close flushes and releases the journal (and its lock).
	Close() error
}

// ErrClosed is returned by operations on a closed journal.
var ErrClosed = errors.New("journal: closed")

// CorruptionError says where a journal is damaged. A torn tail of the last
// segment is not corruption (it is cut on open); anything else is.
type CorruptionError struct {
	Dir    string // journal directory
	File   string // segment or snapshot file name, relative to Dir
	Offset int64  // byte offset of the damaged record or region
	Err    error  // what was wrong
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("journal corrupted: %s/%s at offset %d: %v", e.Dir, e.File, e.Offset, e.Err)
}

func (e *CorruptionError) Unwrap() error { return e.Err }

// Shared is a journal that other processes append to as well (a fleet of
// hush instances on one Redis stream: journal/redisstream). The log has one
// global order; Append returns where the caller's records landed in it, and
// records before that which the caller has not seen were written by others.
// An engine over a Shared journal applies every record, its own and the
// others', in log order, so all instances converge to the same state.
//
// LastSeq and FirstSeq report what the last successful round trip saw;
// Replay reads up to the end of the log at the time of the call.
type Shared interface {
	Journal

	// Await blocks until the log holds a record after `after`, ctx ends or
	// wait has passed, and returns the last sequence number it saw (after
	// itself when nothing new came). A nil error means the backend answered:
	// the caller's view was current at the time of the call, which is what
	// bounds staleness when the backend becomes unreachable.
	Await(ctx context.Context, after Seq, wait time.Duration) (last Seq, err error)
}
