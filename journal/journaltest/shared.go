// Package journaltest holds an in-memory journal.Shared for tests of code
// that runs a fleet on one log (the engine over a shared journal): one
// Store is the log, every Open is one instance's connection to it. It is a
// journal implementation, not a mock: it passes journal.RunConformance,
// and it can be made unreachable, lose acknowledgements or hold the
// snapshot lease, the faults a shared backend (Redis) shows.
package journaltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/hushcrm/hush/journal"
)

// ErrUnreachable is what every call fails with while the store is down.
var ErrUnreachable = errors.New("journaltest: backend unreachable")

// Store is the shared log and its snapshots.
type Store struct {
	mu      sync.Mutex
	first   journal.Seq // seq of recs[0]
	recs    [][]byte
	snaps   map[journal.Seq][]byte
	changed chan struct{} // closed (and replaced) on every append
	down    bool
	lostAck int  // the next lostAck appends land but report an error
	leased  bool // another instance holds the snapshot lease
	appends int
}

// NewStore returns an empty shared log.
func NewStore() *Store {
	return &Store{first: 1, snaps: map[journal.Seq][]byte{}, changed: make(chan struct{})}
}

// SetDown makes every operation fail with ErrUnreachable (true) or work
// again (false). What was stored stays: it is the network that broke.
func (s *Store) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// LoseAcks makes the next n appends land in the log but fail, as when the
// connection drops after the server applied the write.
func (s *Store) LoseAcks(n int) {
	s.mu.Lock()
	s.lostAck = n
	s.mu.Unlock()
}

// HoldSnapshotLease makes WriteSnapshot fail with journal.ErrSnapshotBusy
// (another instance is writing one) until released.
func (s *Store) HoldSnapshotLease(held bool) {
	s.mu.Lock()
	s.leased = held
	s.mu.Unlock()
}

// Appends counts the successful Append calls (tests of batching).
func (s *Store) Appends() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appends
}

// LastSeq is the sequence number of the last record in the log.
func (s *Store) LastSeq() journal.Seq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first + journal.Seq(len(s.recs)) - 1
}

// Trim drops the records up to and including seq, as a backend does once
// a snapshot covers them (tests of bootstrap from a snapshot).
func (s *Store) Trim(seq journal.Seq) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < s.first {
		return
	}
	drop := min(int(seq-s.first+1), len(s.recs))
	s.recs = s.recs[drop:]
	s.first += journal.Seq(drop)
}

// Open returns a new connection (one instance's journal) to the store.
func (s *Store) Open() *Journal { return &Journal{s: s} }

// Journal is one instance's connection to a Store. It implements
// journal.Shared.
type Journal struct {
	s      *Store
	mu     sync.Mutex
	closed bool
	down   bool // this connection alone is cut off
}

// SetDown cuts this connection off (true) or restores it (false): a
// network partition of one instance.
func (j *Journal) SetDown(down bool) {
	j.mu.Lock()
	j.down = down
	j.mu.Unlock()
}

var _ journal.Shared = (*Journal)(nil)

// lock takes the store's lock if the connection is usable.
func (j *Journal) lock() error {
	j.mu.Lock()
	closed, down := j.closed, j.down
	j.mu.Unlock()
	if closed {
		return journal.ErrClosed
	}
	j.s.mu.Lock()
	if j.s.down || down {
		j.s.mu.Unlock()
		return ErrUnreachable
	}
	return nil
}

// Append implements journal.Journal.
func (j *Journal) Append(ctx context.Context, recs ...[]byte) (journal.Seq, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := j.lock(); err != nil {
		return 0, err
	}
	s := j.s
	defer s.mu.Unlock()
	first := s.first + journal.Seq(len(s.recs))
	for _, r := range recs {
		s.recs = append(s.recs, bytes.Clone(r))
	}
	close(s.changed)
	s.changed = make(chan struct{})
	if s.lostAck > 0 {
		s.lostAck--
		return 0, fmt.Errorf("append: %w (the records were written)", ErrUnreachable)
	}
	s.appends++
	return first, nil
}

// Replay implements journal.Journal.
func (j *Journal) Replay(after journal.Seq, fn func(journal.Seq, []byte) error) error {
	if err := j.lock(); err != nil {
		return err
	}
	s := j.s
	first, recs := s.first, slices.Clone(s.recs)
	s.mu.Unlock()
	if after+1 < first {
		return &journal.CorruptionError{Dir: "journaltest", Err: fmt.Errorf("%w: log starts at %d, asked for records after %d", journal.ErrMissingRecords, first, after)}
	}
	for i, r := range recs {
		seq := first + journal.Seq(i)
		if seq <= after {
			continue
		}
		if err := fn(seq, r); err != nil {
			return err
		}
	}
	return nil
}

// Await implements journal.Shared.
func (j *Journal) Await(ctx context.Context, after journal.Seq, wait time.Duration) (journal.Seq, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		if err := j.lock(); err != nil {
			return after, err
		}
		last := j.s.first + journal.Seq(len(j.s.recs)) - 1
		ch := j.s.changed
		j.s.mu.Unlock()
		if last > after {
			return last, nil
		}
		select {
		case <-ch:
		case <-t.C:
			return last, nil
		case <-ctx.Done():
			return after, ctx.Err()
		}
	}
}

// LastSeq implements journal.Journal.
func (j *Journal) LastSeq() journal.Seq { return j.s.LastSeq() }

// FirstSeq implements journal.Journal.
func (j *Journal) FirstSeq() journal.Seq {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	return j.s.first
}

// WriteSnapshot implements journal.Journal: the two newest snapshots are
// kept and the log is trimmed up to the older of them.
func (j *Journal) WriteSnapshot(seq journal.Seq, write func(io.Writer) error) error {
	if err := j.lock(); err != nil {
		return err
	}
	last := j.s.first + journal.Seq(len(j.s.recs)) - 1
	leased := j.s.leased
	j.s.mu.Unlock()
	if leased {
		return journal.ErrSnapshotBusy
	}
	if seq == 0 || seq > last {
		return fmt.Errorf("snapshot %d beyond the log (last %d)", seq, last)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	if err := j.lock(); err != nil {
		return err
	}
	s := j.s
	defer s.mu.Unlock()
	s.snaps[seq] = buf.Bytes()
	keys := s.snapSeqs()
	for _, k := range keys[min(2, len(keys)):] {
		delete(s.snaps, k)
	}
	if len(keys) >= 2 && keys[1] >= s.first {
		drop := int(keys[1] - s.first + 1)
		s.recs = s.recs[drop:]
		s.first = keys[1] + 1
	}
	return nil
}

// snapSeqs lists the snapshots newest first (store lock held).
func (s *Store) snapSeqs() []journal.Seq {
	var out []journal.Seq
	for k := range s.snaps {
		out = append(out, k)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// Snapshots implements journal.Journal.
func (j *Journal) Snapshots() ([]journal.Seq, error) {
	if err := j.lock(); err != nil {
		return nil, err
	}
	defer j.s.mu.Unlock()
	return j.s.snapSeqs(), nil
}

// OpenSnapshot implements journal.Journal.
func (j *Journal) OpenSnapshot(seq journal.Seq) (io.ReadCloser, error) {
	if err := j.lock(); err != nil {
		return nil, err
	}
	defer j.s.mu.Unlock()
	b, ok := j.s.snaps[seq]
	if !ok {
		return nil, fmt.Errorf("journaltest: no snapshot %d", seq)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Close implements journal.Journal (the store stays).
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return journal.ErrClosed
	}
	j.closed = true
	return nil
}
