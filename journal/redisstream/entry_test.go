package redisstream

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/hushcrm/hush/journal"
)

func TestEntryRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		recs [][]byte
	}{
		{"one", [][]byte{[]byte("one")}},
		{"empty record", [][]byte{{}}},
		{"binary", [][]byte{{0, 0, 0xff, '\n', '\r'}, []byte("x"), {}}},
		{"long", [][]byte{bytes.Repeat([]byte{7}, 300), bytes.Repeat([]byte{9}, 70000)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			payload := encodeEntry(c.recs)
			got, _, err := decodeEntry(string(payload), uint64(len(c.recs)), nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(got) != len(c.recs) {
				t.Fatalf("decoded %d records, want %d", len(got), len(c.recs))
			}
			for i := range got {
				if !bytes.Equal(got[i], c.recs[i]) {
					t.Fatalf("record %d = %q, want %q", i, got[i], c.recs[i])
				}
			}
		})
	}
}

func TestEntryDamage(t *testing.T) {
	good := encodeEntry([][]byte{[]byte("alpha"), []byte("beta")})
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x40; return b }
	cases := []struct {
		name    string
		payload []byte
		n       uint64
		want    string
	}{
		{"flipped byte in a record", flip(4), 2, "checksum mismatch"},
		{"flipped checksum", flip(len(good) - 1), 2, "checksum mismatch"},
		{"truncated", good[:len(good)-3], 2, "checksum mismatch"},
		{"too short", good[:3], 2, "too short"},
		{"count differs from the ID", good, 3, "its ID says 3"},
		{"unknown version", reseal(append([]byte{9}, good[1:len(good)-4]...)), 2, "unknown entry version"},
		{"length past the end", reseal([]byte{1, 1, 50, 'x'}), 1, "runs past the end"},
		{"bytes after the last record", reseal([]byte{1, 1, 1, 'x', 'y'}), 1, "after the last record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, _, err := decodeEntry(string(c.payload), c.n, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("decode = %v, want an error containing %q", err, c.want)
			}
			if len(recs) != 0 {
				t.Fatalf("a damaged entry delivered %d records", len(recs))
			}
		})
	}
}

// reseal appends a valid checksum to body, to test the parser behind it.
func reseal(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32c(body))
}

func TestSplitBatches(t *testing.T) {
	recs := [][]byte{bytes.Repeat([]byte("a"), 100), bytes.Repeat([]byte("b"), 100), bytes.Repeat([]byte("c"), 500), {}, []byte("d")}
	batches := splitBatches(recs, 250)
	var got [][]byte
	for _, b := range batches {
		if len(b.payload) > 250+2*len(recs[2]) {
			t.Errorf("batch of %d bytes", len(b.payload))
		}
		rs, _, err := decodeEntry(string(b.payload), uint64(b.n), nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rs...)
	}
	if len(batches) < 3 {
		t.Fatalf("%d batches for 700 bytes at 250 a batch", len(batches))
	}
	if len(got) != len(recs) {
		t.Fatalf("%d records back, want %d", len(got), len(recs))
	}
	for i := range recs {
		if !bytes.Equal(got[i], recs[i]) {
			t.Fatalf("record %d differs", i)
		}
	}
}

func TestParseEntryID(t *testing.T) {
	cases := []struct {
		id          string
		first, last journal.Seq
		ok          bool
	}{
		{"1-1", 1, 1, true},
		{"10-3", 8, 10, true},
		{"18446744073709551615-1", 18446744073709551615, 18446744073709551615, true},
		{"5-6", 0, 0, false}, // more records than seqs
		{"5-0", 0, 0, false},
		{"5", 0, 0, false},
		{"x-1", 0, 0, false},
		{"1700000000000-0", 0, 0, false}, // an XADD * entry
	}
	for _, c := range cases {
		first, last, _, err := parseEntryID(c.id)
		if (err == nil) != c.ok || first != c.first || last != c.last {
			t.Errorf("parseEntryID(%q) = %d, %d, %v", c.id, first, last, err)
		}
		if c.ok && entryID(last, uint64(last-first+1)) != c.id {
			t.Errorf("entryID does not give back %q", c.id)
		}
	}
}

// FuzzDecodeEntry: no payload crashes the decoder or makes it read out of
// bounds, and what it accepts re-encodes to the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry([][]byte{[]byte("one")}), uint64(1))
	f.Add(encodeEntry([][]byte{{}, []byte("two"), {0, 1, 2}}), uint64(3))
	f.Add(encodeEntry([][]byte{bytes.Repeat([]byte("z"), 1000)}), uint64(1))
	f.Add([]byte{}, uint64(0))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0}, uint64(1))
	f.Add(reseal([]byte{1, 0x80, 0x80, 0x80, 0x80, 0x10}), uint64(1<<32))
	f.Fuzz(func(t *testing.T, payload []byte, n uint64) {
		recs, _, err := decodeEntry(string(payload), n, nil)
		if err != nil {
			return
		}
		if uint64(len(recs)) != n {
			t.Fatalf("accepted %d records for count %d", len(recs), n)
		}
		if again := encodeEntry(recs); !bytes.Equal(again, payload) {
			t.Fatalf("accepted a payload that does not re-encode the same (non-canonical varint?)")
		}
	})
}
