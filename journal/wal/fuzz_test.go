package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"

	"github.com/hushcrm/hush/journal"
)

// fuzzSegment is a valid segment starting at seq 7: three single records
// (one empty) and a batch of three.
func fuzzSegment() []byte {
	b := segmentHeader(7)
	add := func(seq journal.Seq, rest uint32, r string) {
		b = putFrame(b, seq, rest, []byte(r), crc32.Checksum([]byte(r), castagnoli))
	}
	add(7, 0, "alpha")
	add(8, 0, "")
	add(9, 0, "gamma gamma gamma")
	add(10, 2, "batch one")
	add(11, 1, "batch two")
	add(12, 0, "batch three")
	return b
}

// FuzzReader feeds arbitrary bytes to the segment scanner as a segment
// file. It must never panic, and what it reports must hold together: the
// records it hands out are numbered from the header on, a clean result
// ends at the end of the file, and the prefix it keeps rescans clean (so
// cutting a torn tail is enough for the next Open).
func FuzzReader(f *testing.F) {
	seg := fuzzSegment()
	f.Add(seg)
	f.Add(seg[:len(seg)-3])                      // torn inside the last record
	f.Add(seg[:len(seg)-40])                     // torn inside a batch
	f.Add(seg[:segHeaderSize])                   // header only
	f.Add(seg[:10])                              // short header
	f.Add(append(bytes.Clone(seg), 0, 0, 0))     // zeros after
	f.Add(append(bytes.Clone(seg), seg[24:]...)) // records repeated
	flipped := bytes.Clone(seg)
	flipped[segHeaderSize+frameHeaderSize+2] ^= 1
	f.Add(flipped)
	huge := bytes.Clone(seg[:segHeaderSize+frameHeaderSize])
	binary.LittleEndian.PutUint32(huge[segHeaderSize+4:], MaxRecordSize+1)
	f.Add(huge)
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		res := scanForFuzz(t, data)
		if res.first == 0 {
			if res.dmg == nil || res.dmg.off != 0 {
				t.Fatalf("no header but damage %+v", res.dmg)
			}
			return
		}
		if res.end < segHeaderSize || res.end > int64(len(data)) || res.next < res.first {
			t.Fatalf("result out of bounds: %+v", res)
		}
		if res.dmg == nil && res.end != int64(len(data)) {
			t.Fatalf("clean scan ends at %d of %d", res.end, len(data))
		}
		if res.dmg != nil && res.dmg.off < res.end {
			t.Fatalf("damage at %d before the kept end %d", res.dmg.off, res.end)
		}
		again := scanForFuzz(t, data[:res.end])
		if again.dmg != nil || again.next != res.next {
			t.Fatalf("the kept prefix does not rescan clean: %+v then %+v", res, again)
		}
	})
}

func scanForFuzz(t *testing.T, data []byte) segScan {
	var want journal.Seq
	res, err := scanSegment(bytes.NewReader(data), int64(len(data)), scanOpts{limit: noLimit, fn: func(seq journal.Seq, rec []byte) error {
		if want != 0 && seq != want {
			t.Fatalf("record %d handed out after %d", seq, want-1)
		}
		if len(rec) > MaxRecordSize {
			t.Fatalf("record of %d bytes", len(rec))
		}
		want = seq + 1
		return nil
	}})
	if err != nil {
		t.Fatalf("scan of an in-memory file: %v", err)
	}
	return res
}

// FuzzSnapshot feeds arbitrary bytes to the snapshot reader: it never
// panics, and it hands out content only for a file whose checksum holds.
func FuzzSnapshot(f *testing.F) {
	content := []byte("the state of things")
	good := make([]byte, 0, 64)
	good = append(good, snapMagic...)
	good = binary.LittleEndian.AppendUint16(good, snapVersion)
	good = append(good, 0, 0)
	good = binary.LittleEndian.AppendUint64(good, 42)
	good = append(good, content...)
	good = binary.LittleEndian.AppendUint64(good, uint64(len(content)))
	good = binary.LittleEndian.AppendUint32(good, crc32.Checksum(content, castagnoli))
	good = append(good, snapTrailerMagic...)
	f.Add(good)
	f.Add(good[:20])
	f.Add(good[:len(good)-1])
	bad := bytes.Clone(good)
	bad[20] ^= 4
	f.Add(bad)
	f.Fuzz(func(t *testing.T, data []byte) {
		corrupt := func(off int64, err error) error {
			return &journal.CorruptionError{File: "x.snap", Offset: off, Err: err}
		}
		r, err := newSnapReader(bytes.NewReader(data), int64(len(data)), 42, corrupt)
		var ce *journal.CorruptionError
		if err != nil {
			if !errors.As(err, &ce) {
				t.Fatalf("not a corruption error: %v", err)
			}
			return
		}
		got, err := io.ReadAll(r)
		if err != nil {
			if !errors.As(err, &ce) {
				t.Fatalf("not a corruption error: %v", err)
			}
			return
		}
		if len(got)+snapHeaderSize+snapTrailerSize != len(data) || !bytes.Equal(got, data[snapHeaderSize:len(data)-snapTrailerSize]) {
			t.Fatalf("content %q from a %d-byte file", got, len(data))
		}
		if binary.LittleEndian.Uint32(data[len(data)-8:]) != crc32.Checksum(got, castagnoli) {
			t.Fatal("content handed out with a bad checksum")
		}
	})
}
