package redisstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/hushcrm/hush/journal"
)

// An entry of the log stream holds the records of one Append (or a part of
// a big one). Its stream ID is "<last seq>-<record count>": IDs grow with
// the sequence numbers, the entry holding seq N is the first one with an ID
// >= "N-0", an XREAD after "N-<max>" wakes on the first record after N, and
// XTRIM MINID "N-0" drops exactly the entries whose records are all < N.
//
// The one field, "b", is the batch:
//
//	version byte (1)
//	uvarint record count
//	count times: uvarint length, bytes
//	crc32c (Castagnoli, little endian) of everything before it
const (
	entryField   = "b"
	entryVersion = 1
	entryTrailer = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaxRecordSize is the largest record Append accepts (64 MiB, as the file
// backend). Redis caps one string argument at 512 MB.
const MaxRecordSize = 64 << 20

// maxAppendSize bounds one Append (all its entries go in one script call).
const maxAppendSize = 256 << 20

// defaultEntrySize is the size past which an Append is split into several
// entries, so one XRANGE page or one XREAD reply stays bounded.
const defaultEntrySize = 4 << 20

// ErrRecordTooLarge is returned by Append for a record over MaxRecordSize,
// or an Append whose records add up to more than 256 MiB.
var ErrRecordTooLarge = errors.New("redisstream: record too large")

// encodedBatch is one entry to be added: its record count and payload.
type encodedBatch struct {
	n       int
	payload []byte
}

// splitBatches encodes recs into entries of about entrySize bytes each (a
// bigger record gets an entry of its own).
func splitBatches(recs [][]byte, entrySize int) []encodedBatch {
	var out []encodedBatch
	for start := 0; start < len(recs); {
		end, size := start, 0
		for end < len(recs) && (end == start || size+len(recs[end])+binary.MaxVarintLen32 <= entrySize) {
			size += len(recs[end]) + binary.MaxVarintLen32
			end++
		}
		out = append(out, encodedBatch{n: end - start, payload: encodeEntry(recs[start:end])})
		start = end
	}
	return out
}

// encodeEntry builds the payload of an entry holding recs.
func encodeEntry(recs [][]byte) []byte {
	size := 1 + binary.MaxVarintLen64 + entryTrailer
	for _, r := range recs {
		size += binary.MaxVarintLen64 + len(r)
	}
	b := make([]byte, 0, size)
	b = append(b, entryVersion)
	b = binary.AppendUvarint(b, uint64(len(recs)))
	for _, r := range recs {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeEntry parses a payload that must hold n records and appends them
// to recs[:0] (slices of one copy of payload). The whole entry is checked
// before anything is returned, so a damaged entry delivers nothing. Errors
// say what was wrong and at which byte offset of the payload.
func decodeEntry(payload string, n uint64, recs [][]byte) ([][]byte, int64, error) {
	recs = recs[:0]
	b := []byte(payload)
	if len(b) < 1+1+entryTrailer {
		return nil, 0, fmt.Errorf("entry is %d bytes, too short for a batch", len(b))
	}
	body := b[:len(b)-entryTrailer]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(b[len(body):]); got != want {
		return nil, int64(len(body)), fmt.Errorf("checksum mismatch (crc32c %08x, stored %08x)", got, want)
	}
	if body[0] != entryVersion {
		return nil, 0, fmt.Errorf("unknown entry version %d", body[0])
	}
	count, k := uvarint(body[1:])
	if k <= 0 {
		return nil, 1, errors.New("bad record count")
	}
	if count != n {
		return nil, 1, fmt.Errorf("entry holds %d records but its ID says %d", count, n)
	}
	off := 1 + k
	for i := uint64(0); i < count; i++ {
		l, k := uvarint(body[off:])
		if k <= 0 {
			return nil, int64(off), fmt.Errorf("record %d: bad length", i+1)
		}
		off += k
		if l > uint64(len(body)-off) {
			return nil, int64(off), fmt.Errorf("record %d: length %d runs past the end of the entry", i+1, l)
		}
		recs = append(recs, body[off:off+int(l):off+int(l)])
		off += int(l)
	}
	if off != len(body) {
		return nil, int64(off), fmt.Errorf("%d bytes after the last record", len(body)-off)
	}
	return recs, 0, nil
}

// entryID is the stream ID of the entry whose records end at last.
func entryID(last journal.Seq, n uint64) string {
	return strconv.FormatUint(uint64(last), 10) + "-" + strconv.FormatUint(n, 10)
}

// parseEntryID splits "<last>-<count>" and returns the entry's first and
// last seq.
func parseEntryID(id string) (first, last journal.Seq, n uint64, err error) {
	ms, sq, ok := strings.Cut(id, "-")
	if !ok {
		return 0, 0, 0, fmt.Errorf("entry ID %q is not <last seq>-<count>", id)
	}
	l, err1 := strconv.ParseUint(ms, 10, 64)
	c, err2 := strconv.ParseUint(sq, 10, 64)
	if err1 != nil || err2 != nil || c == 0 || c > l {
		return 0, 0, 0, fmt.Errorf("entry ID %q is not <last seq>-<count>", id)
	}
	return journal.Seq(l - c + 1), journal.Seq(l), c, nil
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// uvarint is binary.Uvarint that also refuses overlong encodings, so an
// accepted payload has exactly one byte form.
func uvarint(b []byte) (uint64, int) {
	v, k := binary.Uvarint(b)
	if k > 1 && b[k-1] == 0 {
		return 0, -1
	}
	return v, k
}
