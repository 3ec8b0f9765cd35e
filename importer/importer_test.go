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
// (a server lowers their threads' priority with it), Options.Yield runs
// between slices of the work, and the keys, counts and rejected lines
// come out as without hooks, whatever the number of workers. With one
// worker one goroutine reads and parses (a one-core server's import holds
// one P, not two).
func TestImportHooksAndWorkers(t *testing.T) {
	norm, err := contactkey.NewNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i := range 1<<20 + 1000 { // past the size the sort goes parallel at
		fmt.Fprintf(&in, "%03d%07d\n", 212+100*(i%3), 2000000+i)
		if i%100_000 == 7 {
			fmt.Fprintf(&in, "not a number %d\n", i)
		}
	}
	type out struct {
		keys      []uint64
		rows, acc uint64
		rejected  string
	}
	parse := func(workers int, start, yield func()) out {
		t.Helper()
		var rej strings.Builder
		rw, err := newRejectWriter(&rej)
		if err != nil {
			t.Fatal(err)
		}
		var res Result
		opts := Options{Normalizer: norm, Workers: workers, WorkerStart: start, Yield: yield}
		keys, err := readRegistry(context.Background(), strings.NewReader(in.String()), opts, rw, &res)
		if err != nil {
			t.Fatal(err)
		}
		if err := rw.w.Flush(); err != nil {
			t.Fatal(err)
		}
		keys, _ = sortKeys(keys, nil, workers, opts.hooks())
		return out{keys, res.Rows, res.Accepted, rej.String()}
	}
	want := parse(2, nil, nil)
	if len(want.keys) == 0 || !slices.IsSorted(want.keys) || strings.Count(want.rejected, "not a number") != 11 {
		t.Fatalf("reference import: %d keys (sorted %v), rejected %q", len(want.keys), slices.IsSorted(want.keys), want.rejected)
	}
	tests := []struct {
		workers    int
		goroutines int64 // that run WorkerStart
	}{
		{1, 1}, // reading and parsing in turn; the sort runs on the caller
		{2, 5}, // the splitter, two parsers, two sort workers
		{3, 7},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.workers), func(t *testing.T) {
			var n, y atomic.Int64
			got := parse(tc.workers, func() { n.Add(1) }, func() { y.Add(1) })
			if n.Load() != tc.goroutines {
				t.Fatalf("WorkerStart ran %d times, want %d (one per goroutine)", n.Load(), tc.goroutines)
			}
			// At least once per yieldEvery lines parsed and keys sorted.
			if min := int64(2 * (1 << 20) / yieldEvery); y.Load() < min {
				t.Fatalf("Yield ran %d times, want at least %d", y.Load(), min)
			}
			if !slices.Equal(got.keys, want.keys) || got.rows != want.rows || got.acc != want.acc || got.rejected != want.rejected {
				t.Fatalf("workers=%d: %d keys, %d rows, %d accepted, rejected %d bytes; want %d, %d, %d, %d",
					tc.workers, len(got.keys), got.rows, got.acc, len(got.rejected), len(want.keys), want.rows, want.acc, len(want.rejected))
			}
		})
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
