package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

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
	parse := func(start, yield func()) []uint64 {
		t.Helper()
		rw, err := newRejectWriter(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var res Result
		opts := Options{Normalizer: norm, Workers: 2, WorkerStart: start, Yield: yield}
		keys, err := readRegistry(context.Background(), strings.NewReader(in.String()), opts, rw, &res)
		if err != nil {
			t.Fatal(err)
		}
		keys, _ = sortKeys(keys, nil, 2, opts.hooks())
		return keys
	}
	var n, y atomic.Int64
	got := parse(func() { n.Add(1) }, func() { y.Add(1) })
	// The splitter, two parsers, two sort workers.
	if n.Load() != 5 {
		t.Fatalf("WorkerStart ran %d times, want 5 (one per goroutine)", n.Load())
	}
	// At least once per yieldEvery lines parsed and keys sorted.
	if min := int64(2 * (1 << 20) / yieldEvery); y.Load() < min {
		t.Fatalf("Yield ran %d times, want at least %d", y.Load(), min)
	}
	if want := parse(nil, nil); !slices.Equal(got, want) || len(got) == 0 || !slices.IsSorted(got) {
		t.Fatalf("keys with the hooks differ from without (%d vs %d, sorted %v)", len(got), len(want), slices.IsSorted(got))
	}
}

// readFullYielding reads what io.ReadFull reads, with the same errors,
// however the reader cuts its answers.
func TestReadFullYielding(t *testing.T) {
	data := strings.Repeat("0123456789", 30000) // 300,000 bytes: several slices
	boom := errors.New("boom")
	tests := []struct {
		name string
		r    func() io.Reader
		size int
	}{
		{"exact", func() io.Reader { return strings.NewReader(data) }, len(data)},
		{"short buffer", func() io.Reader { return strings.NewReader(data) }, 100_000},
		{"long buffer", func() io.Reader { return strings.NewReader(data) }, 400_000},
		{"empty input", func() io.Reader { return strings.NewReader("") }, 10},
		{"one byte at a time", func() io.Reader { return iotest.OneByteReader(strings.NewReader(data[:1000])) }, 2000},
		{"data with EOF", func() io.Reader { return iotest.DataErrReader(strings.NewReader(data)) }, len(data)},
		{"data with EOF, long buffer", func() io.Reader { return iotest.DataErrReader(strings.NewReader(data)) }, len(data) + 1},
		{"error midway", func() io.Reader { return io.MultiReader(strings.NewReader(data[:70_000]), iotest.ErrReader(boom)) }, len(data)},
		{"half reads", func() io.Reader { return iotest.HalfReader(strings.NewReader(data)) }, len(data)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := make([]byte, tc.size)
			wn, werr := io.ReadFull(tc.r(), want)
			got := make([]byte, tc.size)
			steps := 0
			gn, gerr := readFullYielding(tc.r(), got, hooks{yield: func() { steps++ }})
			if gn != wn || !errors.Is(gerr, werr) || !bytes.Equal(got[:gn], want[:wn]) {
				t.Fatalf("read %d, %v; io.ReadFull read %d, %v", gn, gerr, wn, werr)
			}
			if gn > 0 && steps < gn/readSlice {
				t.Fatalf("%d yields for %d bytes", steps, gn)
			}
		})
	}
}
