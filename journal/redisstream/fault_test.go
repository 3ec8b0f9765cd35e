package redisstream

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal"
)

// Redis killed (SIGKILL) and restarted mid-stream, with AOF and
// appendfsync always as the README recommends: appends while it is down
// fail, never acknowledged; after the restart appends succeed, and every
// acknowledged record is in the log at the seq it was acknowledged with,
// dense and in order.
func TestRedisKilledMidStream(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Config{AOF: true})
	j := openT(t, Options{URL: srv.URL()})

	type acked struct {
		seq journal.Seq
		rec []byte
	}
	var mu sync.Mutex
	var acks []acked
	var failures int
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				recs := [][]byte{fmt.Appendf(nil, "w%d-%05d-a", w, i), fmt.Appendf(nil, "w%d-%05d-b", w, i)}
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				first, err := j.Append(ctx, recs...)
				cancel()
				mu.Lock()
				if err != nil {
					failures++
				} else {
					acks = append(acks, acked{first, recs[0]}, acked{first + 1, recs[1]})
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	countAcks := func() int { mu.Lock(); defer mu.Unlock(); return len(acks) }
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("appends before the kill", func() bool { return countAcks() > 200 })
	srv.Kill()
	before := countAcks()
	// While it is down, nothing is acknowledged.
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := j.Append(ctx, []byte("while down"))
		cancel()
		if err == nil {
			t.Fatal("Append succeeded while Redis was down")
		}
	}
	if _, err := j.Await(context.Background(), 0, 10*time.Millisecond); err == nil {
		t.Fatal("Await succeeded while Redis was down")
	}
	time.Sleep(100 * time.Millisecond)
	if got := countAcks(); got > before+6 { // at most the three appends in flight at the kill
		t.Fatalf("%d records acknowledged while Redis was down", got-before)
	}
	srv.Restart()
	waitFor("appends after the restart", func() bool { return countAcks() > before+200 })
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if failures == 0 {
		t.Fatal("no Append failed across the kill")
	}

	// A fresh instance (and the old one) see every acknowledged record.
	for _, jj := range []*Journal{j, openT(t, Options{URL: srv.URL()})} {
		log := map[journal.Seq][]byte{}
		next := journal.Seq(1)
		err := jj.Replay(0, func(seq journal.Seq, rec []byte) error {
			if seq != next {
				return fmt.Errorf("seq %d after %d", seq, next-1)
			}
			next++
			log[seq] = bytes.Clone(rec)
			return nil
		})
		if err != nil {
			t.Fatalf("Replay after the restart: %v", err)
		}
		for _, a := range acks {
			if got, ok := log[a.seq]; !ok || !bytes.Equal(got, a.rec) {
				t.Fatalf("acknowledged seq %d = %q is %q after the restart", a.seq, a.rec, got)
			}
		}
		if jj.LastSeq() != next-1 {
			t.Fatalf("LastSeq %d, log ends at %d", jj.LastSeq(), next-1)
		}
	}
	t.Logf("%d records acknowledged, %d appends failed across the kill", len(acks), failures)
}

// A Replay or snapshot operation against a dead Redis fails with an error
// (and recovers when it is back), never returns a silently short log.
func TestReadsFailWhileDown(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Config{AOF: true})
	j := openT(t, Options{URL: srv.URL()})
	for i := range 10 {
		if _, err := j.Append(context.Background(), fmt.Appendf(nil, "r%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	srv.Kill()
	if err := j.Replay(0, func(journal.Seq, []byte) error { return nil }); err == nil {
		t.Fatal("Replay succeeded while Redis was down")
	}
	if _, err := j.Snapshots(); err == nil {
		t.Fatal("Snapshots succeeded while Redis was down")
	}
	if err := j.Ping(context.Background()); err == nil {
		t.Fatal("Ping succeeded while Redis was down")
	}
	srv.Restart()
	n := 0
	if err := j.Replay(0, func(journal.Seq, []byte) error { n++; return nil }); err != nil || n != 10 {
		t.Fatalf("Replay after restart: %d records, %v", n, err)
	}
	if err := j.Ping(context.Background()); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
}
