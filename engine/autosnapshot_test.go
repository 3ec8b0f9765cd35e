package engine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/suppression"
)

// waitWriter returns once the writer has finished the batch it was in
// (the snapshot after a commit comes after the commit's reply).
func (h *harness) waitWriter() {
	h.t.Helper()
	if err := h.e.control(context.Background(), func() error { return nil }); err != nil {
		h.t.Fatal(err)
	}
}

func snapshotFiles(t *testing.T, dir string) []string {
	t.Helper()
	snaps, err := filepath.Glob(filepath.Join(dir, "snapshots", "*.snap"))
	if err != nil {
		t.Fatal(err)
	}
	return snaps
}

// spreadPhones are n distinct numbers from the i-th on, scattered over
// 10 digits, so that a chunk record holds ≈ 5 bytes per key (delta
// varints of sequential numbers would be 1 byte).
func spreadPhones(from, n int) []uint64 {
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = 2000000000 + uint64(from+i)*2654435761%7000000000
	}
	return keys
}

// A big import is followed by a snapshot (so the next process loads it
// instead of replaying the import); a small one, or one that is small
// beside the state, is not.
func TestSnapshotAfterBigImport(t *testing.T) {
	cases := []struct {
		name  string
		sizes []int // keys per import, in order
		want  []int // snapshot files after each import
	}{
		{"small import: no snapshot", []int{1000}, []int{0}},
		// 400k keys are ≈ 2 MB of chunk records: over the 1 MiB floor.
		{"big import: snapshot", []int{400_000}, []int{1}},
		{"small imports add up", []int{150_000, 150_000}, []int{0, 1}},
		// After the snapshot of 600k keys (a few MB), 250k more are over
		// the floor and over 1/32 of the state: due again.
		{"second big import: second snapshot", []int{600_000, 250_000}, []int{1, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			h := newHarness(t, dir)
			h.createList("dnc", contactkey.KindPhone, "call", "all", "national_registry")
			from := 0
			var keys []uint64
			for i, n := range tc.sizes {
				keys = spreadPhones(from, n)
				h.importKeys("dnc", suppression.Add, keys)
				from += n
				h.waitWriter()
				if got := len(snapshotFiles(t, dir)); got != tc.want[i] {
					t.Fatalf("after import %d (%d keys): %d snapshots, want %d", i+1, n, got, tc.want[i])
				}
			}
			h.reopen()
			defer h.close()
			if h.allowed(callDM, phone(keys[0])) || h.allowed(callDM, phone(keys[len(keys)-1])) {
				t.Fatal("imported numbers allowed after restart")
			}
		})
	}
}

// The ratio rule: once the state is big, an import of just over the
// floor but tiny beside the state's snapshot does not rewrite it.
func TestNoSnapshotForImportSmallBesideState(t *testing.T) {
	h := newHarness(t, t.TempDir())
	defer h.close()
	h.e.autoSnap.lastBytes = 1 << 40 // as if the last snapshot were 1 TiB
	h.createList("dnc", contactkey.KindPhone, "call", "all", "national_registry")
	h.importKeys("dnc", suppression.Add, spreadPhones(0, 400_000))
	h.waitWriter()
	if got := len(snapshotFiles(t, h.dir)); got != 0 {
		t.Fatalf("%d snapshots after an import of 1/500000 of the state, want 0", got)
	}
}
