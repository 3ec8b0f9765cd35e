package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushcrm/hush/journal"
)

func openT(t *testing.T, dir string, opts Options) *WAL {
	t.Helper()
	w, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func closeT(t *testing.T, w *WAL) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// rec is the payload of record seq in the logs tests build: payloadSize
// bytes, recognisably its own.
const payloadSize = 100

func rec(seq journal.Seq) []byte {
	b := bytes.Repeat([]byte{byte(seq)}, payloadSize)
	copy(b, fmt.Sprintf("record %d;", seq))
	return b
}

// frameSize is the on-disk size of one rec.
const frameSize = frameHeaderSize + payloadSize

func appendRecs(t *testing.T, w *WAL, n int) {
	t.Helper()
	for range n {
		seq := w.LastSeq() + 1
		got, err := w.Append(context.Background(), rec(seq))
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if got != seq {
			t.Fatalf("Append returned %d, want %d", got, seq)
		}
	}
}

// checkRecs asserts the log holds exactly rec(first)..rec(last).
func checkRecs(t *testing.T, w *WAL, first, last journal.Seq) {
	t.Helper()
	if w.FirstSeq() != first || w.LastSeq() != last {
		t.Fatalf("FirstSeq %d LastSeq %d, want %d and %d", w.FirstSeq(), w.LastSeq(), first, last)
	}
	next := first
	err := w.Replay(first-1, func(seq journal.Seq, b []byte) error {
		if seq != next {
			return fmt.Errorf("seq %d, want %d", seq, next)
		}
		if !bytes.Equal(b, rec(seq)) {
			return fmt.Errorf("seq %d holds %q", seq, b[:20])
		}
		next++
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if next != last+1 {
		t.Fatalf("Replay stopped at %d, want %d", next-1, last)
	}
}

// fiveRecordSegments makes segments hold five recs each when appended one
// at a time: the sixth append finds the segment full and rotates.
var fiveRecordSegments = Options{SegmentSize: segHeaderSize + 5*frameSize, NoSync: true}

// segPath is the path of the segment starting at first.
func segPath(dir string, first journal.Seq) string {
	return filepath.Join(dir, walDirName, segName(first))
}

func segRel(first journal.Seq) string { return walDirName + "/" + segName(first) }

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{walDirName, snapDirName} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			out = append(out, sub+"/"+e.Name())
		}
	}
	slices.Sort(out)
	return out
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if off >= int64(len(b)) {
		t.Fatalf("offset %d is past the end of %s (%d bytes)", off, path, len(b))
	}
	b[off] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantCorruption(t *testing.T, err error, dir, file string, off int64, msg string) {
	t.Helper()
	var ce *journal.CorruptionError
	if !errors.As(err, &ce) {
		t.Fatalf("want a *journal.CorruptionError, got %v", err)
	}
	if ce.Dir != dir || ce.File != file || ce.Offset != off {
		t.Fatalf("corruption at %s %s offset %d, want %s %s offset %d (%v)", ce.Dir, ce.File, ce.Offset, dir, file, off, ce)
	}
	if !strings.Contains(ce.Error(), msg) {
		t.Fatalf("error %q does not say %q", ce.Error(), msg)
	}
}

// logLines collects Logger output.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) log(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// faults is shared by every segment file of one WAL; tests arm it.
type faults struct {
	mu         sync.Mutex
	writes     int
	syncs      int
	shortWrite int // the write with this number writes half and fails
	failSync   int // the sync with this number fails (after the write)
	failTrunc  bool
	syncDelay  time.Duration
	gateSync   int           // the sync with this number waits for gate
	gate       chan struct{} // closed by the test
	gated      chan struct{} // closed when the gated sync starts waiting
}

var errInjected = errors.New("injected I/O error")

func (f *faults) wrap(sf segmentFile) segmentFile { return &faultFile{sf, f} }

type faultFile struct {
	segmentFile
	f *faults
}

func (ff *faultFile) Write(p []byte) (int, error) {
	ff.f.mu.Lock()
	ff.f.writes++
	short := ff.f.writes == ff.f.shortWrite
	ff.f.mu.Unlock()
	if short {
		n, _ := ff.segmentFile.Write(p[:len(p)/2+5]) // not on a frame boundary
		return n, errInjected
	}
	return ff.segmentFile.Write(p)
}

func (ff *faultFile) Sync() error {
	ff.f.mu.Lock()
	ff.f.syncs++
	n := ff.f.syncs
	fail, delay, gated := n == ff.f.failSync, ff.f.syncDelay, n == ff.f.gateSync
	ff.f.mu.Unlock()
	if gated {
		close(ff.f.gated)
		<-ff.f.gate
	}
	time.Sleep(delay)
	if err := ff.segmentFile.Sync(); err != nil {
		return err
	}
	if fail {
		return errInjected
	}
	return nil
}

func (ff *faultFile) Truncate(size int64) error {
	ff.f.mu.Lock()
	fail := ff.f.failTrunc
	ff.f.mu.Unlock()
	if fail {
		return errInjected
	}
	return ff.segmentFile.Truncate(size)
}
