package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/suppression"
)

// BenchmarkOptOut32Writers: 32 goroutines recording opt-outs through the
// engine with real fsync — the durable opt-outs/s the group commit gives.
// Target: >= 5,000/s on the 2-core machine.
func BenchmarkOptOut32Writers(b *testing.B) {
	e, j := benchEngine(b, wal.Options{})
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := b.N/32 + 1
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				v := 12000000000 + next.Add(1)
				if _, err := e.RecordOptOut(context.Background(), OptOutRequest{Key: contactkey.Key{Kind: contactkey.KindPhone, V: v}, Channels: suppression.AllChannels, Purposes: suppression.PurposeSet{All: true}}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(per*32)/time.Since(start).Seconds(), "optouts/s")
	st := j.Stats()
	b.ReportMetric(float64(st.Records)/float64(max(st.Syncs, 1)), "records/fsync")
}

// BenchmarkCheck: a live check through the engine (policy cache, read
// lock, Decide) against 10 lists.
func BenchmarkCheck(b *testing.B) {
	e, _ := benchEngine(b, wal.Options{NoSync: true})
	benchCheck(b, e)
}

// benchCheck loads 10 lists of 100k numbers into e, then times the live
// check of a number on the first list (failing if it is allowed).
func benchCheck(b *testing.B, e *Engine) {
	ctx := context.Background()
	for i := range 10 {
		name := string(rune('a'+i)) + "_list"
		if _, err := e.CreateList(ctx, suppression.ListSpec{Name: name, Kind: contactkey.KindPhone, Type: suppression.Deny, Channels: suppression.AllChannels, Purposes: suppression.PurposeSet{All: true}, Source: "national_registry"}); err != nil {
			b.Fatal(err)
		}
		im, err := e.BeginImport(ctx, name, suppression.Replace, "bench")
		if err != nil {
			b.Fatal(err)
		}
		keys := make([]uint64, 100000)
		for k := range keys {
			keys[k] = 12000000000 + uint64(k*97+i)
		}
		if err := im.Add(ctx, keys, nil); err != nil {
			b.Fatal(err)
		}
		if _, _, err := im.Commit(ctx, 0, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
	scope := suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}
	keys := []contactkey.Key{{Kind: contactkey.KindPhone, V: 12000000097}}
	reasons := make([]suppression.Reason, 0, 16)
	at := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d, err := e.Check(scope, keys, at, reasons)
		if err != nil {
			b.Fatal(err)
		}
		if d.Allowed {
			b.Fatal("a listed number allowed")
		}
	}
}

// benchEngine opens an engine on a WAL in a temp dir; both close with b.
func benchEngine(b testing.TB, opts wal.Options) (*Engine, *wal.WAL) {
	b.Helper()
	j, err := wal.Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	h, _ := contactkey.NewHasher(testSecret)
	e, err := Open(context.Background(), j, Options{Hasher: h})
	if err != nil {
		j.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close(); j.Close() })
	return e, j
}
