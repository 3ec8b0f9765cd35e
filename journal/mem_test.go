package journal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/hushcrm/hush/journal"
)

// memJournal is a minimal in-memory backend, here only to show the
// conformance suite asks nothing a non-file backend cannot give. Stores
// survive Close in stores, keyed by dir, so reopening works.
type memStore struct {
	mu      sync.Mutex
	first   journal.Seq // seq of recs[0]
	recs    [][]byte
	snaps   map[journal.Seq][]byte
	holders int
}

type memJournal struct {
	s      *memStore
	mu     sync.Mutex
	closed bool
}

func (j *memJournal) isClosed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed
}

func (j *memJournal) Append(ctx context.Context, recs ...[]byte) (journal.Seq, error) {
	if j.isClosed() {
		return 0, journal.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s := j.s
	s.mu.Lock()
	defer s.mu.Unlock()
	first := s.first + journal.Seq(len(s.recs))
	for _, r := range recs {
		s.recs = append(s.recs, bytes.Clone(r))
	}
	return first, nil
}

func (j *memJournal) Replay(after journal.Seq, fn func(journal.Seq, []byte) error) error {
	if j.isClosed() {
		return journal.ErrClosed
	}
	s := j.s
	s.mu.Lock()
	first, recs := s.first, slices.Clone(s.recs)
	s.mu.Unlock()
	if after+1 < first {
		return &journal.CorruptionError{Dir: "mem", Err: fmt.Errorf("%w: log starts at %d", journal.ErrMissingRecords, first)}
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

func (j *memJournal) LastSeq() journal.Seq {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	return j.s.first + journal.Seq(len(j.s.recs)) - 1
}

func (j *memJournal) FirstSeq() journal.Seq {
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	return j.s.first
}

func (j *memJournal) WriteSnapshot(seq journal.Seq, write func(io.Writer) error) error {
	if j.isClosed() {
		return journal.ErrClosed
	}
	if seq == 0 || seq > j.LastSeq() {
		return fmt.Errorf("snapshot %d beyond the log", seq)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	s := j.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snaps[seq] = buf.Bytes()
	keys := slices.Sorted(func(yield func(journal.Seq) bool) {
		for k := range s.snaps {
			if !yield(k) {
				return
			}
		}
	})
	slices.Reverse(keys)
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

func (j *memJournal) Snapshots() ([]journal.Seq, error) {
	if j.isClosed() {
		return nil, journal.ErrClosed
	}
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	var out []journal.Seq
	for k := range j.s.snaps {
		out = append(out, k)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out, nil
}

func (j *memJournal) OpenSnapshot(seq journal.Seq) (io.ReadCloser, error) {
	if j.isClosed() {
		return nil, journal.ErrClosed
	}
	j.s.mu.Lock()
	defer j.s.mu.Unlock()
	b, ok := j.s.snaps[seq]
	if !ok {
		return nil, fmt.Errorf("no snapshot %d", seq)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (j *memJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return journal.ErrClosed
	}
	j.closed = true
	return nil
}

func TestConformanceInMemory(t *testing.T) {
	var mu sync.Mutex
	stores := map[string]*memStore{}
	journal.RunConformance(t, func(t *testing.T, dir string) journal.Journal {
		mu.Lock()
		defer mu.Unlock()
		s, ok := stores[dir]
		if !ok {
			s = &memStore{first: 1, snaps: map[journal.Seq][]byte{}}
			stores[dir] = s
		}
		return &memJournal{s: s}
	})
}

func TestCorruptionErrorUnwraps(t *testing.T) {
	err := fmt.Errorf("open: %w", &journal.CorruptionError{Dir: "/d", File: "wal/x.seg", Offset: 42, Err: journal.ErrMissingRecords})
	var ce *journal.CorruptionError
	if !errors.As(err, &ce) || ce.Offset != 42 {
		t.Fatalf("errors.As failed on %v", err)
	}
	want := "journal corrupted: /d/wal/x.seg at offset 42: journal: records missing from the log"
	if ce.Error() != want {
		t.Fatalf("Error() = %q, want %q", ce.Error(), want)
	}
	if !errors.Is(err, journal.ErrMissingRecords) {
		t.Fatal("CorruptionError does not unwrap to its cause")
	}
}
