package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/hushcrm/hush/journal"
)

// Report is what Verify found, file by file.
type Report struct {
	Dir       string
	FirstSeq  journal.Seq // oldest record in the log
	LastSeq   journal.Seq // newest whole record (0 if none)
	Segments  []SegmentReport
	Snapshots []SnapshotReport // newest first
}

// SegmentReport describes one segment file.
type SegmentReport struct {
	File      string      // relative to the dir, e.g. wal/00000000000000000001.seg
	FirstSeq  journal.Seq // from the header
	LastSeq   journal.Seq // last record of the last whole batch; FirstSeq-1 if none
	Bytes     int64       // file size
	TornBytes int64       // torn tail Open would cut (last segment only; may be a write in flight)
	Err       error       // *journal.CorruptionError, nil if intact
}

// Records is how many whole records the segment holds.
func (s SegmentReport) Records() uint64 {
	if s.FirstSeq == 0 {
		return 0
	}
	return uint64(s.LastSeq + 1 - s.FirstSeq)
}

// SnapshotReport describes one snapshot file.
type SnapshotReport struct {
	File  string
	Seq   journal.Seq
	Bytes int64
	Err   error // *journal.CorruptionError, nil if intact
}

// Verify checks a journal directory read-only: every segment header and
// record checksum, the seq numbering within and between segments, every
// snapshot's header, trailer and checksum, and that the log still holds
// everything after the newest intact snapshot. It returns the report and,
// if anything is damaged, the first *journal.CorruptionError found.
//
// Verify takes no lock and writes nothing, so it may run while a hush
// process owns the directory: that process only appends to the last
// segment, creates files by rename and removes whole files oldest first.
// An append in flight can look like a torn tail of the last segment; that
// is reported in TornBytes, never as corruption (Open would cut it).
func Verify(dir string) (Report, error) {
	rep := Report{Dir: dir}
	walDir := filepath.Join(dir, walDirName)
	seqs, err := listNumbered(walDir, segExt)
	if err != nil {
		return rep, fmt.Errorf("wal: verify %s: %w", dir, err)
	}
	snaps, err := listNumbered(filepath.Join(dir, snapDirName), snapExt)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rep, fmt.Errorf("wal: verify %s: %w", dir, err)
	}
	var first error
	note := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	if len(seqs) == 0 {
		note(&journal.CorruptionError{Dir: dir, File: walDirName, Err: errors.New("no log segments")})
	} else {
		ls, err := scanLog(dir, seqs, false)
		if err != nil {
			return rep, err
		}
		rep.Segments = ls.reports
		rep.FirstSeq, rep.LastSeq = ls.first, ls.last
		if ls.corrupt != nil {
			note(ls.corrupt)
		}
	}
	slices.Reverse(snaps)
	newestIntact := journal.Seq(0)
	for _, seq := range snaps {
		sr := SnapshotReport{File: snapDirName + "/" + snapName(seq), Seq: seq}
		sr.Bytes, sr.Err = checkSnapshot(dir, seq)
		if errors.Is(sr.Err, fs.ErrNotExist) {
			continue // pruned by the running process while we listed
		}
		var ce *journal.CorruptionError
		if sr.Err != nil && !errors.As(sr.Err, &ce) {
			return rep, sr.Err
		}
		note(sr.Err)
		if sr.Err == nil && newestIntact == 0 {
			newestIntact = seq
		}
		if seq > rep.LastSeq && len(rep.Segments) > 0 {
			note(&journal.CorruptionError{Dir: dir, File: sr.File, Err: fmt.Errorf(
				"snapshot covers records up to %d but the log ends at %d: acknowledged records are missing", seq, rep.LastSeq)})
		}
		rep.Snapshots = append(rep.Snapshots, sr)
	}
	if len(rep.Segments) > 0 && rep.FirstSeq > newestIntact+1 {
		note(&journal.CorruptionError{Dir: dir, File: rep.Segments[0].File, Offset: segHeaderSize, Err: fmt.Errorf(
			"%w: the log starts at %d and no intact snapshot covers records %d..%d",
			journal.ErrMissingRecords, rep.FirstSeq, newestIntact+1, rep.FirstSeq-1)})
	}
	return rep, first
}

func checkSnapshot(dir string, seq journal.Seq) (int64, error) {
	r, err := openSnapshot(dir, seq)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	return n + snapHeaderSize + snapTrailerSize, err
}

// logScan is the result of checking every segment of a log.
type logScan struct {
	reports []SegmentReport
	firsts  []journal.Seq // first seq of each segment read
	first   journal.Seq   // FirstSeq of the log
	last    journal.Seq   // LastSeq of the log
	lastEnd int64         // end of the whole batches in the last segment
	torn    *damage       // torn tail of the last segment, if any
	corrupt *journal.CorruptionError
}

// scanLog checks the segments named by seqs (ascending). A torn tail of the
// last segment is reported in torn; anything else wrong is corruption.
// With stop, it returns at the first corruption. Segments that vanish
// before they are read are skipped while none has been read yet (a running
// process pruning old segments under Verify).
func scanLog(dir string, seqs []journal.Seq, stop bool) (logScan, error) {
	var ls logScan
	prevNext := journal.Seq(0) // 0: unknown, skip the continuity check
	for i, seq := range seqs {
		name := segName(seq)
		rel := walDirName + "/" + name
		isLast := i == len(seqs)-1
		corrupt := func(off int64, err error) *journal.CorruptionError {
			ce := &journal.CorruptionError{Dir: dir, File: rel, Offset: off, Err: err}
			if ls.corrupt == nil {
				ls.corrupt = ce
			}
			return ce
		}
		f, err := os.Open(filepath.Join(dir, rel))
		if errors.Is(err, fs.ErrNotExist) && len(ls.reports) == 0 && !isLast {
			continue
		}
		if err != nil {
			return ls, fmt.Errorf("wal: %w", err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return ls, fmt.Errorf("wal: %w", err)
		}
		res, err := scanSegment(f, fi.Size(), scanOpts{limit: noLimit})
		f.Close()
		if err != nil {
			return ls, fmt.Errorf("wal: %s: %w", rel, err)
		}
		sr := SegmentReport{File: rel, FirstSeq: res.first, Bytes: res.size}
		if res.first != 0 {
			sr.LastSeq = res.next - 1
		}
		if isLast {
			ls.last, ls.lastEnd = sr.LastSeq, res.end
		}
		if len(ls.reports) == 0 {
			ls.first = res.first
		}
		ls.firsts = append(ls.firsts, seq)
		switch d := res.dmg; {
		case d != nil && d.off == 0:
			sr.Err = corrupt(0, fmt.Errorf("bad segment header: %w", d.err))
		case res.first != seq:
			sr.Err = corrupt(0, fmt.Errorf("header says the segment starts at seq %d, its name says %d", res.first, seq))
		case prevNext != 0 && res.first > prevNext:
			sr.Err = corrupt(0, fmt.Errorf("records %d..%d are missing: the previous segment ends at %d", prevNext, res.first-1, prevNext-1))
		case prevNext != 0 && res.first < prevNext:
			sr.Err = corrupt(0, fmt.Errorf("segment starts at seq %d, but the previous one already runs to %d", res.first, prevNext-1))
		case d != nil && d.torn && isLast:
			sr.TornBytes = res.size - res.end
			ls.torn = d
		case d != nil && !isLast && d.torn:
			sr.Err = corrupt(d.off, fmt.Errorf("damaged at the end of a segment that is not the last one (so no crash in progress explains it): %w", d.err))
		case d != nil:
			sr.Err = corrupt(d.off, d.err)
		}
		ls.reports = append(ls.reports, sr)
		if sr.Err != nil {
			if stop {
				return ls, nil
			}
			prevNext = 0
			continue
		}
		prevNext = res.next
	}
	return ls, nil
}
