package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal/wal"
)

// BenchmarkFleetOptOutPropagation: an opt-out written on instance A is
// answered as suppressed by instance B (three instances on one Redis).
// Each iteration writes one opt-out on A and polls B's Check (every
// 100 µs) until it says suppressed; the metrics are the percentiles of
// that propagation time, from the start of the write on A, over b.N
// opt-outs (target: p99 ≤ 50 ms over 10,000: -benchtime=10000x).
func BenchmarkFleetOptOutPropagation(b *testing.B) {
	srv := redistest.StartServer(b, redistest.Config{})
	f := newRedisFleet(b, srv.URL(), 3, nil)
	a, bb := f.engines[0], f.engines[1]
	now := f.clock.Now()
	prop := make([]time.Duration, 0, b.N)
	write := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := uint64(13000000000 + i)
		t0 := time.Now()
		if err := optOut(b, a, p); err != nil {
			b.Fatal(err)
		}
		write = append(write, time.Since(t0))
		for decide(b, bb, p, now).Allowed {
			time.Sleep(100 * time.Microsecond)
		}
		prop = append(prop, time.Since(t0))
	}
	b.StopTimer()
	pct := func(d []time.Duration, q float64) float64 {
		slices.Sort(d)
		return float64(d[min(len(d)-1, int(q*float64(len(d))))]) / 1e6
	}
	b.ReportMetric(pct(prop, 0.50), "p50-ms")
	b.ReportMetric(pct(prop, 0.99), "p99-ms")
	b.ReportMetric(pct(prop, 1), "max-ms")
	b.ReportMetric(pct(write, 0.50), "write-p50-ms")
	b.ReportMetric(pct(write, 0.99), "write-p99-ms")
	syncAll(b, f.engines...)
	for _, e := range f.engines {
		if e.Applied() != a.Applied() {
			b.Fatalf("instances at %d and %d after the run", e.Applied(), a.Applied())
		}
	}
}

// BenchmarkCheckEmbeddedVsRedis: the same live check (10 lists of 100k
// numbers) on an engine over a WAL and on one of a fleet on Redis. Checks
// never touch Redis; the shared mode adds the staleness test (a clock
// read) to each. Compare the two sub-benchmarks of one run.
func BenchmarkCheckEmbeddedVsRedis(b *testing.B) {
	b.Run("embedded", func(b *testing.B) {
		e, _ := benchEngine(b, wal.Options{NoSync: true})
		benchCheck(b, e)
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.StartServer(b, redistest.Config{})
		f := newRedisFleet(b, srv.URL(), 1, func(o *Options) { o.Now = nil })
		benchCheck(b, f.engines[0])
	})
}
