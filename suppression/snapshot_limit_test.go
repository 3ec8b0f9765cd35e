package suppression

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// stateWithHashes is buildState plus an e-mail list of n hashed keys, so
// that a dictionary holds entries.
func stateWithHashes(t *testing.T, n int) (*Store, []uint64) {
	t.Helper()
	s := buildState(t, []int{0, 1, 2, 3, 4, 5})
	spec := ListSpec{Name: "bounces", Kind: contactkey.KindEmail, Type: Deny, Channels: ChannelSet(Email), Purposes: PurposeSet{All: true}, Source: SourceBounce}
	if err := s.CreateList(spec, 1, t0); err != nil {
		t.Fatal(err)
	}
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = uint64(i+1) * 0x9e3779b97f4a7c15
	}
	im, _ := s.BeginImport("bounces", Add)
	im.Add(keys, nil)
	if _, err := s.CommitImport(im, 2, t0); err != nil {
		t.Fatal(err)
	}
	return s, keys
}

// With the input's size known, ReadStoreLimit reads the same store as
// ReadStore (it writes back the same bytes); a limit too small to vouch
// for the lengths falls back to growing buffers, with the same result.
func TestReadStoreLimitSameStore(t *testing.T) {
	s, keys := stateWithHashes(t, 20_000)
	raw := snapshot(t, s)
	for _, limit := range []int64{0, int64(len(raw)), int64(len(raw)) / 3, 1} {
		got, err := ReadStoreLimit(bytes.NewReader(raw), limit)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if again := snapshot(t, got); !bytes.Equal(again, raw) {
			t.Fatalf("limit %d: the store read back writes other bytes", limit)
		}
		d := got.dicts[contactkey.KindEmail]
		for i, k := range keys {
			if id, ok := d.Lookup(k); !ok || id != uint32(i) {
				t.Fatalf("limit %d: key %d has id %d, %v; want %d", limit, i, id, ok, i)
			}
		}
	}
}

// Truncated input is still an error that says so, with the limit set to
// what the input holds.
func TestReadStoreLimitTruncated(t *testing.T) {
	s, _ := stateWithHashes(t, 300)
	raw := snapshot(t, s)
	for n := 0; n < len(raw); n += 7 {
		if _, err := ReadStoreLimit(bytes.NewReader(raw[:n]), int64(n)); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("truncated at %d of %d: %v", n, len(raw), err)
		}
	}
}

// dictsToV1 rewrites a store snapshot as builds before dictionary
// format 2 wrote it: each dictionary as its values only (version 1),
// with every checksum fixed. It finds the dictionaries by their magic
// and takes their length from a read in place.
func dictsToV1(t *testing.T, raw []byte) []byte {
	t.Helper()
	var out []byte
	rest := raw
	for {
		i := bytes.Index(rest, []byte("HUSHDICT"))
		if i < 0 {
			break
		}
		d, build, n, err := contactkey.DictionaryFromBytes(rest[i:], false)
		if err != nil || build() != nil {
			t.Fatalf("dictionary at %d: %v", len(raw)-len(rest)+i, err)
		}
		out = append(out, rest[:i]...)
		v1 := append([]byte("HUSHDICT"), 1, 0, 0, 0)
		v1 = binary.LittleEndian.AppendUint64(v1, uint64(d.Len()))
		for _, v := range d.AppendValues(nil, 0) {
			v1 = binary.LittleEndian.AppendUint64(v1, v)
		}
		v1 = binary.LittleEndian.AppendUint32(v1, crc32.Checksum(v1, castagnoli))
		out = append(out, v1...)
		rest = rest[i+n:]
	}
	return fixCRC(append(out, rest...))
}

// A store snapshot whose dictionaries are in format 1 (values only, as
// older builds wrote it) still reads, streamed and in place, into the
// same store: it writes back today's bytes, and its keys have their ids.
func TestReadStoreDictionaryVersion1(t *testing.T) {
	for _, n := range []int{0, 1, 5000} {
		s, keys := stateWithHashes(t, n)
		raw := snapshot(t, s)
		old := dictsToV1(t, raw)
		if bytes.Equal(old, raw) || len(old) >= len(raw) {
			t.Fatalf("n %d: the format 1 form is not smaller (%d vs %d bytes)", n, len(old), len(raw))
		}
		streamed, err := ReadStoreLimit(bytes.NewReader(old), int64(len(old)))
		if err != nil {
			t.Fatalf("n %d: %v", n, err)
		}
		inPlace, took, err := ReadStoreBytes(old, false)
		if err != nil || took != len(old) {
			t.Fatalf("n %d: in place: %d of %d bytes, %v", n, took, len(old), err)
		}
		for _, got := range []*Store{streamed, inPlace} {
			if again := snapshot(t, got); !bytes.Equal(again, raw) {
				t.Fatalf("n %d: a format 1 snapshot read back writes other bytes", n)
			}
			d := got.dicts[contactkey.KindEmail]
			for i, k := range keys {
				if id, ok := d.Lookup(k); !ok || id != uint32(i) {
					t.Fatalf("n %d: key %d has id %d, %v; want %d", n, i, id, ok, i)
				}
			}
		}
	}
}

// A duplicate in a format 1 dictionary (found by its build, which runs
// beside the decoder) is corruption naming the dictionary.
func TestReadStoreDictionaryDuplicate(t *testing.T) {
	s, keys := stateWithHashes(t, 5000)
	raw := dictsToV1(t, snapshot(t, s))
	var second [8]byte
	binary.LittleEndian.PutUint64(second[:], keys[4000])
	i := bytes.Index(raw, second[:])
	if i < 0 {
		t.Fatal("key not found in the snapshot bytes")
	}
	bad := bytes.Clone(raw)
	binary.LittleEndian.PutUint64(bad[i:], keys[10])
	// Fix the dictionary's own CRC-32C (it follows its values) and the
	// store's, so that the duplicate is what is found.
	dictEnd := i - 8*4000 + 8*len(keys)
	binary.LittleEndian.PutUint32(bad[dictEnd:], crc32.Checksum(bad[dictEnd-8*len(keys)-20:dictEnd], castagnoli))
	bad = fixCRC(bad)
	_, err := ReadStoreLimit(bytes.NewReader(bad), int64(len(bad)))
	if !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), "email dictionary") || !strings.Contains(err.Error(), "appears at ids 10 and 4000") {
		t.Fatalf("got %v", err)
	}
}

// A format 2 dictionary's table that does not fit its values (checksums
// made to agree) is corruption naming the dictionary, streamed and in
// place; a flipped byte anywhere in it is caught by a checksum.
func TestReadStoreDictionaryTableDamage(t *testing.T) {
	s, _ := stateWithHashes(t, 5000)
	raw := snapshot(t, s)
	// The e-mail dictionary is the one with 5000 values.
	var start, n int
	for off := 0; ; {
		i := bytes.Index(raw[off:], []byte("HUSHDICT"))
		if i < 0 {
			t.Fatal("e-mail dictionary not found")
		}
		d, _, m, err := contactkey.DictionaryFromBytes(raw[off+i:], false)
		if err != nil {
			t.Fatal(err)
		}
		if d.Len() == 5000 {
			start, n = off+i, m
			break
		}
		off += i + m
	}
	// The last tag of the table (0 or set) made the other.
	tagAt := start + n - 4 - 1
	bad := bytes.Clone(raw)
	bad[tagAt] ^= 0x81
	binary.LittleEndian.PutUint32(bad[start+n-4:], crc32.Checksum(bad[start:start+n-4], castagnoli))
	bad = fixCRC(bad)
	if _, err := ReadStoreLimit(bytes.NewReader(bad), int64(len(bad))); !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), "email dictionary") || !strings.Contains(err.Error(), "table does not fit") {
		t.Fatalf("streamed: got %v", err)
	}
	if _, _, err := ReadStoreBytes(bad, true); !errors.Is(err, ErrCorruptSnapshot) || !strings.Contains(err.Error(), "table does not fit") {
		t.Fatalf("in place: got %v", err)
	}
	for _, off := range []int{start + 24, start + n/2, tagAt} {
		flipped := bytes.Clone(raw)
		flipped[off] ^= 0x04
		if _, err := ReadStoreLimit(bytes.NewReader(flipped), int64(len(flipped))); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("byte %d flipped, streamed: %v", off, err)
		}
		if _, _, err := ReadStoreBytes(flipped, false); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("byte %d flipped, in place: %v", off, err)
		}
	}
}
