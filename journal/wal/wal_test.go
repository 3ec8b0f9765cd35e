package wal

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushcrm/hush/journal"
)

func TestLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	w := openT(t, dir, fiveRecordSegments)
	appendRecs(t, w, 12)
	writeSnapT(t, w, 7, []byte("seven"))
	want := []string{"snapshots/" + snapName(7), "wal/" + segName(1), "wal/" + segName(6), "wal/" + segName(11)}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "LOCK")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(segPath(dir, 6))
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:4]) != "HWAL" || binary.LittleEndian.Uint64(b[8:]) != 6 || len(b) != segHeaderSize+5*frameSize {
		t.Fatalf("segment 6 starts %x, %d bytes", b[:segHeaderSize], len(b))
	}
	if _, err := Verify(dir); err != nil {
		t.Fatal(err)
	}
}

func writeSnapT(t *testing.T, w *WAL, seq journal.Seq, content []byte) {
	t.Helper()
	err := w.WriteSnapshot(seq, func(wr io.Writer) error {
		_, err := wr.Write(content)
		return err
	})
	if err != nil {
		t.Fatalf("WriteSnapshot(%d): %v", seq, err)
	}
}

// The log keeps what the older of the two kept snapshots does not cover,
// counted in whole segments.
func TestSnapshotPrunesSegments(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, fiveRecordSegments)
	appendRecs(t, w, 20) // segments 1, 6, 11, 16
	writeSnapT(t, w, 12, []byte("a"))
	checkRecs(t, w, 1, 20) // one snapshot: its fallback is the whole log
	writeSnapT(t, w, 17, []byte("b"))
	checkRecs(t, w, 11, 20) // 1-5 and 6-10 are covered by 12; 11-15 is not
	writeSnapT(t, w, 20, []byte("c"))
	checkRecs(t, w, 16, 20)
	if got, _ := w.Snapshots(); !slices.Equal(got, []journal.Seq{20, 17}) {
		t.Fatalf("snapshots %v", got)
	}
	// The active segment is never removed, even when fully covered.
	writeSnapT(t, w, 20, []byte("d"))
	checkRecs(t, w, 16, 20)
	closeT(t, w)
	w = openT(t, dir, fiveRecordSegments)
	checkRecs(t, w, 16, 20)
	appendRecs(t, w, 1)
	checkRecs(t, w, 16, 21)
}

// A snapshot written while a Replay runs (here: from its callback) leaves
// the segments alone instead of waiting; the next snapshot removes them.
func TestPruneDuringReplay(t *testing.T) {
	w := openT(t, t.TempDir(), fiveRecordSegments)
	appendRecs(t, w, 20)
	writeSnapT(t, w, 12, nil)
	err := w.Replay(0, func(seq journal.Seq, _ []byte) error {
		if seq == 3 {
			writeSnapT(t, w, 17, nil)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkRecs(t, w, 1, 20)
	writeSnapT(t, w, 18, nil)
	checkRecs(t, w, 16, 20)
}

func TestSnapshotDamage(t *testing.T) {
	content := bytes.Repeat([]byte("state;"), 1000)
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		atOpen bool  // OpenSnapshot fails; otherwise reading to the end does
		off    int64 // reported offset
		msg    string
	}{
		{"content byte flipped", func(t *testing.T, p string) { flipByte(t, p, snapHeaderSize+3000) }, false, snapHeaderSize, "checksum mismatch"},
		{"first content byte flipped", func(t *testing.T, p string) { flipByte(t, p, snapHeaderSize) }, false, snapHeaderSize, "checksum mismatch"},
		{"trailer crc flipped", func(t *testing.T, p string) { flipByte(t, p, snapHeaderSize+6000+8) }, false, snapHeaderSize, "checksum mismatch"},
		{"header seq flipped", func(t *testing.T, p string) { flipByte(t, p, 8) }, true, 8, "header says seq"},
		{"magic flipped", func(t *testing.T, p string) { flipByte(t, p, 1) }, true, 0, "not a hush snapshot"},
		{"version flipped", func(t *testing.T, p string) { flipByte(t, p, 4) }, true, 4, "version"},
		{"trailer length flipped", func(t *testing.T, p string) { flipByte(t, p, snapHeaderSize+6000) }, true, snapHeaderSize + 6000, "trailer says"},
		{"truncated", func(t *testing.T, p string) { os.Truncate(p, 3000) }, true, 3000 - snapTrailerSize, "trailer missing"},
		{"truncated to nothing", func(t *testing.T, p string) { os.Truncate(p, 0) }, true, 0, "too short"},
		{"bytes appended", func(t *testing.T, p string) { appendFile(t, p, []byte("xx")) }, true, snapHeaderSize + 6000 + 2, "trailer missing"},
	}
	for _, mapped := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			if mapped {
				name = "mapped/" + name
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				w := openT(t, dir, Options{NoSync: true, MapSnapshots: mapped})
				appendRecs(t, w, 5)
				writeSnapT(t, w, 5, content)
				rel := snapDirName + "/" + snapName(5)
				tc.damage(t, filepath.Join(dir, rel))
				_, verr := Verify(dir)
				wantCorruption(t, verr, dir, rel, tc.off, tc.msg)
				rc, err := w.OpenSnapshot(5)
				// A mapped snapshot is checked whole before it is handed
				// out: nothing of a damaged one is ever read.
				if tc.atOpen || mapped && canMap {
					wantCorruption(t, err, dir, rel, tc.off, tc.msg)
					return
				}
				if err != nil {
					t.Fatalf("OpenSnapshot: %v", err)
				}
				defer rc.Close()
				b, err := io.ReadAll(rc)
				wantCorruption(t, err, dir, rel, tc.off, tc.msg)
				if len(b) != len(content) {
					t.Fatalf("read %d bytes before the error, want %d", len(b), len(content))
				}
			})
		}
	}
}

// TestMappedSnapshot: a mapped snapshot hands out exactly the content,
// through Read and Bytes, and stays readable after Close and after the
// file is replaced and removed.
func TestMappedSnapshot(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{NoSync: true, MapSnapshots: true})
	appendRecs(t, w, 5)
	content := bytes.Repeat([]byte("mapped;"), 5000)
	writeSnapT(t, w, 5, content)
	rc, err := w.OpenSnapshot(5)
	if err != nil {
		t.Fatal(err)
	}
	if !canMap {
		// Without mappings MapSnapshots falls back to the streaming
		// reader: the same content, nothing mapped.
		defer rc.Close()
		if _, mapped := rc.(*MappedSnapshot); mapped {
			t.Fatal("OpenSnapshot mapped a snapshot where mapping is not supported")
		}
		if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, content) {
			t.Fatalf("ReadAll of the fallback: %d bytes, %v", len(got), err)
		}
		return
	}
	m, ok := rc.(*MappedSnapshot)
	if !ok {
		t.Fatalf("OpenSnapshot returned %T, want *MappedSnapshot", rc)
	}
	if m.Size() != int64(len(content)) || !bytes.Equal(m.Bytes(), content) {
		t.Fatalf("Bytes: %d bytes, want the %d content bytes", len(m.Bytes()), len(content))
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
	}
	if cap(m.Bytes()) != len(content) {
		t.Fatalf("cap %d: an append could write past the content", cap(m.Bytes()))
	}
	rc.Close()
	// A new snapshot at the same position replaces the file; the old
	// mapping still reads the old bytes.
	writeSnapT(t, w, 5, []byte("other"))
	appendRecs(t, w, 3)
	writeSnapT(t, w, 7, []byte("x"))
	writeSnapT(t, w, 8, []byte("y"))
	if !bytes.Equal(m.Bytes(), content) {
		t.Fatal("the mapping changed after the file was replaced")
	}
	rc, err = w.OpenSnapshot(5)
	if err == nil {
		rc.Close()
		t.Fatal("snapshot 5 should be pruned")
	}
}

func TestSnapshotRenamed(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{NoSync: true})
	appendRecs(t, w, 5)
	writeSnapT(t, w, 3, []byte("three"))
	os.Rename(filepath.Join(dir, snapDirName, snapName(3)), filepath.Join(dir, snapDirName, snapName(4)))
	_, err := w.OpenSnapshot(4)
	wantCorruption(t, err, dir, snapDirName+"/"+snapName(4), 8, "header says seq 3, the file name says 4")
	if _, err := w.OpenSnapshot(3); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenSnapshot of a missing snapshot: %v", err)
	}
}

// Both snapshots gone and the log truncated: recovery cannot rebuild the
// state, and Replay and Verify say which records are missing and where.
func TestMissingSnapshotTruncatedLog(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, fiveRecordSegments)
	appendRecs(t, w, 20)
	writeSnapT(t, w, 12, nil)
	writeSnapT(t, w, 17, nil)
	closeT(t, w)
	os.Remove(filepath.Join(dir, snapDirName, snapName(12)))
	os.Remove(filepath.Join(dir, snapDirName, snapName(17)))
	w = openT(t, dir, fiveRecordSegments)
	if w.FirstSeq() != 11 {
		t.Fatalf("FirstSeq %d", w.FirstSeq())
	}
	err := w.Replay(0, func(journal.Seq, []byte) error { t.Fatal("replayed a record"); return nil })
	wantCorruption(t, err, dir, segRel(11), segHeaderSize, "needs records 1..10, but the log starts at 11")
	if !errors.Is(err, journal.ErrMissingRecords) {
		t.Fatalf("%v does not wrap ErrMissingRecords", err)
	}
	if err := w.Replay(10, func(journal.Seq, []byte) error { return nil }); err != nil {
		t.Fatalf("Replay(10): %v", err)
	}
	_, err = Verify(dir)
	wantCorruption(t, err, dir, segRel(11), segHeaderSize, "no intact snapshot covers records 1..10")
}

// A snapshot newer than the log means acknowledged records were lost;
// appending would reuse their seqs, so Open refuses.
func TestSnapshotNewerThanLog(t *testing.T) {
	big := t.TempDir()
	w := openT(t, big, Options{NoSync: true})
	appendRecs(t, w, 30)
	writeSnapT(t, w, 30, []byte("thirty"))
	closeT(t, w)
	small := t.TempDir()
	w = openT(t, small, Options{NoSync: true})
	appendRecs(t, w, 10)
	closeT(t, w)
	b, _ := os.ReadFile(filepath.Join(big, snapDirName, snapName(30)))
	os.WriteFile(filepath.Join(small, snapDirName, snapName(30)), b, 0o600)
	_, err := Open(small, Options{NoSync: true})
	wantCorruption(t, err, small, snapDirName+"/"+snapName(30), 0, "the log ends at 10")
	_, err = Verify(small)
	wantCorruption(t, err, small, snapDirName+"/"+snapName(30), 0, "the log ends at 10")
}

func TestLogRemovedSnapshotsLeft(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{NoSync: true})
	appendRecs(t, w, 3)
	writeSnapT(t, w, 3, nil)
	closeT(t, w)
	os.RemoveAll(filepath.Join(dir, walDirName))
	_, err := Open(dir, Options{NoSync: true})
	wantCorruption(t, err, dir, walDirName, 0, "the log was removed")
}

func TestTempFilesRemovedOnOpen(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{NoSync: true})
	appendRecs(t, w, 3)
	closeT(t, w)
	for _, p := range []string{
		filepath.Join(dir, snapDirName, snapName(3)+tmpExt),
		filepath.Join(dir, walDirName, segName(4)+tmpExt),
	} {
		os.WriteFile(p, []byte("half-written"), 0o600)
	}
	var logs logLines
	w = openT(t, dir, Options{NoSync: true, Logger: logs.log})
	want := []string{"wal/" + segName(1)}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "removed snapshots/"+snapName(3)+tmpExt) {
		t.Fatalf("log: %q", logs.String())
	}
	checkRecs(t, w, 1, 3)
}

// A write cut short fails the Append (and every Append waiting on the same
// group commit, and every later one); after reopening, every acknowledged
// record is there. The WAL takes the failed write back off the file; when
// it cannot, recovery cuts the torn part and only whole batches of the
// failed write can survive.
func TestShortWrite(t *testing.T) {
	for _, undoFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("undo fails %v", undoFails), func(t *testing.T) {
			dir := t.TempDir()
			f := &faults{gateSync: 6, gate: make(chan struct{}), gated: make(chan struct{}), failTrunc: undoFails}
			w := openT(t, dir, Options{wrapFile: f.wrap})
			appendRecs(t, w, 5)

			// Append 6 holds the flusher in its fsync while 8 more queue up.
			var wg sync.WaitGroup
			wg.Add(1)
			var err6 error
			go func() {
				defer wg.Done()
				_, err6 = w.Append(context.Background(), rec(6))
			}()
			<-f.gated
			errs := make([]error, 8)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = w.Append(context.Background(), []byte("never acknowledged"), []byte("batch"))
				}()
			}
			waitQueued(t, w, 16)
			f.mu.Lock()
			f.shortWrite = f.writes + 1
			f.mu.Unlock()
			close(f.gate)
			wg.Wait()
			if err6 != nil {
				t.Fatalf("append 6: %v", err6)
			}
			for i, err := range errs {
				if !errors.Is(err, ErrFailed) || !errors.Is(err, errInjected) {
					t.Fatalf("queued append %d: %v, want ErrFailed wrapping the write error", i, err)
				}
			}
			if _, err := w.Append(context.Background(), rec(7)); !errors.Is(err, ErrFailed) {
				t.Fatalf("Append after a failed write: %v", err)
			}
			if w.LastSeq() != 6 {
				t.Fatalf("LastSeq %d after the failure, want 6", w.LastSeq())
			}
			checkRecs(t, w, 1, 6) // reads still work
			if err := w.Close(); err != nil {
				t.Fatalf("Close after a failure: %v", err)
			}
			var logs logLines
			w = openT(t, dir, Options{Logger: logs.log})
			cut := strings.Contains(logs.String(), "cut a torn tail")
			if !undoFails {
				if cut {
					t.Fatalf("the failed write was not taken back: %q", logs.String())
				}
				checkRecs(t, w, 1, 6)
			} else {
				if !cut {
					t.Fatalf("no torn tail cut: %q", logs.String())
				}
				last := w.LastSeq()
				if last < 6 || (last-6)%2 != 0 {
					t.Fatalf("LastSeq %d: not whole batches after 6", last)
				}
				err := w.Replay(6, func(seq journal.Seq, b []byte) error {
					if want := []string{"never acknowledged", "batch"}[(seq-7)%2]; string(b) != want {
						return fmt.Errorf("seq %d holds %q", seq, b)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			first := w.LastSeq() + 1
			appendRecs(t, w, 2)
			if w.LastSeq() != first+1 {
				t.Fatalf("LastSeq %d", w.LastSeq())
			}
		})
	}
}

// waitQueued waits until n records are queued for the next group commit.
func waitQueued(t *testing.T, w *WAL, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.mu.Lock()
		q := 0
		if len(w.pending) > 0 {
			q = int(w.nextSeq - w.pendingFirst)
		}
		w.mu.Unlock()
		if q == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A failed fsync fails the Append: the data may be in the page cache, but
// it was never acknowledged, and the WAL refuses to go on. The WAL takes
// the write back off the file; if that fails too, the record may survive.
func TestFailedSync(t *testing.T) {
	for _, undoFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("undo fails %v", undoFails), func(t *testing.T) {
			dir := t.TempDir()
			f := &faults{failSync: 4, failTrunc: undoFails}
			w := openT(t, dir, Options{wrapFile: f.wrap})
			appendRecs(t, w, 3)
			_, err := w.Append(context.Background(), rec(4))
			if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "fsync") {
				t.Fatalf("Append with a failing fsync: %v", err)
			}
			if _, err := w.Append(context.Background(), rec(5)); !errors.Is(err, ErrFailed) {
				t.Fatalf("Append after a failed fsync: %v", err)
			}
			if w.LastSeq() != 3 {
				t.Fatalf("LastSeq %d, want 3", w.LastSeq())
			}
			closeT(t, w)
			w = openT(t, dir, Options{})
			want := journal.Seq(3)
			if undoFails {
				want = 4 // it reached the file and nothing took it back
			}
			checkRecs(t, w, 1, want)
		})
	}
}

func TestGroupCommit(t *testing.T) {
	// A slow fsync makes sharing certain, whatever the disk.
	f := &faults{syncDelay: time.Millisecond}
	w := openT(t, t.TempDir(), Options{wrapFile: f.wrap})
	const writers, each = 32, 25
	var wg sync.WaitGroup
	seqs := make(chan journal.Seq, writers*each)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				seq, err := w.Append(context.Background(), make([]byte, payloadSize))
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	var got []journal.Seq
	for s := range seqs {
		got = append(got, s)
	}
	slices.Sort(got)
	for i, s := range got {
		if s != journal.Seq(i+1) {
			t.Fatalf("seqs not 1..%d: %v", len(got), got)
		}
	}
	st := w.Stats()
	t.Logf("%+v: %.1f records per fsync", st, float64(st.Records)/float64(st.Syncs))
	if st.Appends != writers*each || st.Records != writers*each || st.Bytes != writers*each*frameSize {
		t.Fatalf("stats %+v", st)
	}
	if st.Syncs != st.Flushes || st.Syncs >= st.Records || st.SyncNanos < st.Syncs*uint64(time.Millisecond) {
		t.Fatalf("no group commit: %+v", st)
	}
	// With 32 writers and a 1 ms fsync, most flushes carry many records.
	if st.Records < 4*st.Syncs {
		t.Fatalf("only %.1f records per fsync", float64(st.Records)/float64(st.Syncs))
	}
}

func TestNoSyncCountsNoSyncs(t *testing.T) {
	w := openT(t, t.TempDir(), Options{NoSync: true})
	appendRecs(t, w, 3)
	if st := w.Stats(); st.Syncs != 0 || st.Flushes != 3 || st.Records != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAppendEdgeCases(t *testing.T) {
	w := openT(t, t.TempDir(), Options{NoSync: true})
	if _, err := w.Append(context.Background()); err == nil {
		t.Fatal("Append of no records succeeded")
	}
	if w.LastSeq() != 0 {
		t.Fatal("empty Append moved LastSeq")
	}
}

// Close waits for the Appends already queued: they are written, not lost.
func TestCloseDrainsQueue(t *testing.T) {
	dir := t.TempDir()
	f := &faults{gateSync: 1, gate: make(chan struct{}), gated: make(chan struct{})}
	w, err := Open(dir, Options{wrapFile: f.wrap})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 5)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = w.Append(context.Background(), []byte("r"))
		}()
		if i == 0 {
			<-f.gated
		}
	}
	waitQueued(t, w, 4)
	closed := make(chan error)
	go func() { closed <- w.Close() }()
	time.Sleep(10 * time.Millisecond)
	close(f.gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range results {
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	w = openT(t, dir, Options{})
	if w.LastSeq() != 5 {
		t.Fatalf("LastSeq %d after Close drained 5 appends", w.LastSeq())
	}
}

func TestVerifyReport(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, fiveRecordSegments)
	appendRecs(t, w, 13)
	writeSnapT(t, w, 6, []byte("six"))
	writeSnapT(t, w, 9, []byte("nine"))
	appendFile(t, segPath(dir, 11), []byte{1, 2, 3}) // a write in flight
	rep, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.FirstSeq != 6 || rep.LastSeq != 13 || len(rep.Segments) != 2 || len(rep.Snapshots) != 2 {
		t.Fatalf("report %+v", rep)
	}
	s := rep.Segments[1]
	if s.File != segRel(11) || s.FirstSeq != 11 || s.LastSeq != 13 || s.Records() != 3 || s.TornBytes != 3 || s.Bytes != segHeaderSize+3*frameSize+3 {
		t.Fatalf("last segment %+v", s)
	}
	if sn := rep.Snapshots[0]; sn.Seq != 9 || sn.Bytes != snapHeaderSize+4+snapTrailerSize || sn.Err != nil {
		t.Fatalf("snapshot %+v", sn)
	}
	if _, err := Verify(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Verify of a missing dir: %v", err)
	}
}
