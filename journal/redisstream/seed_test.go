package redisstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal"
)

// Seed starts an empty namespace at a position: the snapshot is there,
// the log is empty and continues after it; a namespace with records or
// snapshots is refused.
func TestSeedStartsAnEmptyNamespaceAtAPosition(t *testing.T) {
	sock := redistest.Start(t)
	ctx := context.Background()
	open := func(ns string) *Journal {
		j, err := Open(ctx, Options{URL: "unix://" + sock, Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		return j
	}
	state := []byte("the whole state at record 41")
	write := func(w io.Writer) error { _, err := w.Write(state); return err }
	if err := open("moved").Seed(ctx, 41, write); err != nil {
		t.Fatal(err)
	}
	j := open("moved")
	if j.LastSeq() != 41 || j.FirstSeq() != 42 {
		t.Fatalf("after the seed: last %d first %d, want 41 42", j.LastSeq(), j.FirstSeq())
	}
	snaps, err := j.Snapshots()
	if err != nil || len(snaps) != 1 || snaps[0] != 41 {
		t.Fatalf("snapshots %v %v", snaps, err)
	}
	rc, err := j.OpenSnapshot(41)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, state) {
		t.Fatalf("snapshot %q %v", got, err)
	}
	if err := j.Replay(41, func(journal.Seq, []byte) error { t.Fatal("records in a seeded log"); return nil }); err != nil {
		t.Fatal(err)
	}
	if seq, err := j.Append(ctx, []byte("next")); err != nil || seq != 42 {
		t.Fatalf("first append after the seed: %d %v, want 42", seq, err)
	}
	if err := j.Seed(ctx, 50, write); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("seeding a log with records: %v, want ErrNotEmpty", err)
	}
	fresh := open("fresh")
	if _, err := fresh.Append(ctx, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Seed(ctx, 9, write); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("seeding a used namespace: %v, want ErrNotEmpty", err)
	}
	if err := open("zero").Seed(ctx, 0, write); err == nil {
		t.Fatal("seeding position 0 accepted")
	}
}
