package scheduler

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBadSpecNamesTheJob(t *testing.T) {
	s := New(nil, nil)
	err := s.Add(Job{Name: "rfm.refresh", Spec: "0 25 * * *", Run: func(context.Context, time.Time) error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "rfm.refresh") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunsOnScheduleAndStops(t *testing.T) {
	var logs atomic.Int64
	s := New(time.UTC, func(string, ...any) { logs.Add(1) })
	var n atomic.Int64
	if err := s.Add(Job{Name: "tick", Spec: "@every 1s", Run: func(ctx context.Context, _ time.Time) error {
		n.Add(1)
		return errors.New("boom")
	}}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	if n.Load() == 0 || s.Runs() == 0 || logs.Load() == 0 {
		t.Fatalf("runs %d, logged %d", n.Load(), logs.Load())
	}
	after := n.Load()
	time.Sleep(1200 * time.Millisecond)
	if n.Load() != after {
		t.Fatal("a job ran after Stop")
	}
}

func TestNoOverlap(t *testing.T) {
	var skipped atomic.Int64
	s := New(nil, func(f string, _ ...any) {
		if strings.Contains(f, "still going") {
			skipped.Add(1)
		}
	})
	release := make(chan struct{})
	var running atomic.Int64
	s.Add(Job{Name: "slow", Spec: "@every 1s", Run: func(ctx context.Context, _ time.Time) error {
		if running.Add(1) > 1 {
			t.Error("two runs at once")
		}
		defer running.Add(-1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}})
	s.Start()
	deadline := time.Now().Add(10 * time.Second)
	for skipped.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	close(release)
	s.Stop()
	if skipped.Load() == 0 {
		t.Fatal("an overlapping run was not skipped")
	}
}
