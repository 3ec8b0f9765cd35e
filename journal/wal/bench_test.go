package wal

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushcrm/hush/journal"
)

// benchAppend runs b.N appends of 100-byte records from writers goroutines
// and reports durable appends per second and how many records each fsync
// carried.
func benchAppend(b *testing.B, writers int, opts Options) {
	w, err := Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rec := make([]byte, 100)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := w.Append(context.Background(), rec); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	st := w.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	if st.Syncs > 0 {
		b.ReportMetric(float64(st.Records)/float64(st.Syncs), "records/fsync")
		b.ReportMetric(float64(st.SyncNanos)/float64(st.Syncs)/1e3, "µs/fsync")
	}
}

// BenchmarkAppend32Writers is the engine's requirement: durable appends
// (real fsync on this disk) from 32 concurrent writers.
func BenchmarkAppend32Writers(b *testing.B) { benchAppend(b, 32, Options{}) }

// BenchmarkAppendWriters sweeps the number of writers: one writer pays a
// whole fsync per append; group commit spreads it over the queue.
func BenchmarkAppendWriters(b *testing.B) {
	for _, n := range []int{1, 4, 32, 128} {
		b.Run(itoa(n), func(b *testing.B) { benchAppend(b, n, Options{}) })
	}
}

// BenchmarkAppend32WritersNoSync is the CPU cost of the append path alone.
func BenchmarkAppend32WritersNoSync(b *testing.B) { benchAppend(b, 32, Options{NoSync: true}) }

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// BenchmarkReplay reads a 64 MiB log of 100-byte records (from the page
// cache) and reports MB/s of segment bytes.
func BenchmarkReplay(b *testing.B) {
	dir := b.TempDir()
	w, err := Open(dir, Options{NoSync: true, SegmentSize: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	batch := make([][]byte, 1000)
	for i := range batch {
		batch[i] = make([]byte, 100)
		batch[i][0] = byte(i)
	}
	for w.Stats().Bytes < 64<<20 {
		if _, err := w.Append(context.Background(), batch...); err != nil {
			b.Fatal(err)
		}
	}
	total := w.Stats().Bytes
	n := w.LastSeq()
	b.SetBytes(int64(total))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var count journal.Seq
		err := w.Replay(0, func(seq journal.Seq, rec []byte) error {
			count++
			return nil
		})
		if err != nil || count != n {
			b.Fatalf("replayed %d of %d: %v", count, n, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
