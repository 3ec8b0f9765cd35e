package journaltest_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/journaltest"
)

func TestConformance(t *testing.T) {
	journal.RunConformance(t, journaltest.Opener())
}

func TestAwaitSeesOtherConnections(t *testing.T) {
	s := journaltest.NewStore()
	a, b := s.Open(), s.Open()
	ctx := context.Background()
	if last, err := b.Await(ctx, 0, time.Millisecond); err != nil || last != 0 {
		t.Fatalf("Await on an empty log = %d, %v; want 0, nil", last, err)
	}
	done := make(chan journal.Seq)
	go func() {
		last, err := b.Await(ctx, 0, time.Hour)
		if err != nil {
			t.Error(err)
		}
		done <- last
	}()
	if _, err := a.Append(ctx, []byte("x"), []byte("y")); err != nil {
		t.Fatal(err)
	}
	if last := <-done; last != 2 {
		t.Fatalf("Await returned %d, want 2", last)
	}
}

func TestFaults(t *testing.T) {
	s := journaltest.NewStore()
	j := s.Open()
	ctx := context.Background()
	s.SetDown(true)
	if _, err := j.Append(ctx, []byte("x")); !errors.Is(err, journaltest.ErrUnreachable) {
		t.Fatalf("Append while down: %v", err)
	}
	if _, err := j.Await(ctx, 0, time.Millisecond); !errors.Is(err, journaltest.ErrUnreachable) {
		t.Fatalf("Await while down: %v", err)
	}
	s.SetDown(false)
	s.LoseAcks(1)
	if _, err := j.Append(ctx, []byte("x")); err == nil {
		t.Fatal("Append with a lost ack succeeded")
	}
	if s.LastSeq() != 1 {
		t.Fatalf("the record of the lost ack is not in the log: last %d", s.LastSeq())
	}
	if _, err := j.Append(ctx, []byte("y")); err != nil {
		t.Fatal(err)
	}
	s.HoldSnapshotLease(true)
	if err := j.WriteSnapshot(2, func(io.Writer) error { return nil }); !errors.Is(err, journal.ErrSnapshotBusy) {
		t.Fatalf("WriteSnapshot under a held lease: %v", err)
	}
}
