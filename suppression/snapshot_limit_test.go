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

// A duplicate in a dictionary (found by its build, which runs beside the
// decoder) is corruption naming the dictionary.
func TestReadStoreDictionaryDuplicate(t *testing.T) {
	s, keys := stateWithHashes(t, 5000)
	raw := snapshot(t, s)
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
