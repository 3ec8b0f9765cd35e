package importer

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// Every goroutine a registry import starts runs Options.WorkerStart first
// (a server lowers their threads' priority with it), and the keys come
// out parsed and sorted as without it.
func TestWorkerStartRunsInEveryImportGoroutine(t *testing.T) {
	norm, err := contactkey.NewNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i := range 1<<20 + 1000 { // past the size the sort goes parallel at
		fmt.Fprintf(&in, "%03d%07d\n", 212+100*(i%3), 2000000+i)
	}
	parse := func(start func()) []uint64 {
		t.Helper()
		rw, err := newRejectWriter(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var res Result
		keys, err := readRegistry(context.Background(), strings.NewReader(in.String()), Options{Normalizer: norm, Workers: 2, WorkerStart: start}, rw, &res)
		if err != nil {
			t.Fatal(err)
		}
		keys, _ = sortKeys(keys, nil, 2, start)
		return keys
	}
	var n atomic.Int64
	got := parse(func() { n.Add(1) })
	// The splitter, two parsers, two sort workers.
	if n.Load() != 5 {
		t.Fatalf("WorkerStart ran %d times, want 5 (one per goroutine)", n.Load())
	}
	if want := parse(nil); !slices.Equal(got, want) || len(got) == 0 || !slices.IsSorted(got) {
		t.Fatalf("keys with WorkerStart differ from without (%d vs %d, sorted %v)", len(got), len(want), slices.IsSorted(got))
	}
}
