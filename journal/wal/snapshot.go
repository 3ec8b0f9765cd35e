package wal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/hushcrm/hush/journal"
)

// WriteSnapshot implements journal.Journal: temp file, fsync, rename, fsync
// dir. Then it keeps the new snapshot and the one before it, and removes
// the segments whose records the older kept snapshot covers, so a damaged
// newest snapshot still leaves a way back (older snapshot + log).
func (w *WAL) WriteSnapshot(seq journal.Seq, write func(w io.Writer) error) error {
	w.snapMu.Lock()
	defer w.snapMu.Unlock()
	w.mu.Lock()
	closed, last := w.closed, w.lastSeq
	w.mu.Unlock()
	if closed {
		return journal.ErrClosed
	}
	if seq == 0 || seq > last {
		return fmt.Errorf("wal: snapshot at seq %d: it must be between 1 and the last durable record %d", seq, last)
	}
	name := snapName(seq)
	path := filepath.Join(w.snapDir, name)
	tmp := path + tmpExt
	if err := w.writeSnapshotFile(tmp, seq, write); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wal: write snapshot %d: %w", seq, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("wal: write snapshot %d: %w", seq, err)
	}
	if err := w.syncDir(w.snapDir); err != nil {
		return fmt.Errorf("wal: write snapshot %d: %w", seq, err)
	}
	w.prune()
	return nil
}

func (w *WAL) writeSnapshotFile(path string, seq journal.Seq, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	var hdr [snapHeaderSize]byte
	copy(hdr[:], snapMagic)
	binary.LittleEndian.PutUint16(hdr[4:], snapVersion)
	binary.LittleEndian.PutUint64(hdr[8:], uint64(seq))
	if _, err := bw.Write(hdr[:]); err != nil {
		return err
	}
	cw := &crcWriter{w: bw}
	if err := write(cw); err != nil {
		return err
	}
	var tr [snapTrailerSize]byte
	binary.LittleEndian.PutUint64(tr[0:], uint64(cw.n))
	binary.LittleEndian.PutUint32(tr[8:], cw.crc)
	copy(tr[12:], snapTrailerMagic)
	if _, err := bw.Write(tr[:]); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := w.sync(f); err != nil {
		return err
	}
	return f.Close()
}

type crcWriter struct {
	w   io.Writer
	n   int64
	crc uint32
}

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	c.n += int64(n)
	return n, err
}

// prune removes snapshots older than the two newest and the segments the
// older of those two covers. Failures only leave extra files behind, so
// they are logged, not returned.
func (w *WAL) prune() {
	snaps, err := listNumbered(w.snapDir, snapExt)
	if err != nil {
		w.logf("journal %s: listing snapshots to prune: %v", w.dir, err)
		return
	}
	slices.Reverse(snaps)
	if len(snaps) > 2 {
		for _, s := range snaps[2:] {
			if err := os.Remove(filepath.Join(w.snapDir, snapName(s))); err != nil {
				w.logf("journal %s: removing old snapshot: %v", w.dir, err)
			}
		}
		if err := w.syncDir(w.snapDir); err != nil {
			w.logf("journal %s: %v", w.dir, err)
		}
	}
	if len(snaps) < 2 {
		return // the only snapshot's fallback is the whole log
	}
	covered := snaps[1]
	// A Replay reading the segments wins: they go at the next snapshot.
	if !w.truncMu.TryLock() {
		return
	}
	defer w.truncMu.Unlock()
	w.mu.Lock()
	segs := slices.Clone(w.segs)
	w.mu.Unlock()
	// Oldest first, so a crash in the middle leaves the log contiguous.
	removed := 0
	for i := 0; i+1 < len(segs) && segs[i+1]-1 <= covered; i++ {
		if err := os.Remove(filepath.Join(w.walDir, segName(segs[i]))); err != nil {
			w.logf("journal %s: removing old segment: %v", w.dir, err)
			break
		}
		removed++
	}
	if removed == 0 {
		return
	}
	w.mu.Lock()
	w.segs = slices.Delete(w.segs, 0, removed)
	w.mu.Unlock()
	if err := w.syncDir(w.walDir); err != nil {
		w.logf("journal %s: %v", w.dir, err)
	}
}

// Snapshots implements journal.Journal.
func (w *WAL) Snapshots() ([]journal.Seq, error) {
	if w.isClosed() {
		return nil, journal.ErrClosed
	}
	snaps, err := listNumbered(w.snapDir, snapExt)
	if err != nil {
		return nil, fmt.Errorf("wal: list snapshots: %w", err)
	}
	slices.Reverse(snaps)
	return snaps, nil
}

func (w *WAL) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// OpenSnapshot implements journal.Journal. Header and trailer are checked
// here; the content checksum when the reader reaches the end — or, with
// Options.MapSnapshots, here too, before any content is handed out.
func (w *WAL) OpenSnapshot(seq journal.Seq) (io.ReadCloser, error) {
	if w.isClosed() {
		return nil, journal.ErrClosed
	}
	if w.opts.MapSnapshots && canMap {
		return openMappedSnapshot(w.dir, seq)
	}
	return openSnapshot(w.dir, seq)
}

func openSnapshot(dir string, seq journal.Seq) (*snapReader, error) {
	rel := snapDirName + "/" + snapName(seq)
	f, err := os.Open(filepath.Join(dir, rel))
	if err != nil {
		return nil, fmt.Errorf("wal: open snapshot %d: %w", seq, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wal: open snapshot %d: %w", seq, err)
	}
	r, err := newSnapReader(f, fi.Size(), seq, func(off int64, err error) error {
		return &journal.CorruptionError{Dir: dir, File: rel, Offset: off, Err: err}
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// MappedSnapshot is what OpenSnapshot returns with Options.MapSnapshots:
// the snapshot's content mapped read-only, its checksum already verified.
// Bytes hands out the content itself, so a reader can keep parts of it
// (bitmaps, dictionary values) without copying them. The mapping is never
// unmapped: whatever was built on it stays valid for the life of the
// process, also after Close and after the file is removed (its disk space
// then comes back at exit). Snapshot files are replaced by rename and
// never written in place, so the mapped bytes do not change.
type MappedSnapshot struct {
	content []byte
	off     int
}

// Bytes returns the whole content (not only what Read has not returned
// yet). It must not be written to: the mapping is read-only.
func (m *MappedSnapshot) Bytes() []byte { return m.content }

// Size is the number of content bytes.
func (m *MappedSnapshot) Size() int64 { return int64(len(m.content)) }

func (m *MappedSnapshot) Read(p []byte) (int, error) {
	if m.off >= len(m.content) {
		return 0, io.EOF
	}
	n := copy(p, m.content[m.off:])
	m.off += n
	return n, nil
}

// Close does not unmap (see MappedSnapshot).
func (m *MappedSnapshot) Close() error { return nil }

// openMappedSnapshot maps the snapshot and checks all of it — header,
// trailer and the content's checksum — before returning, so nothing of a
// damaged file is ever used. Where the file cannot be mapped it falls
// back to the streaming reader.
func openMappedSnapshot(dir string, seq journal.Seq) (io.ReadCloser, error) {
	rel := snapDirName + "/" + snapName(seq)
	f, err := os.Open(filepath.Join(dir, rel))
	if err != nil {
		return nil, fmt.Errorf("wal: open snapshot %d: %w", seq, err)
	}
	defer f.Close() // the mapping outlives the descriptor
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("wal: open snapshot %d: %w", seq, err)
	}
	corrupt := func(off int64, err error) error {
		return &journal.CorruptionError{Dir: dir, File: rel, Offset: off, Err: err}
	}
	size := fi.Size()
	if size < snapHeaderSize+snapTrailerSize {
		return nil, corrupt(0, fmt.Errorf("file is %d bytes, too short for a snapshot", size))
	}
	data, err := mapFile(f, size)
	if err != nil {
		return openSnapshot(dir, seq)
	}
	n, want, err := checkSnapFrame(bytes.NewReader(data), size, seq, corrupt)
	if err == nil {
		content := data[snapHeaderSize : snapHeaderSize+n : snapHeaderSize+n]
		if crc32.Checksum(content, castagnoli) != want {
			err = corrupt(snapHeaderSize, errors.New("snapshot content checksum mismatch"))
		} else {
			return &MappedSnapshot{content: content}, nil
		}
	}
	// Nothing refers to a mapping that failed its checks.
	unmapFile(data)
	return nil, err
}

// snapReader streams a snapshot's content and checks its CRC at the end.
type snapReader struct {
	closer  io.Closer
	r       *bufio.Reader
	crc     uint32
	want    uint32
	corrupt func(off int64, err error) error
	done    error // sticky result once the content is exhausted
	size    int64 // content bytes
}

// Size is the number of content bytes the snapshot holds (what Read
// returns in all): a reader of the content may trust a length up to it
// with an allocation.
func (s *snapReader) Size() int64 { return s.size }

// newSnapReader checks the header and trailer of the snapshot in ra.
// corrupt wraps what is wrong, with its offset.
func newSnapReader(ra io.ReaderAt, size int64, seq journal.Seq, corrupt func(off int64, err error) error) (*snapReader, error) {
	n, want, err := checkSnapFrame(ra, size, seq, corrupt)
	if err != nil {
		return nil, err
	}
	return &snapReader{
		r:       bufio.NewReaderSize(io.NewSectionReader(ra, snapHeaderSize, n), int(min(max(n, 16), 1<<20))),
		want:    want,
		corrupt: corrupt,
		size:    n,
	}, nil
}

// checkSnapFrame checks the header and trailer of the snapshot in ra and
// returns the content's length and stored checksum.
func checkSnapFrame(ra io.ReaderAt, size int64, seq journal.Seq, corrupt func(off int64, err error) error) (int64, uint32, error) {
	if size < snapHeaderSize+snapTrailerSize {
		return 0, 0, corrupt(0, fmt.Errorf("file is %d bytes, too short for a snapshot", size))
	}
	var hdr [snapHeaderSize]byte
	if _, err := ra.ReadAt(hdr[:], 0); err != nil {
		return 0, 0, fmt.Errorf("wal: open snapshot %d: %w", seq, err)
	}
	if string(hdr[:4]) != snapMagic {
		return 0, 0, corrupt(0, fmt.Errorf("not a hush snapshot (magic %q)", hdr[:4]))
	}
	if v := binary.LittleEndian.Uint16(hdr[4:]); v != snapVersion {
		return 0, 0, corrupt(4, fmt.Errorf("snapshot format version %d is not supported (want %d)", v, snapVersion))
	}
	if got := journal.Seq(binary.LittleEndian.Uint64(hdr[8:])); got != seq {
		return 0, 0, corrupt(8, fmt.Errorf("header says seq %d, the file name says %d", got, seq))
	}
	var tr [snapTrailerSize]byte
	trOff := size - snapTrailerSize
	if _, err := ra.ReadAt(tr[:], trOff); err != nil {
		return 0, 0, fmt.Errorf("wal: open snapshot %d: %w", seq, err)
	}
	if string(tr[12:]) != snapTrailerMagic {
		return 0, 0, corrupt(trOff, errors.New("snapshot trailer missing: the file is truncated or damaged"))
	}
	n := binary.LittleEndian.Uint64(tr[0:])
	if n != uint64(trOff-snapHeaderSize) {
		return 0, 0, corrupt(trOff, fmt.Errorf("trailer says %d bytes of content, the file holds %d", n, trOff-snapHeaderSize))
	}
	return int64(n), binary.LittleEndian.Uint32(tr[8:]), nil
}

func (s *snapReader) Read(p []byte) (int, error) {
	if s.done != nil {
		return 0, s.done
	}
	n, err := s.r.Read(p)
	s.crc = crc32.Update(s.crc, castagnoli, p[:n])
	if errors.Is(err, io.EOF) {
		s.done = io.EOF
		if s.crc != s.want {
			s.done = s.corrupt(snapHeaderSize, errors.New("snapshot content checksum mismatch"))
		}
		if n > 0 {
			return n, nil
		}
		return 0, s.done
	}
	return n, err
}

func (s *snapReader) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}
