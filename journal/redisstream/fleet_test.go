package redisstream

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hushcrm/hush/journal"
)

// Several Journals on one namespace, as several hush processes: concurrent
// appends get dense, unique seqs, and every instance replays the same log.
func TestFleetConcurrentAppends(t *testing.T) {
	for _, mode := range []string{"single", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			o := fleetOptions(t, mode)
			const instances, writersEach, appendsEach = 3, 4, 40
			js := make([]*Journal, instances)
			for i := range js {
				js[i] = openT(t, o)
			}
			var mu sync.Mutex
			got := map[journal.Seq][]byte{}
			var wg sync.WaitGroup
			errs := make(chan error, instances*writersEach)
			for i, j := range js {
				for w := range writersEach {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for k := range appendsEach {
							recs := make([][]byte, 1+k%3)
							for r := range recs {
								recs[r] = fmt.Appendf(nil, "i%d-w%d-k%d-r%d", i, w, k, r)
							}
							first, err := j.Append(context.Background(), recs...)
							if err != nil {
								errs <- err
								return
							}
							mu.Lock()
							for r, rec := range recs {
								if prev, dup := got[first+journal.Seq(r)]; dup {
									errs <- fmt.Errorf("seq %d given to %q and %q", first+journal.Seq(r), prev, rec)
								}
								got[first+journal.Seq(r)] = rec
							}
							mu.Unlock()
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			total := journal.Seq(len(got))
			for i, j := range js {
				var n journal.Seq
				err := j.Replay(0, func(seq journal.Seq, rec []byte) error {
					n++
					if seq != n || !bytes.Equal(rec, got[seq]) {
						return fmt.Errorf("seq %d = %q, want seq %d = %q", seq, rec, n, got[n])
					}
					return nil
				})
				if err != nil {
					t.Fatalf("instance %d: %v", i, err)
				}
				if n != total || j.LastSeq() != total {
					t.Fatalf("instance %d replayed %d, LastSeq %d, want %d", i, n, j.LastSeq(), total)
				}
			}
		})
	}
}

func fleetOptions(t *testing.T, mode string) Options {
	if mode == "cluster" {
		return Options{ClusterAddrs: clusterAddrs(t), Namespace: nsFor(t.Name())}
	}
	return Options{URL: singleURL(t)}
}

// Await on one instance wakes when another appends, returns at once when it
// is already behind, and times out with a nil error (Redis answered) when
// nothing comes.
func TestAwaitWakesOnAnotherInstance(t *testing.T) {
	for _, mode := range []string{"single", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			o := fleetOptions(t, mode)
			a, b := openT(t, o), openT(t, o)
			start := time.Now()
			last, err := b.Await(context.Background(), 0, 50*time.Millisecond)
			if err != nil || last != 0 {
				t.Fatalf("Await on an empty log = %d, %v", last, err)
			}
			if time.Since(start) < 40*time.Millisecond {
				t.Fatalf("Await returned after %v, before its wait", time.Since(start))
			}
			woke := make(chan journal.Seq, 1)
			go func() {
				last, err := b.Await(context.Background(), 0, 10*time.Second)
				if err != nil {
					t.Error(err)
				}
				woke <- last
			}()
			time.Sleep(50 * time.Millisecond)
			if _, err := a.Append(context.Background(), []byte("one"), []byte("two")); err != nil {
				t.Fatal(err)
			}
			select {
			case last := <-woke:
				if last != 2 {
					t.Fatalf("Await woke with %d, want 2", last)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Await did not wake on another instance's append")
			}
			if b.LastSeq() != 2 {
				t.Fatalf("LastSeq after Await = %d", b.LastSeq())
			}
			// Behind already: no wait.
			start = time.Now()
			if last, err := b.Await(context.Background(), 1, 10*time.Second); err != nil || last != 2 || time.Since(start) > time.Second {
				t.Fatalf("Await(1) = %d, %v after %v", last, err, time.Since(start))
			}
			// Cancelled context: returns promptly with its error.
			ctx, cancel := context.WithCancel(context.Background())
			go func() { time.Sleep(30 * time.Millisecond); cancel() }()
			start = time.Now()
			if _, err := b.Await(ctx, 2, 10*time.Second); err != context.Canceled || time.Since(start) > 2*time.Second {
				t.Fatalf("Await with a cancelled context = %v after %v", err, time.Since(start))
			}
		})
	}
}
