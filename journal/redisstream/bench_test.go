package redisstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/hushcrm/hush/journal"
)

// go test -run XXX -bench . ./journal/redisstream/
// Redis is a private server on a unix socket (no AOF): this measures the
// backend and the round trips, not the disk.

func benchJournal(b *testing.B) *Journal {
	b.Helper()
	return openT(b, Options{URL: singleURL(b)})
}

func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			j := benchJournal(b)
			recs := make([][]byte, n)
			for i := range recs {
				recs[i] = bytes.Repeat([]byte{'r'}, 100)
			}
			b.SetBytes(int64(100 * n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := j.Append(context.Background(), recs...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Concurrent single-record appends (several engines, or one engine's
// writer with several callers).
func BenchmarkAppendParallel(b *testing.B) {
	j := benchJournal(b)
	rec := bytes.Repeat([]byte{'p'}, 100)
	b.SetBytes(100)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := j.Append(context.Background(), rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// Replay of 200k records of 64 bytes written in batches of 100, as the
// engine's group commit writes them.
func BenchmarkReplay(b *testing.B) {
	j := benchJournal(b)
	const total, batch = 200_000, 100
	recs := make([][]byte, batch)
	for i := range recs {
		recs[i] = bytes.Repeat([]byte{'e'}, 64)
	}
	for range total / batch {
		if _, err := j.Append(context.Background(), recs...); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(total * 64)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := j.Replay(0, func(journal.Seq, []byte) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != total {
			b.Fatalf("replayed %d", n)
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// Snapshot read throughput (MB/s) decides how fast a new instance
// bootstraps: issue 6 wants a 50M-entry list ready in 15 s.
func BenchmarkSnapshotRead(b *testing.B) {
	j := benchJournal(b)
	const size = 128 << 20
	if _, err := j.Append(context.Background(), []byte("x")); err != nil {
		b.Fatal(err)
	}
	writeBenchSnapshot(b, j, size)
	buf := make([]byte, 1<<20)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		rc, err := j.OpenSnapshot(1)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, rc, buf)
		rc.Close()
		if err != nil || n != size {
			b.Fatalf("read %d, %v", n, err)
		}
	}
}

func BenchmarkSnapshotWrite(b *testing.B) {
	j := benchJournal(b)
	const size = 128 << 20
	if _, err := j.Append(context.Background(), []byte("x")); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		writeBenchSnapshot(b, j, size)
	}
}

func writeBenchSnapshot(b *testing.B, j *Journal, size int) {
	block := bytes.Repeat([]byte("0123456789abcdef"), 1<<12)
	err := j.WriteSnapshot(1, func(w io.Writer) error {
		for n := 0; n < size; n += len(block) {
			if _, err := w.Write(block); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
