package journal_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/journaltest"
)

// The conformance suite asks nothing a non-file backend cannot give: it
// passes on journaltest's in-memory log as it does on the WAL and Redis.
func TestConformanceInMemory(t *testing.T) {
	journal.RunConformance(t, journaltest.Opener())
}

func TestCorruptionErrorUnwraps(t *testing.T) {
	err := fmt.Errorf("open: %w", &journal.CorruptionError{Dir: "/d", File: "wal/x.seg", Offset: 42, Err: journal.ErrMissingRecords})
	var ce *journal.CorruptionError
	if !errors.As(err, &ce) || ce.Offset != 42 {
		t.Fatalf("errors.As failed on %v", err)
	}
	want := "journal corrupted: /d/wal/x.seg at offset 42: journal: records missing from the log"
	if ce.Error() != want {
		t.Fatalf("Error() = %q, want %q", ce.Error(), want)
	}
	if !errors.Is(err, journal.ErrMissingRecords) {
		t.Fatal("CorruptionError does not unwrap to its cause")
	}
}
