package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal/redisstream"
	"github.com/hushcrm/hush/suppression"
)

// The fleet on real Redis: private redis-server processes (redistest),
// the journal/redisstream backend, several engines in this process (and
// one in a child process that is killed with SIGKILL).

// redisFleet is engines on one Redis namespace.
type redisFleet struct {
	t       testing.TB
	url, ns string
	cluster []string       // Cluster mode instead of url
	via     map[int]string // instance i reaches Redis at this URL instead (a proxy)
	clock   *fleetClock
	conns   []*redisstream.Journal
	engines []*Engine
}

func newRedisFleet(t testing.TB, url string, n int, tune func(*Options)) *redisFleet {
	t.Helper()
	f := &redisFleet{t: t, url: url, ns: "fleet", clock: newFleetClock()}
	for i := range n {
		f.open(i, tune)
	}
	t.Cleanup(func() {
		for i, e := range f.engines {
			if e != nil {
				e.Close()
				f.conns[i].Close()
			}
		}
	})
	return f
}

func (f *redisFleet) journal() *redisstream.Journal { return f.journalAt(f.url) }

func (f *redisFleet) journalAt(url string) *redisstream.Journal {
	f.t.Helper()
	o := redisstream.Options{URL: url, Namespace: f.ns}
	if f.cluster != nil {
		o = redisstream.Options{ClusterAddrs: f.cluster, Namespace: f.ns}
	}
	j, err := redisstream.Open(context.Background(), o)
	if err != nil {
		f.t.Fatalf("redisstream.Open: %v", err)
	}
	return j
}

// open starts (or restarts) instance i.
func (f *redisFleet) open(i int, tune func(*Options)) *Engine {
	f.t.Helper()
	opts := fleetOptions(f.clock, fmt.Sprintf("instance-%d", i))
	if tune != nil {
		tune(&opts)
	}
	url := f.url
	if v, ok := f.via[i]; ok {
		url = v
	}
	j := f.journalAt(url)
	e := openFleetEngine(f.t, j, opts)
	for len(f.engines) <= i {
		f.conns, f.engines = append(f.conns, nil), append(f.engines, nil)
	}
	f.conns[i], f.engines[i] = j, e
	return e
}

func (f *redisFleet) live() []*Engine {
	var out []*Engine
	for _, e := range f.engines {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// Three instances on one Redis, 10k mixed writes spread over all three at
// once: afterwards all three hold byte-identical state, answer the same
// 100k checks identically, and equal one engine replaying the log alone.
func TestRedisFleetConverges(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Config{})
	f := newRedisFleet(t, srv.URL(), 3, nil)
	st := fleetWorkload(t, f.engines, 10000, 7)
	if st.writes.Load() < 7000 {
		t.Fatalf("only %d of 10000 writes succeeded (%d rejected)", st.writes.Load(), st.rejected.Load())
	}
	t.Logf("%d writes acknowledged, %d rejected by the domain, log at %d", st.writes.Load(), st.rejected.Load(), f.conns[0].LastSeq())
	j := f.journal()
	defer j.Close()
	assertConverged(t, j, f.clock.Now(), 100000, f.engines...)
}

// The same on a 3-master Redis Cluster (the fleet's keys share one hash
// slot, so one node holds the log; the client finds it).
func TestRedisClusterFleetConverges(t *testing.T) {
	addrs := redistest.StartCluster(t, 3)
	f := &redisFleet{t: t, ns: "fleet", cluster: addrs, clock: newFleetClock()}
	for i := range 3 {
		f.open(i, nil)
	}
	t.Cleanup(func() {
		for i, e := range f.engines {
			e.Close()
			f.conns[i].Close()
		}
	})
	st := fleetWorkload(t, f.engines, 3000, 8)
	if st.writes.Load() < 2000 {
		t.Fatalf("only %d of 3000 writes succeeded (%d rejected)", st.writes.Load(), st.rejected.Load())
	}
	j := f.journal()
	defer j.Close()
	assertConverged(t, j, f.clock.Now(), 20000, f.engines...)
}

// Redis killed mid-stream and restarted: checks answer from memory until
// MaxStaleness, then stale_state; writes fail with ErrJournalUnreachable;
// after the restart everything catches up by itself and no acknowledged
// opt-out is lost.
func TestRedisKilledAndRestarted(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Config{AOF: true})
	f := newRedisFleet(t, srv.URL(), 3, nil)
	ctx := context.Background()

	var acked sync.Map
	var stop atomic.Bool
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w, e := range f.engines[:2] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				p := uint64(12025600000 + w*1000000 + i)
				err := optOut(t, e, p)
				switch {
				case err == nil:
					acked.Store(p, true)
				case errors.Is(err, ErrJournalUnreachable):
					failed.Add(1)
					time.Sleep(time.Millisecond)
				default:
					t.Errorf("opt-out %d: %v", p, err)
					return
				}
			}
		}()
	}
	count := func() int {
		n := 0
		acked.Range(func(any, any) bool { n++; return true })
		return n
	}
	eventually(t, "200 opt-outs acknowledged before the kill", func() bool { return count() >= 200 })
	srv.Kill()
	eventually(t, "writes fail while Redis is down", func() bool { return failed.Load() >= 5 })
	b := f.engines[2]
	clean := uint64(12025699999)
	if d := decide(t, b, clean, f.clock.Now()); !d.Allowed {
		t.Fatalf("within max staleness (Redis down): %+v", d)
	}
	f.clock.Advance(2 * time.Minute)
	for i, e := range f.engines {
		d := decide(t, e, clean, f.clock.Now())
		if d.Allowed || len(d.Reasons) != 1 || d.Reasons[0].Code != suppression.ReasonStaleState {
			t.Fatalf("instance %d past max staleness: %+v, want stale_state", i, d)
		}
		if ss := e.SyncState(); !ss.Stale || ss.CaughtUp {
			t.Fatalf("instance %d SyncState while Redis is down: %+v", i, ss)
		}
	}
	before := count()
	srv.Restart()
	eventually(t, "writes succeed again after the restart", func() bool { return count() >= before+200 })
	stop.Store(true)
	wg.Wait()
	for i, e := range f.engines {
		eventually(t, fmt.Sprintf("instance %d not stale after the restart", i), func() bool {
			ss := e.SyncState()
			return !ss.Stale && ss.CaughtUp
		})
	}
	syncAll(t, f.engines...)
	lost := 0
	acked.Range(func(k, _ any) bool {
		for _, e := range f.engines {
			if decide(t, e, k.(uint64), f.clock.Now()).Allowed {
				lost++
			}
		}
		return true
	})
	if lost > 0 {
		t.Fatalf("%d answers miss an acknowledged opt-out after the restart", lost)
	}
	t.Logf("%d opt-outs acknowledged, %d refused while Redis was down", count(), failed.Load())
	if _, err := f.engines[0].RecordOptOut(ctx, OptOutRequest{Key: phone(clean), Channels: suppression.ChannelSet(suppression.Call), Purposes: suppression.PurposeSet{All: true}}); err != nil {
		t.Fatal(err)
	}
	j := f.journal()
	defer j.Close()
	assertConverged(t, j, f.clock.Now(), 20000, f.engines...)
}

// A new instance bootstraps from the newest snapshot plus the tail after
// the stream was trimmed (the log before the older kept snapshot is gone).
func TestRedisBootstrapFromSnapshotAndTail(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Config{})
	f := newRedisFleet(t, srv.URL(), 2, nil)
	ctx := context.Background()
	a := f.engines[0]
	for round := range 3 {
		fleetWorkload(t, f.engines, 600, uint64(10+round))
		syncAll(t, a)
		if err := a.Snapshot(ctx); err != nil {
			t.Fatalf("snapshot %d: %v", round, err)
		}
	}
	fleetWorkload(t, f.engines, 600, 20)
	j := f.journal()
	defer j.Close()
	if j.FirstSeq() <= 1 {
		t.Fatalf("the stream was not trimmed after three snapshots (FirstSeq %d)", j.FirstSeq())
	}
	c := f.open(2, nil)
	syncAll(t, f.engines...)
	want := stateBytes(t, a)
	for i, e := range f.engines[1:] {
		if string(stateBytes(t, e)) != string(want) {
			t.Fatalf("instance %d differs (the new one is 2)", i+1)
		}
	}
	if string(answers(t, c, 20000, f.clock.Now())) != string(answers(t, a, 20000, f.clock.Now())) {
		t.Fatal("the bootstrapped instance answers differently")
	}
	if c.Applied() <= j.FirstSeq() {
		t.Fatalf("bootstrapped instance at %d, log starts at %d", c.Applied(), j.FirstSeq())
	}
}

// An instance partitioned from Redis while the others snapshot and trim
// the stream past it gets back on the log by itself once the network
// heals: it loads the newest snapshot in place, replays the tail, answers
// like the others, and takes writes again.
func TestRedisFellBehindReloadsSnapshot(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Config{Port: redistest.FreePort(t)})
	proxy := redistest.StartProxy(t, "unix", srv.Socket)
	f := &redisFleet{t: t, url: srv.URL(), ns: "fleet", clock: newFleetClock(), via: map[int]string{1: proxy.URL()}}
	for i := range 2 {
		f.open(i, nil)
	}
	t.Cleanup(func() {
		for i, e := range f.engines {
			e.Close()
			f.conns[i].Close()
		}
	})
	ctx := context.Background()
	a, b := f.engines[0], f.engines[1]
	syncAll(t, b)
	proxy.Cut(true)
	for round := range 3 {
		fleetWorkload(t, f.engines[:1], 300, uint64(60+round))
		if err := a.Snapshot(ctx); err != nil {
			t.Fatalf("snapshot %d: %v", round, err)
		}
	}
	fleetWorkload(t, f.engines[:1], 200, 70)
	if first := f.conns[0].FirstSeq(); first <= b.Applied()+1 {
		t.Fatalf("the stream starts at %d, b applied %d: not trimmed past b", first, b.Applied())
	}
	proxy.Cut(false)
	eventually(t, "the partitioned instance catches up by itself", func() bool {
		ss := b.SyncState()
		return ss.CaughtUp && !ss.Stale && ss.Applied >= a.Applied()
	})
	if ss := b.SyncState(); ss.Err != "" || ss.Reloads == 0 {
		t.Fatalf("SyncState after the reload: %+v", ss)
	}
	syncAll(t, a, b)
	if string(stateBytes(t, b)) != string(stateBytes(t, a)) {
		t.Fatal("the reloaded instance differs")
	}
	if string(answers(t, b, 20000, f.clock.Now())) != string(answers(t, a, 20000, f.clock.Now())) {
		t.Fatal("the reloaded instance answers differently")
	}
	if err := optOut(t, b, 12025559999); err != nil {
		t.Fatalf("opt-out on the reloaded instance: %v", err)
	}
	syncAll(t, a)
	if d := decide(t, a, 12025559999, f.clock.Now()); d.Allowed {
		t.Fatalf("the other instance misses the reloaded one's write: %+v", d)
	}
}

// childEnv names the Redis URL a child process runs an instance on.
const childEnv = "HUSH_ENGINE_FLEET_CHILD"

// fleetChild is the child process: an instance that writes opt-outs and
// prints each acknowledged one, snapshotting often, until it is killed.
func fleetChild(url string) {
	ctx := context.Background()
	j, err := redisstream.Open(ctx, redisstream.Options{URL: url, Namespace: "fleet"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	opts := fleetOptions(newFleetClock(), "child")
	opts.SnapshotBytes = 32 << 10
	e, err := Open(ctx, j, opts)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		p := uint64(12025700000 + i)
		_, err := e.RecordOptOut(ctx, OptOutRequest{Key: phone(p), Channels: suppression.ChannelSet(suppression.Call), Purposes: suppression.PurposeSet{All: true}})
		if err != nil {
			fmt.Fprintln(out, "error", err)
		} else {
			fmt.Fprintln(out, "ack", p)
		}
		out.Flush()
	}
}

func TestMain(m *testing.M) {
	if url := os.Getenv(childEnv); url != "" {
		fleetChild(url)
		return
	}
	os.Exit(m.Run())
}

// An instance killed (SIGKILL) in the middle of applying — its own writes,
// others' imports, its snapshots — and started again converges with the
// fleet, and every opt-out it acknowledged before dying is there.
func TestRedisInstanceKilledMidApply(t *testing.T) {
	srv := redistest.StartServer(t, redistest.Config{})
	f := newRedisFleet(t, srv.URL(), 2, func(o *Options) { o.SnapshotBytes = 32 << 10 })
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+srv.URL())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var acked []uint64
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The others write meanwhile: imports (several records each, which
	// the child applies from the log) and opt-outs.
	var wg sync.WaitGroup
	var stop atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint64(0); !stop.Load(); i++ {
			fleetWorkload(t, f.engines, 60, 100+i)
		}
	}()
	for line := range lines {
		if p, ok := strings.CutPrefix(line, "ack "); ok {
			v, _ := strconv.ParseUint(p, 10, 64)
			acked = append(acked, v)
		} else {
			t.Fatalf("child: %s", line)
		}
		if len(acked) == 500 {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	killed = true
	stop.Store(true)
	wg.Wait()
	// The instance starts again (in this process now).
	f.open(2, func(o *Options) { o.SnapshotBytes = 32 << 10 })
	fleetWorkload(t, f.engines, 300, 999)
	syncAll(t, f.engines...)
	for _, p := range acked {
		for i, e := range f.engines {
			if decide(t, e, p, f.clock.Now()).Allowed {
				t.Fatalf("instance %d misses opt-out %d the killed instance acknowledged", i, p)
			}
		}
	}
	want := stateBytes(t, f.engines[0])
	for i, e := range f.engines[1:] {
		if string(stateBytes(t, e)) != string(want) {
			t.Fatalf("instance %d differs after the restart", i+1)
		}
	}
	if string(answers(t, f.engines[2], 20000, f.clock.Now())) != string(answers(t, f.engines[0], 20000, f.clock.Now())) {
		t.Fatal("the restarted instance answers differently")
	}
}
