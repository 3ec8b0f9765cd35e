package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/hushcrm/hush/journal"
)

// On-disk format, all integers little-endian.
//
// Segment file wal/<first seq %020d>.seg:
//
//	header (24 bytes): magic "HWAL" | version u16 | reserved u16 |
//	                   first seq u64 | reserved u32 | CRC32C of bytes 0..20 u32
//	frames, one per record:
//	  crc u32 | length u32 | seq u64 | rest u32 | payload (length bytes)
//
// crc is CRC32C (Castagnoli) over the payload followed by the 16 header
// bytes after it, so a frame of zeros never checks out and a record moved
// to another position (another seq) is caught. rest is how many records
// follow in the same Append: recovery keeps a batch only when all of it is
// there, which is what makes a multi-record Append atomic across a crash.
//
// Snapshot file snapshots/<seq %020d>.snap:
//
//	header (16 bytes): magic "HSNP" | version u16 | reserved u16 | seq u64
//	content
//	trailer (16 bytes): content length u64 | CRC32C of content u32 | magic "HSNE"
const (
	segMagic        = "HWAL"
	segVersion      = 1
	segHeaderSize   = 24
	frameHeaderSize = 20

	snapMagic        = "HSNP"
	snapTrailerMagic = "HSNE"
	snapVersion      = 1
	snapHeaderSize   = 16
	snapTrailerSize  = 16
)

// MaxRecordSize is the largest record Append accepts (64 MiB). Bigger state
// belongs in a snapshot; the limit also bounds what a damaged length field
// can make a reader allocate.
const MaxRecordSize = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func segmentHeader(first journal.Seq) []byte {
	b := make([]byte, segHeaderSize)
	copy(b, segMagic)
	binary.LittleEndian.PutUint16(b[4:], segVersion)
	binary.LittleEndian.PutUint64(b[8:], uint64(first))
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	return b
}

func parseSegmentHeader(b []byte) (journal.Seq, error) {
	if string(b[:4]) != segMagic {
		return 0, fmt.Errorf("not a hush WAL segment (magic %q)", b[:4])
	}
	if got := binary.LittleEndian.Uint32(b[20:]); got != crc32.Checksum(b[:20], castagnoli) {
		return 0, errors.New("segment header checksum mismatch")
	}
	if v := binary.LittleEndian.Uint16(b[4:]); v != segVersion {
		return 0, fmt.Errorf("segment format version %d is not supported (want %d)", v, segVersion)
	}
	first := journal.Seq(binary.LittleEndian.Uint64(b[8:]))
	if first == 0 {
		return 0, errors.New("segment header names first seq 0")
	}
	return first, nil
}

type frameHeader struct {
	crc    uint32
	length uint32
	seq    journal.Seq
	rest   uint32
}

// putFrame appends the frame for rec to buf. payloadCRC is
// crc32.Checksum(rec, castagnoli), computed by the caller outside any lock.
func putFrame(buf []byte, seq journal.Seq, rest uint32, rec []byte, payloadCRC uint32) []byte {
	var h [frameHeaderSize]byte
	binary.LittleEndian.PutUint32(h[4:], uint32(len(rec)))
	binary.LittleEndian.PutUint64(h[8:], uint64(seq))
	binary.LittleEndian.PutUint32(h[16:], rest)
	binary.LittleEndian.PutUint32(h[0:], crc32.Update(payloadCRC, castagnoli, h[4:]))
	buf = append(buf, h[:]...)
	return append(buf, rec...)
}

func parseFrameHeader(b []byte) frameHeader {
	return frameHeader{
		crc:    binary.LittleEndian.Uint32(b[0:]),
		length: binary.LittleEndian.Uint32(b[4:]),
		seq:    journal.Seq(binary.LittleEndian.Uint64(b[8:])),
		rest:   binary.LittleEndian.Uint32(b[16:]),
	}
}

func frameCRC(payload, header []byte) uint32 {
	return crc32.Update(crc32.Checksum(payload, castagnoli), castagnoli, header[4:frameHeaderSize])
}

// damage is the first thing wrong in a segment.
type damage struct {
	off int64 // where the bad frame (or header) starts
	err error
	// torn: the damage could be an interrupted write (a partial frame, a
	// checksum mismatch, an unfinished batch) and no valid frame follows it.
	// Only a torn damage in the last segment may be cut.
	torn bool
}

// segScan is what scanning one segment found.
type segScan struct {
	first journal.Seq // from the header
	next  journal.Seq // seq after the last record of the last complete batch
	end   int64       // offset just past the last complete batch
	size  int64
	dmg   *damage // nil: the file ends cleanly at end
}

// scanOpts says which records a scan hands to fn.
type scanOpts struct {
	after journal.Seq // fn gets records with seq > after
	limit journal.Seq // stop before reading a record with seq > limit
	fn    func(seq journal.Seq, rec []byte) error
}

var noLimit = journal.Seq(math.MaxUint64)

// scanSegment reads the segment in ra (size bytes), checking every frame.
// Damage is reported in the result; the error is only for I/O failures and
// for fn's own error, returned as is.
func scanSegment(ra io.ReaderAt, size int64, o scanOpts) (segScan, error) {
	res := segScan{size: size}
	if size < segHeaderSize {
		res.dmg = &damage{off: 0, err: fmt.Errorf("file is %d bytes, shorter than a segment header", size)}
		return res, nil
	}
	hb := make([]byte, segHeaderSize)
	if _, err := ra.ReadAt(hb, 0); err != nil {
		return res, fmt.Errorf("read segment header: %w", err)
	}
	first, err := parseSegmentHeader(hb)
	if err != nil {
		res.dmg = &damage{off: 0, err: err}
		return res, nil
	}
	res.first, res.next, res.end = first, first, segHeaderSize

	bufSize := int(min(size-segHeaderSize, 1<<20))
	br := bufio.NewReaderSize(io.NewSectionReader(ra, segHeaderSize, size-segHeaderSize), max(bufSize, 16))
	var fh [frameHeaderSize]byte
	var payload []byte
	off, seq := int64(segHeaderSize), first
	var rest uint32 // records still to come in the current batch
	bad := func(torn bool, format string, args ...any) {
		d := &damage{off: off, err: fmt.Errorf(format, args...)}
		if torn {
			d.torn = !validFrameAfter(ra, off, size, seq)
		}
		res.dmg = d
	}
	for seq <= o.limit {
		left := size - off
		if left == 0 {
			if rest > 0 {
				bad(true, "file ends inside a batch: %d more records of it expected", rest)
			}
			break
		}
		if left < frameHeaderSize {
			bad(true, "partial record header (%d bytes)", left)
			break
		}
		if _, err := io.ReadFull(br, fh[:]); err != nil {
			return res, fmt.Errorf("read at offset %d: %w", off, err)
		}
		h := parseFrameHeader(fh[:])
		if h.length > MaxRecordSize {
			bad(true, "record length %d is over the %d-byte limit", h.length, MaxRecordSize)
			break
		}
		if int64(h.length) > left-frameHeaderSize {
			bad(true, "record of %d bytes runs past the end of the file (%d bytes left)", h.length, left-frameHeaderSize)
			break
		}
		if cap(payload) < int(h.length) {
			payload = make([]byte, h.length)
		}
		payload = payload[:h.length]
		if _, err := io.ReadFull(br, payload); err != nil {
			return res, fmt.Errorf("read at offset %d: %w", off, err)
		}
		if frameCRC(payload, fh[:]) != h.crc {
			bad(true, "record checksum mismatch")
			break
		}
		// A frame whose checksum holds was written whole by us: if it is
		// out of place, no torn write explains it.
		if h.seq != seq {
			bad(false, "record has seq %d where %d was expected", h.seq, seq)
			break
		}
		if rest > 0 && h.rest != rest-1 {
			bad(false, "record %d breaks its batch: %d more records expected, header says %d", seq, rest-1, h.rest)
			break
		}
		if o.fn != nil && seq > o.after {
			if err := o.fn(seq, payload); err != nil {
				return res, err
			}
		}
		seq++
		off += frameHeaderSize + int64(h.length)
		rest = h.rest
		if rest == 0 {
			res.end, res.next = off, seq
		}
	}
	return res, nil
}

// validFrameAfter reports whether any whole frame with a seq >= minSeq and a
// matching checksum starts after off. Damage with valid data after it is
// not a torn write: a crash cannot skip bytes and then write more.
func validFrameAfter(ra io.ReaderAt, off, size int64, minSeq journal.Seq) bool {
	// Each frame takes at least a header, which bounds the seqs possible.
	maxSeq := minSeq + journal.Seq((size-off)/frameHeaderSize) + 1
	const window = 1 << 20
	buf := make([]byte, window+frameHeaderSize)
	for base := off + 1; base+frameHeaderSize <= size; base += window {
		n := int(min(int64(len(buf)), size-base))
		if _, err := ra.ReadAt(buf[:n], base); err != nil && !errors.Is(err, io.EOF) {
			// Unreadable: do not call it torn, let the caller report damage.
			return true
		}
		for i := 0; i < window && i+frameHeaderSize <= n; i++ {
			h := parseFrameHeader(buf[i:])
			if h.seq < minSeq || h.seq > maxSeq || h.length > MaxRecordSize {
				continue
			}
			p := base + int64(i)
			if p+frameHeaderSize+int64(h.length) > size {
				continue
			}
			payload := make([]byte, h.length)
			if _, err := ra.ReadAt(payload, p+frameHeaderSize); err != nil && !errors.Is(err, io.EOF) {
				return true
			}
			if frameCRC(payload, buf[i:i+frameHeaderSize]) == h.crc {
				return true
			}
		}
	}
	return false
}
