package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hushcrm/hush/journal"
)

// The damage tests use a log of 20 recs in four segments of five:
// wal/…01.seg (1-5), …06.seg (6-10), …11.seg (11-15), …16.seg (16-20, the
// last). Record i (0-based) of a segment starts at segHeaderSize+i*frameSize.
func buildFourSegments(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	w := openT(t, dir, fiveRecordSegments)
	appendRecs(t, w, 20)
	closeT(t, w)
	want := []string{"wal/" + segName(1), "wal/" + segName(6), "wal/" + segName(11), "wal/" + segName(16)}
	if got := listDir(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("layout %v, want %v", got, want)
	}
	return dir
}

func frameOff(i int) int64 { return segHeaderSize + int64(i)*frameSize }

// Header fields within a frame.
const (
	fCRC     = 0
	fLength  = 4
	fSeq     = 8
	fRest    = 16
	fPayload = frameHeaderSize
)

func TestByteFlips(t *testing.T) {
	tests := []struct {
		name string
		seg  journal.Seq // segment holding the flipped byte
		off  int64       // offset of the flipped byte
		// corruption: Open fails naming seg and wantOff. Otherwise the
		// tail is cut and the log keeps records up to keep.
		corruption bool
		wantOff    int64
		msg        string
		keep       journal.Seq
	}{
		{"length field of a record in the first segment", 1, frameOff(1) + fLength, true, frameOff(1), "", 0},
		{"crc field of a record in the first segment", 1, frameOff(3) + fCRC, true, frameOff(3), "checksum mismatch", 0},
		{"payload in the middle segment", 6, frameOff(2) + fPayload + 50, true, frameOff(2), "checksum mismatch", 0},
		{"last record of a middle segment", 11, frameOff(4) + fPayload + 99, true, frameOff(4), "checksum mismatch", 0},
		{"payload mid last segment, records after", 16, frameOff(2) + fPayload + 10, true, frameOff(2), "checksum mismatch", 0},
		{"length field mid last segment, records after", 16, frameOff(1) + fLength, true, frameOff(1), "", 0},
		{"length high byte mid last segment", 16, frameOff(1) + fLength + 3, true, frameOff(1), "over the", 0},
		{"seq field mid last segment", 16, frameOff(3) + fSeq, true, frameOff(3), "checksum mismatch", 0},
		{"segment header of the middle segment", 6, 2, true, 0, "bad segment header", 0},
		{"first seq in the last segment's header", 16, 8, true, 0, "bad segment header", 0},
		{"first segment's magic", 1, 0, true, 0, "not a hush WAL segment", 0},
		{"payload of the last record", 16, frameOff(4) + fPayload + 40, false, 0, "", 19},
		{"last byte of the file", 16, frameOff(4) + frameSize - 1, false, 0, "", 19},
		{"crc of the last record", 16, frameOff(4) + fCRC + 1, false, 0, "", 19},
		{"length of the last record", 16, frameOff(4) + fLength, false, 0, "", 19},
		{"rest field of the last record", 16, frameOff(4) + fRest, false, 0, "", 19},
		{"seq of the last record", 16, frameOff(4) + fSeq, false, 0, "", 19},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := buildFourSegments(t)
			flipByte(t, segPath(dir, tc.seg), tc.off)
			var logs logLines
			opts := fiveRecordSegments
			opts.Logger = logs.log
			if tc.corruption {
				before := snapshotFiles(t, dir)
				_, verr := Verify(dir)
				wantCorruption(t, verr, dir, segRel(tc.seg), tc.wantOff, tc.msg)
				if after := snapshotFiles(t, dir); after != before {
					t.Fatal("Verify changed the files")
				}
				_, err := Open(dir, opts)
				wantCorruption(t, err, dir, segRel(tc.seg), tc.wantOff, tc.msg)
				if after := snapshotFiles(t, dir); after != before {
					t.Fatal("a failed Open changed the files")
				}
				return
			}
			rep, err := Verify(dir)
			if err != nil {
				t.Fatalf("Verify of a torn tail: %v", err)
			}
			if last := rep.Segments[len(rep.Segments)-1]; last.TornBytes != frameSize {
				t.Fatalf("Verify: torn bytes %d, want %d", last.TornBytes, frameSize)
			}
			w := openT(t, dir, opts)
			checkRecs(t, w, 1, tc.keep)
			if !strings.Contains(logs.String(), fmt.Sprintf("cut a torn tail of %d bytes at %s offset %d", frameSize, segRel(16), frameOff(4))) {
				t.Fatalf("no note of the cut in the log: %q", logs.String())
			}
			// The log goes on from the cut.
			appendRecs(t, w, 3)
			closeT(t, w)
			w = openT(t, dir, opts)
			checkRecs(t, w, 1, tc.keep+3)
		})
	}
}

// snapshotFiles returns a digest of every file under dir/wal and
// dir/snapshots, to show a failed Open and Verify change nothing.
func snapshotFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, rel := range listDir(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %x\n", rel, len(data), crc32c(data))
	}
	return b.String()
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

func TestStructuralDamage(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		file    string
		off     int64
		msg     string
		cutTail bool // not corruption: Open cuts and keeps keep records
		keep    journal.Seq
	}{
		{
			name:   "middle segment removed",
			damage: func(t *testing.T, dir string) { os.Remove(segPath(dir, 6)) },
			file:   segRel(11), off: 0, msg: "records 6..10 are missing",
		},
		{
			name: "segment renamed",
			damage: func(t *testing.T, dir string) {
				os.Rename(segPath(dir, 11), segPath(dir, 12))
			},
			file: segRel(12), off: 0, msg: "its name says 12",
		},
		{
			name: "middle segment cut inside its last record",
			damage: func(t *testing.T, dir string) {
				os.Truncate(segPath(dir, 6), frameOff(4)+30)
			},
			file: segRel(6), off: frameOff(4), msg: "not the last one",
		},
		{
			name: "middle segment cut inside a record header",
			damage: func(t *testing.T, dir string) {
				os.Truncate(segPath(dir, 11), frameOff(4)+7)
			},
			file: segRel(11), off: frameOff(4), msg: "partial record header",
		},
		{
			name: "middle segment cut at a record boundary",
			damage: func(t *testing.T, dir string) {
				os.Truncate(segPath(dir, 6), frameOff(4))
			},
			file: segRel(11), off: 0, msg: "records 10..10 are missing",
		},
		{
			name: "first segment header only",
			damage: func(t *testing.T, dir string) {
				os.Truncate(segPath(dir, 1), 10)
			},
			file: segRel(1), off: 0, msg: "shorter than a segment header",
		},
		{
			name: "record duplicated in the last segment",
			damage: func(t *testing.T, dir string) {
				p := segPath(dir, 16)
				b, _ := os.ReadFile(p)
				copy(b[frameOff(3):frameOff(4)], b[frameOff(2):frameOff(3)])
				os.WriteFile(p, b, 0o600)
			},
			file: segRel(16), off: frameOff(3), msg: "has seq 18 where 19 was expected",
		},
		{
			name: "zeros after the last record",
			damage: func(t *testing.T, dir string) {
				appendFile(t, segPath(dir, 16), make([]byte, 5000))
			},
			cutTail: true, keep: 20,
		},
		{
			name: "garbage after the last record",
			damage: func(t *testing.T, dir string) {
				g := make([]byte, 3000)
				r := rand.New(rand.NewPCG(1, 2))
				for i := range g {
					g[i] = byte(r.Uint32())
				}
				appendFile(t, segPath(dir, 16), g)
			},
			cutTail: true, keep: 20,
		},
		{
			name: "a valid record after a gap of zeros",
			damage: func(t *testing.T, dir string) {
				p := segPath(dir, 16)
				appendFile(t, p, make([]byte, 64))
				appendFile(t, p, putFrame(nil, 22, 0, rec(22), crc32c(rec(22))))
			},
			file: segRel(16), off: frameOff(5), msg: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := buildFourSegments(t)
			tc.damage(t, dir)
			_, verr := Verify(dir)
			w, err := Open(dir, fiveRecordSegments)
			if tc.cutTail {
				if verr != nil || err != nil {
					t.Fatalf("Verify: %v; Open: %v", verr, err)
				}
				defer w.Close()
				checkRecs(t, w, 1, tc.keep)
				return
			}
			wantCorruption(t, verr, dir, tc.file, tc.off, tc.msg)
			wantCorruption(t, err, dir, tc.file, tc.off, tc.msg)
		})
	}
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTruncatedTail cuts every possible number of bytes off the final
// Append, for a single record and for a batch: Open always succeeds and the
// final Append is gone entirely (a batch is all or nothing), never an error.
func TestTruncatedTail(t *testing.T) {
	for _, batch := range []int{1, 3} {
		t.Run(fmt.Sprintf("batch of %d", batch), func(t *testing.T) {
			src := t.TempDir()
			w := openT(t, src, Options{NoSync: true})
			appendRecs(t, w, 5)
			var recs [][]byte
			for i := range batch {
				recs = append(recs, rec(journal.Seq(6+i)))
			}
			if _, err := w.Append(context.Background(), recs...); err != nil {
				t.Fatal(err)
			}
			closeT(t, w)
			full, err := os.ReadFile(segPath(src, 1))
			if err != nil {
				t.Fatal(err)
			}
			batchBytes := batch * frameSize
			for cut := 1; cut <= batchBytes; cut++ {
				dir := t.TempDir()
				os.MkdirAll(filepath.Join(dir, walDirName), 0o700)
				if err := os.WriteFile(segPath(dir, 1), full[:len(full)-cut], 0o600); err != nil {
					t.Fatal(err)
				}
				var logs logLines
				w, err := Open(dir, Options{NoSync: true, Logger: logs.log})
				if err != nil {
					t.Fatalf("cut %d bytes: Open: %v", cut, err)
				}
				if w.LastSeq() != 5 {
					t.Fatalf("cut %d bytes: LastSeq %d, want 5", cut, w.LastSeq())
				}
				cutNote := strings.Contains(logs.String(), "cut a torn tail")
				if cutNote != (cut < batchBytes) {
					t.Fatalf("cut %d bytes: log says %q", cut, logs.String())
				}
				checkRecs(t, w, 1, 5)
				w.Close()
				if fi, _ := os.Stat(segPath(dir, 1)); fi.Size() != int64(len(full)-batchBytes) {
					t.Fatalf("cut %d bytes: segment is %d bytes after Open, want %d", cut, fi.Size(), len(full)-batchBytes)
				}
			}
		})
	}
}

// A torn tail in a segment that is not the last one is corruption: only
// the segment being appended to can have been cut by a crash.
func TestTornTailOnlyInLastSegment(t *testing.T) {
	dir := buildFourSegments(t)
	os.Remove(segPath(dir, 16))
	p := segPath(dir, 11)
	appendFile(t, p, make([]byte, 10))
	w := openT(t, dir, fiveRecordSegments) // 11 is last now: its tail is cut
	checkRecs(t, w, 1, 15)
	appendRecs(t, w, 6) // 16..20 into a new segment 16, 21 into 21
	closeT(t, w)
	appendFile(t, p, make([]byte, 10))
	_, err := Open(dir, fiveRecordSegments)
	wantCorruption(t, err, dir, segRel(11), frameOff(5), "not the last one")
}

func TestReplayFindsDamageAfterOpen(t *testing.T) {
	dir := buildFourSegments(t)
	w := openT(t, dir, fiveRecordSegments)
	flipByte(t, segPath(dir, 6), frameOff(1)+fPayload)
	err := w.Replay(0, func(journal.Seq, []byte) error { return nil })
	wantCorruption(t, err, dir, segRel(6), frameOff(1), "checksum mismatch")
	// Replay from past the damage does not read it.
	if err := w.Replay(10, func(journal.Seq, []byte) error { return nil }); err != nil {
		t.Fatalf("Replay(10): %v", err)
	}
	os.Truncate(segPath(dir, 11), frameOff(3))
	err = w.Replay(10, func(journal.Seq, []byte) error { return nil })
	wantCorruption(t, err, dir, segRel(11), frameOff(3), "segment ends after seq 13")
}

func TestRecordTooLarge(t *testing.T) {
	w := openT(t, t.TempDir(), Options{NoSync: true})
	appendRecs(t, w, 2)
	big := make([]byte, MaxRecordSize+1)
	_, err := w.Append(context.Background(), []byte("ok"), big)
	if !errors.Is(err, ErrRecordTooLarge) || !strings.Contains(err.Error(), "record 2 of 2 is 67108865 bytes") {
		t.Fatalf("Append of an oversized record: %v", err)
	}
	// Nothing of the batch was written and the WAL goes on.
	appendRecs(t, w, 1)
	checkRecs(t, w, 1, 3)
	// The largest allowed record round-trips.
	big = big[:MaxRecordSize]
	big[len(big)-1] = 9
	seq, err := w.Append(context.Background(), big)
	if err != nil {
		t.Fatal(err)
	}
	err = w.Replay(seq-1, func(_ journal.Seq, b []byte) error {
		if !bytes.Equal(b, big) {
			return errors.New("max-size record differs")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
