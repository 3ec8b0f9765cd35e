package wal

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hushcrm/hush/journal"
)

// DefaultSegmentSize is the segment size used when Options.SegmentSize is 0.
const DefaultSegmentSize = 128 << 20

// Options configure Open. The zero value is the production setting.
type Options struct {
	// SegmentSize is the size after which appends go to a new segment file
	// (default 128 MiB). Batches are never split, so a segment can exceed
	// it by one group commit.
	SegmentSize int64
	// NoSync skips every fsync. For tests only: appends are then not
	// durable when Append returns.
	NoSync bool
	// Logger gets one line per notable event: a torn tail cut on open, temp
	// files of a crashed writer removed, old files that could not be
	// removed. Nil discards them.
	Logger func(msg string)
	// OnSync, if set, is told how long each fsync of segment data took
	// (for a latency histogram). It runs on the commit path: keep it cheap.
	OnSync func(time.Duration)
	// MapSnapshots makes OpenSnapshot map the file read-only and verify
	// its checksum before returning a *MappedSnapshot, whose content a
	// reader may keep using without a copy (Linux; elsewhere the
	// streaming reader). For processes that load a snapshot once: the
	// mapping is kept for the life of the process.
	MapSnapshots bool

	// wrapFile lets tests put a fault-injecting layer over segment files.
	wrapFile func(segmentFile) segmentFile
}

var (
	// ErrRecordTooLarge is returned by Append for a record over MaxRecordSize.
	ErrRecordTooLarge = errors.New("wal: record too large")
	// ErrFailed is wrapped by every Append error after a write or fsync
	// failed. What the failed write left on disk is unknown until the WAL is
	// reopened (recovery cuts a torn tail), so nothing more is written.
	ErrFailed = errors.New("wal: a write or fsync failed; reopen the journal to recover")
)

// Stats are counters since Open.
type Stats struct {
	Appends   uint64 // successful Append calls
	Records   uint64 // records in them
	Flushes   uint64 // group commits: one write of every queued batch
	Syncs     uint64 // fsyncs of segment data (0 with NoSync)
	Bytes     uint64 // bytes written to segments
	SyncNanos uint64 // time spent in those fsyncs
}

// WAL is the file-backed journal.Journal: segment files of checksummed
// records under dir/wal and snapshots under dir/snapshots. Safe for
// concurrent use.
type WAL struct {
	dir, walDir, snapDir string
	opts                 Options
	lock                 *os.File

	mu           sync.Mutex
	cond         *sync.Cond // signalled when pending grows or closed is set
	closed       bool
	failed       error         // first write/fsync failure; sticky
	segs         []journal.Seq // first seq of each segment, oldest first; the last is active
	lastSeq      journal.Seq   // last durable record
	nextSeq      journal.Seq   // next seq to hand out
	pending      []byte        // frames queued for the next group commit
	pendingFirst journal.Seq   // seq of the first frame in pending
	cur          *commit       // the commit pending will be part of

	// Owned by the flusher goroutine (and by Close once it has stopped).
	active     segmentFile
	activeSize int64

	flusherDone chan struct{}

	snapMu  sync.Mutex   // one WriteSnapshot at a time; Close waits for it
	truncMu sync.RWMutex // held shared by Replay; segment removal skips while held

	appends, records, flushes, syncs, bytes, syncNanos atomic.Uint64
}

type commit struct {
	done chan struct{}
	err  error // set before done is closed
}

func newCommit() *commit { return &commit{done: make(chan struct{})} }

var _ journal.Journal = (*WAL)(nil)

// Open locks dir (creating it if needed), recovers the log and starts the
// group-commit writer. A second Open of the same dir while this one is open
// fails with a *LockedError. Damage other than a torn tail of the last
// segment fails with a *journal.CorruptionError.
func Open(dir string, opts Options) (*WAL, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.Logger == nil {
		opts.Logger = func(string) {}
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
		if !opts.NoSync {
			if err := syncDir(filepath.Dir(dir)); err != nil {
				return nil, fmt.Errorf("wal: %w", err)
			}
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	w := &WAL{
		dir:         dir,
		walDir:      filepath.Join(dir, walDirName),
		snapDir:     filepath.Join(dir, snapDirName),
		opts:        opts,
		lock:        lock,
		cur:         newCommit(),
		flusherDone: make(chan struct{}),
	}
	w.cond = sync.NewCond(&w.mu)
	if err := w.recover(); err != nil {
		lock.Close()
		return nil, err
	}
	go w.flusher()
	return w, nil
}

func (w *WAL) logf(format string, args ...any) {
	w.opts.Logger(fmt.Sprintf(format, args...))
}

func (w *WAL) sync(f interface{ Sync() error }) error {
	if w.opts.NoSync {
		return nil
	}
	return f.Sync()
}

func (w *WAL) syncDir(dir string) error {
	if w.opts.NoSync {
		return nil
	}
	return syncDir(dir)
}

// recover checks the log, cuts a torn tail and opens the last segment.
func (w *WAL) recover() error {
	for _, d := range []string{w.walDir, w.snapDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		removed, err := removeTemps(d)
		if err != nil {
			return fmt.Errorf("wal: remove temp files: %w", err)
		}
		for _, name := range removed {
			w.logf("journal %s: removed %s/%s left by an interrupted write", w.dir, filepath.Base(d), name)
		}
	}
	if err := w.syncDir(w.dir); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	seqs, err := listNumbered(w.walDir, segExt)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	snaps, err := listNumbered(w.snapDir, snapExt)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	if len(seqs) == 0 {
		if len(snaps) > 0 {
			return &journal.CorruptionError{Dir: w.dir, File: walDirName, Err: fmt.Errorf(
				"no log segments, but snapshots up to %d exist: the log was removed", snaps[len(snaps)-1])}
		}
		f, err := w.createSegment(1)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		seqs = []journal.Seq{1}
	}
	ls, err := scanLog(w.dir, seqs, true)
	if err != nil {
		return err
	}
	if ls.corrupt != nil {
		return ls.corrupt
	}
	lastFirst := seqs[len(seqs)-1]
	lastPath := filepath.Join(w.walDir, segName(lastFirst))
	if ls.torn != nil {
		rep := ls.reports[len(ls.reports)-1]
		if err := w.cutTail(lastPath, ls.lastEnd); err != nil {
			return err
		}
		w.logf("journal %s: cut a torn tail of %d bytes at %s offset %d (%v); the %d records before it are intact",
			w.dir, rep.TornBytes, rep.File, ls.lastEnd, ls.torn.err, ls.last)
	}
	if len(snaps) > 0 && snaps[len(snaps)-1] > ls.last {
		newest := snaps[len(snaps)-1]
		return &journal.CorruptionError{Dir: w.dir, File: snapDirName + "/" + snapName(newest), Err: fmt.Errorf(
			"snapshot covers records up to %d but the log ends at %d: acknowledged records are missing", newest, ls.last)}
	}
	f, err := os.OpenFile(lastPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	w.active = w.wrap(f)
	w.activeSize = ls.lastEnd
	w.segs = ls.firsts
	w.lastSeq = ls.last
	w.nextSeq = ls.last + 1
	return nil
}

func (w *WAL) wrap(f *os.File) segmentFile {
	var sf segmentFile = osFile{f}
	if w.opts.wrapFile != nil {
		sf = w.opts.wrapFile(sf)
	}
	return sf
}

func (w *WAL) cutTail(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("wal: cut torn tail: %w", err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = w.sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: cut torn tail of %s: %w", path, err)
	}
	return nil
}

// createSegment makes wal/<first>.seg with its header, atomically: a
// segment file either does not exist or has a whole header, so a damaged
// header is always corruption, never a crash in progress.
func (w *WAL) createSegment(first journal.Seq) (segmentFile, error) {
	name := segName(first)
	path := filepath.Join(w.walDir, name)
	tmp := path + tmpExt
	err := func() error {
		f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = f.Write(segmentHeader(first))
		if err == nil {
			err = w.sync(f)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err == nil {
			err = w.syncDir(w.walDir)
		}
		return err
	}()
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("wal: create segment %s: %w", name, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("wal: open segment %s: %w", name, err)
	}
	return w.wrap(f), nil
}

// Append implements journal.Journal. ctx is checked before the records are
// queued; once queued they are written, and Append waits for the outcome so
// that its answer is always true: nil means fsynced, an error means not
// acknowledged (after a failed write or fsync the records may or may not
// survive a restart, as with any failed write).
func (w *WAL) Append(ctx context.Context, recs ...[]byte) (journal.Seq, error) {
	if len(recs) == 0 {
		return 0, errors.New("wal: Append needs at least one record")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if len(recs) > 1<<31 {
		return 0, fmt.Errorf("wal: Append of %d records is too many for one batch", len(recs))
	}
	size := 0
	crcs := make([]uint32, len(recs))
	for i, r := range recs {
		if len(r) > MaxRecordSize {
			return 0, fmt.Errorf("%w: record %d of %d is %d bytes, the limit is %d", ErrRecordTooLarge, i+1, len(recs), len(r), MaxRecordSize)
		}
		size += frameHeaderSize + len(r)
		crcs[i] = crc32.Checksum(r, castagnoli)
	}

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, journal.ErrClosed
	}
	if w.failed != nil {
		err := w.failed
		w.mu.Unlock()
		return 0, err
	}
	first := w.nextSeq
	if len(w.pending) == 0 {
		w.pendingFirst = first
	}
	buf := slices.Grow(w.pending, size)
	for i, r := range recs {
		buf = putFrame(buf, first+journal.Seq(i), uint32(len(recs)-1-i), r, crcs[i])
	}
	w.pending = buf
	w.nextSeq += journal.Seq(len(recs))
	c := w.cur
	w.cond.Signal()
	w.mu.Unlock()

	<-c.done
	if c.err != nil {
		return 0, c.err
	}
	w.appends.Add(1)
	w.records.Add(uint64(len(recs)))
	return first, nil
}

// flusher is the group commit: it takes everything queued, writes it with
// one write and one fsync, and wakes every Append waiting on it. Appends
// that arrive meanwhile queue up for the next round.
func (w *WAL) flusher() {
	defer close(w.flusherDone)
	var spare []byte
	for {
		w.mu.Lock()
		for len(w.pending) == 0 && !w.closed {
			w.cond.Wait()
		}
		if len(w.pending) == 0 {
			w.mu.Unlock()
			return
		}
		buf, c := w.pending, w.cur
		first, last := w.pendingFirst, w.nextSeq-1
		w.pending, w.cur = spare[:0], newCommit()
		failed := w.failed
		w.mu.Unlock()

		err := failed
		if err == nil {
			err = w.write(buf, first)
		}

		w.mu.Lock()
		if err != nil && w.failed == nil {
			w.failed = err
		}
		if err == nil {
			w.lastSeq = last
		}
		w.mu.Unlock()
		c.err = err
		close(c.done)
		if cap(buf) <= 4<<20 { // do not pin the memory of a huge batch
			spare = buf
		} else {
			spare = nil
		}
	}
}

// write appends one group commit to the active segment, starting a new
// segment first if the active one is full.
func (w *WAL) write(buf []byte, first journal.Seq) error {
	if w.activeSize >= w.opts.SegmentSize && w.activeSize > segHeaderSize {
		if err := w.rotate(first); err != nil {
			return fmt.Errorf("%w: %w", ErrFailed, err)
		}
	}
	name := segName(w.segsLast())
	before := w.activeSize
	n, err := w.active.Write(buf)
	w.activeSize += int64(n)
	w.bytes.Add(uint64(n))
	w.flushes.Add(1)
	if err != nil {
		w.undo(name, before)
		return fmt.Errorf("%w: write %s: %w", ErrFailed, name, err)
	}
	if w.opts.NoSync {
		return nil
	}
	start := time.Now()
	err = w.active.Sync()
	took := time.Since(start)
	w.syncNanos.Add(uint64(took))
	if w.opts.OnSync != nil {
		w.opts.OnSync(took)
	}
	w.syncs.Add(1)
	if err != nil {
		w.undo(name, before)
		return fmt.Errorf("%w: fsync %s: %w", ErrFailed, name, err)
	}
	return nil
}

// undo tries to take a failed group commit back off the segment, so that
// records whose Append failed do not come back at the next Open. It is best
// effort: if it fails too, recovery cuts what is torn, and whole batches of
// the failed write may survive (as after any failed write).
func (w *WAL) undo(name string, size int64) {
	err := w.active.Truncate(size)
	if err == nil {
		err = w.sync(w.active)
	}
	if err != nil {
		w.logf("journal %s: could not take a failed write back off %s: %v", w.dir, name, err)
		return
	}
	w.activeSize = size
}

func (w *WAL) segsLast() journal.Seq {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.segs[len(w.segs)-1]
}

// rotate closes the full active segment (already fsynced by the commit that
// filled it) and starts wal/<first>.seg.
func (w *WAL) rotate(first journal.Seq) error {
	f, err := w.createSegment(first)
	if err != nil {
		return err
	}
	old := w.active
	w.active, w.activeSize = f, segHeaderSize
	w.mu.Lock()
	w.segs = append(w.segs, first)
	w.mu.Unlock()
	if err := old.Close(); err != nil {
		w.logf("journal %s: closing a full segment: %v", w.dir, err)
	}
	return nil
}

// Replay implements journal.Journal. It reads the segment files with
// buffered reads, checking every checksum, and stops at the last durable
// record as of the call: appends that land meanwhile are not included.
func (w *WAL) Replay(after journal.Seq, fn func(seq journal.Seq, rec []byte) error) error {
	w.truncMu.RLock()
	defer w.truncMu.RUnlock()
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return journal.ErrClosed
	}
	segs, last := slices.Clone(w.segs), w.lastSeq
	w.mu.Unlock()
	if after >= last {
		return nil
	}
	if after+1 < segs[0] {
		return &journal.CorruptionError{Dir: w.dir, File: walDirName + "/" + segName(segs[0]), Offset: segHeaderSize, Err: fmt.Errorf(
			"%w: replay after %d needs records %d..%d, but the log starts at %d (the snapshot that covered them is gone)",
			journal.ErrMissingRecords, after, after+1, segs[0]-1, segs[0])}
	}
	for i, first := range segs {
		if first > last {
			break
		}
		end := last + 1 // the seq this segment must reach
		if i+1 < len(segs) {
			end = min(segs[i+1], end)
		}
		if end <= after+1 {
			continue
		}
		if err := w.replaySegment(first, end, after, last, fn); err != nil {
			return err
		}
	}
	return nil
}

func (w *WAL) replaySegment(first, end, after, last journal.Seq, fn func(journal.Seq, []byte) error) error {
	name := segName(first)
	rel := walDirName + "/" + name
	f, err := os.Open(filepath.Join(w.walDir, name))
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	res, err := scanSegment(f, fi.Size(), scanOpts{after: after, limit: last, fn: fn})
	if err != nil {
		return err
	}
	corrupt := func(off int64, err error) error {
		return &journal.CorruptionError{Dir: w.dir, File: rel, Offset: off, Err: err}
	}
	switch {
	case res.dmg != nil:
		return corrupt(res.dmg.off, res.dmg.err)
	case res.first != first:
		return corrupt(0, fmt.Errorf("header says the segment starts at seq %d", res.first))
	case res.next != end:
		return corrupt(res.end, fmt.Errorf("segment ends after seq %d, but the log runs to %d", res.next-1, end-1))
	}
	return nil
}

// LastSeq implements journal.Journal.
func (w *WAL) LastSeq() journal.Seq {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastSeq
}

// FirstSeq implements journal.Journal.
func (w *WAL) FirstSeq() journal.Seq {
	w.mu.Lock()
	defer w.mu.Unlock()
	return min(w.segs[0], w.lastSeq+1)
}

// Stats returns counters since Open.
func (w *WAL) Stats() Stats {
	return Stats{
		Appends:   w.appends.Load(),
		Records:   w.records.Load(),
		Flushes:   w.flushes.Load(),
		Syncs:     w.syncs.Load(),
		Bytes:     w.bytes.Load(),
		SyncNanos: w.syncNanos.Load(),
	}
}

// Close waits for queued appends and a snapshot in progress, then closes
// the active segment and releases the lock. A second Close returns
// journal.ErrClosed.
func (w *WAL) Close() error {
	w.snapMu.Lock()
	defer w.snapMu.Unlock()
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return journal.ErrClosed
	}
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	<-w.flusherDone
	err := w.active.Close()
	if lerr := w.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("wal: close: %w", err)
	}
	return nil
}
