package wal

import (
	"testing"

	"github.com/hushcrm/hush/journal"
)

func TestConformance(t *testing.T) {
	configs := []struct {
		name string
		opts Options
	}{
		// Real fsyncs, as in production, with segments small enough that
		// the suite's truncation and reopen cases cross segment boundaries.
		{"durable", Options{SegmentSize: 4 << 10}},
		// One group commit per segment: every flush rotates.
		{"tiny-segments-nosync", Options{SegmentSize: 1, NoSync: true}},
		// Snapshots mapped and verified at open (one-shot commands).
		{"mapped-snapshots", Options{SegmentSize: 4 << 10, NoSync: true, MapSnapshots: true}},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			journal.RunConformance(t, func(t *testing.T, dir string) journal.Journal {
				w, err := Open(dir, c.opts)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return w
			})
		})
	}
}
