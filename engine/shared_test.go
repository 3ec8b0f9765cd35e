package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/journaltest"
	"github.com/hushcrm/hush/suppression"
)

// memFleet is n engines on one in-memory shared log.
type memFleet struct {
	t       *testing.T
	store   *journaltest.Store
	clock   *fleetClock
	conns   []*journaltest.Journal
	engines []*Engine
}

func newMemFleet(t *testing.T, n int, tune func(*Options)) *memFleet {
	t.Helper()
	f := &memFleet{t: t, store: journaltest.NewStore(), clock: newFleetClock()}
	for i := range n {
		f.add(i, tune)
	}
	t.Cleanup(func() {
		for _, e := range f.engines {
			if e != nil {
				e.Close()
			}
		}
	})
	return f
}

func (f *memFleet) add(i int, tune func(*Options)) *Engine {
	f.t.Helper()
	opts := fleetOptions(f.clock, "instance-"+string(rune('a'+i)))
	if tune != nil {
		tune(&opts)
	}
	j := f.store.Open()
	e := openFleetEngine(f.t, j, opts)
	if i < len(f.engines) {
		f.conns[i], f.engines[i] = j, e
	} else {
		f.conns, f.engines = append(f.conns, j), append(f.engines, e)
	}
	return e
}

func optOut(t testing.TB, e *Engine, p uint64) error {
	t.Helper()
	_, err := e.RecordOptOut(context.Background(), OptOutRequest{Key: phone(p), Channels: suppression.ChannelSet(suppression.Call), Purposes: suppression.PurposeSet{All: true}})
	return err
}

func decide(t testing.TB, e *Engine, p uint64, at time.Time) Decision {
	t.Helper()
	d, err := e.Check(callDM, []contactkey.Key{phone(p)}, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFleetConvergesInMemory(t *testing.T) {
	f := newMemFleet(t, 3, nil)
	st := fleetWorkload(t, f.engines, 3000, 1)
	if st.writes.Load() < 2000 {
		t.Fatalf("only %d of 3000 writes succeeded (%d rejected): the workload is not exercising the fleet", st.writes.Load(), st.rejected.Load())
	}
	assertConverged(t, f.store.Open(), f.clock.Now(), 20000, f.engines...)
}

// An opt-out written on one instance is answered by the others once the
// follower has applied it, without anyone asking them to.
func TestFollowerAppliesOthersWrites(t *testing.T) {
	f := newMemFleet(t, 3, nil)
	a, b := f.engines[0], f.engines[1]
	for i, e := range f.engines {
		eventually(t, fmt.Sprintf("instance %d caught up after start", i), func() bool { return e.SyncState().CaughtUp })
	}
	if err := optOut(t, a, 12025550123); err != nil {
		t.Fatal(err)
	}
	eventually(t, "instance b applies a's opt-out", func() bool { return !decide(t, b, 12025550123, f.clock.Now()).Allowed })
	d := decide(t, f.engines[2], 12025550123, f.clock.Now())
	syncAll(t, f.engines[2])
	if d = decide(t, f.engines[2], 12025550123, f.clock.Now()); d.Allowed || d.Reasons[0].Code != suppression.ReasonOptOut {
		t.Fatalf("instance c after Sync: %+v", d)
	}
}

// Imports of several instances at once get distinct ids (the Begin
// record's position), and none is aborted by an instance starting.
func TestConcurrentImportsAcrossInstances(t *testing.T) {
	f := newMemFleet(t, 2, nil)
	ctx := context.Background()
	a, b := f.engines[0], f.engines[1]
	for _, name := range []string{"la", "lb"} {
		if _, err := a.CreateList(ctx, suppression.ListSpec{Name: name, Kind: contactkey.KindPhone, Type: suppression.Deny, Channels: suppression.ChannelSet(suppression.Call), Purposes: suppression.PurposeSet{All: true}, Source: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	syncAll(t, b)
	ia, err := a.BeginImport(ctx, "la", suppression.Add, "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	ib, err := b.BeginImport(ctx, "lb", suppression.Add, "b.csv")
	if err != nil {
		t.Fatal(err)
	}
	if ia.id == ib.id || ia.id&sharedImportBit == 0 {
		t.Fatalf("import ids %x and %x: want distinct ids derived from the log", ia.id, ib.id)
	}
	// A third instance starting now must leave both open imports alone.
	c := f.add(2, nil)
	if err := ia.Add(ctx, []uint64{12025550001, 12025550002}, nil); err != nil {
		t.Fatal(err)
	}
	if err := ib.Add(ctx, []uint64{12025550003}, nil); err != nil {
		t.Fatal(err)
	}
	ra, _, err := ia.Commit(ctx, 2, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	rb, _, err := ib.Commit(ctx, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Added != 2 || rb.Added != 1 {
		t.Fatalf("commit results %+v, %+v", ra, rb)
	}
	syncAll(t, c)
	for p, allowed := range map[uint64]bool{12025550001: false, 12025550003: false, 12025550009: true} {
		if d := decide(t, c, p, f.clock.Now()); d.Allowed != allowed {
			t.Fatalf("instance c, %d: allowed %v, want %v (%+v)", p, d.Allowed, allowed, d)
		}
	}
	// Commit results of others' imports are not kept.
	c.mu.RLock()
	n := len(c.commitResults)
	c.mu.RUnlock()
	if n != 0 {
		t.Fatalf("instance c keeps %d commit results of imports it did not open", n)
	}
	assertConverged(t, f.store.Open(), f.clock.Now(), 1000, f.engines...)
}

// An import whose importer died is aborted once it was idle for
// ImportIdleTimeout, and snapshots (held back while it was open) resume.
func TestIdleImportIsAbortedByAnotherInstance(t *testing.T) {
	f := newMemFleet(t, 2, func(o *Options) { o.ImportIdleTimeout = time.Minute })
	ctx := context.Background()
	a, b := f.engines[0], f.engines[1]
	if _, err := a.CreateList(ctx, suppression.ListSpec{Name: "l", Kind: contactkey.KindPhone, Type: suppression.Deny, Channels: suppression.ChannelSet(suppression.Call), Purposes: suppression.PurposeSet{All: true}, Source: "t"}); err != nil {
		t.Fatal(err)
	}
	im, err := a.BeginImport(ctx, "l", suppression.Add, "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Add(ctx, []uint64{12025550001}, nil); err != nil {
		t.Fatal(err)
	}
	a.Close() // the importer dies before it commits
	f.engines[0] = nil
	syncAll(t, b)
	if err := b.abortIdleImports(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Snapshot(ctx); err == nil {
		t.Fatal("snapshot while an import is open (not idle yet) succeeded")
	}
	f.clock.Advance(2 * time.Minute)
	if err := b.abortIdleImports(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Snapshot(ctx); err != nil {
		t.Fatalf("snapshot after the idle import was aborted: %v", err)
	}
	if d := decide(t, b, 12025550001, f.clock.Now()); !d.Allowed {
		t.Fatal("an aborted import's keys are suppressed")
	}
	// The chunk a late importer still sends is rejected, not applied.
	a2 := f.add(0, nil)
	c := &Import{e: a2, id: im.id, list: "l"}
	if err := c.Add(ctx, []uint64{12025550002}, nil); !errors.Is(err, ErrUnknownImport) {
		t.Fatalf("chunk of an aborted import: %v, want ErrUnknownImport", err)
	}
}

// Redis down: checks answer from memory up to MaxStaleness, then fail
// closed; writes fail with ErrJournalUnreachable; once the log is back
// the follower catches up by itself and nothing acknowledged is lost.
func TestStalenessFailsClosedAndRecovers(t *testing.T) {
	f := newMemFleet(t, 2, nil)
	a, b := f.engines[0], f.engines[1]
	ctx := context.Background()
	if err := optOut(t, a, 12025550100); err != nil {
		t.Fatal(err)
	}
	syncAll(t, b)
	f.store.SetDown(true)
	f.clock.Advance(30 * time.Second)
	if d := decide(t, b, 12025550100, f.clock.Now()); d.Allowed || d.Reasons[0].Code != suppression.ReasonOptOut {
		t.Fatalf("within max staleness: %+v, want the opt-out", d)
	}
	if d := decide(t, b, 12025550101, f.clock.Now()); !d.Allowed {
		t.Fatalf("within max staleness, a clean number: %+v", d)
	}
	if err := optOut(t, a, 12025550102); !errors.Is(err, ErrJournalUnreachable) {
		t.Fatalf("write while the log is down: %v, want ErrJournalUnreachable", err)
	}
	f.clock.Advance(31 * time.Second)
	for _, e := range f.engines {
		d := decide(t, e, 12025550101, f.clock.Now())
		if d.Allowed || len(d.Reasons) != 1 || d.Reasons[0].Code != suppression.ReasonStaleState {
			t.Fatalf("past max staleness: %+v, want allowed:false stale_state", d)
		}
		if ss := e.SyncState(); !ss.Stale || ss.CaughtUp {
			t.Fatalf("SyncState while stale: %+v", ss)
		}
		if _, err := e.PlanSpec(testCampaignSpec(), f.clock.Now(), defaultRules(), true); !errors.Is(err, ErrStaleState) {
			t.Fatalf("campaign plan while stale: %v, want ErrStaleState", err)
		}
	}
	// Others go on writing meanwhile (b's partition, not the log's).
	f.store.SetDown(false)
	f.conns[1].SetDown(true)
	if err := optOut(t, a, 12025550103); err != nil {
		t.Fatal(err)
	}
	if d := decide(t, b, 12025550103, f.clock.Now()); d.Allowed || d.Reasons[0].Code != suppression.ReasonStaleState {
		t.Fatalf("b cut off: %+v, want stale_state", d)
	}
	f.conns[1].SetDown(false)
	eventually(t, "b catches up after the partition", func() bool {
		ss := b.SyncState()
		return !ss.Stale && ss.CaughtUp
	})
	if d := decide(t, b, 12025550103, f.clock.Now()); d.Allowed || d.Reasons[0].Code != suppression.ReasonOptOut {
		t.Fatalf("after catching up: %+v, want the opt-out written meanwhile", d)
	}
	if _, err := a.RecordOptOut(ctx, OptOutRequest{Key: phone(12025550102), Channels: suppression.ChannelSet(suppression.Call), Purposes: suppression.PurposeSet{All: true}}); err != nil {
		t.Fatalf("write after the log came back: %v", err)
	}
	assertConverged(t, f.store.Open(), f.clock.Now(), 1000, a, b)
}

// A write whose acknowledgement was lost is reported as not acknowledged,
// and applied everywhere once it shows up in the log.
func TestLostAckIsAppliedFromTheLog(t *testing.T) {
	f := newMemFleet(t, 2, nil)
	a, b := f.engines[0], f.engines[1]
	f.store.LoseAcks(1)
	if err := optOut(t, a, 12025550200); !errors.Is(err, ErrJournalUnreachable) {
		t.Fatalf("write with a lost ack: %v, want ErrJournalUnreachable", err)
	}
	eventually(t, "a applies its own write from the log", func() bool { return !decide(t, a, 12025550200, f.clock.Now()).Allowed })
	syncAll(t, b)
	if decide(t, b, 12025550200, f.clock.Now()).Allowed {
		t.Fatal("b misses the write that landed")
	}
	if err := optOut(t, a, 12025550201); err != nil {
		t.Fatalf("the engine is not usable after a lost ack: %v", err)
	}
	assertConverged(t, f.store.Open(), f.clock.Now(), 1000, a, b)
}

// Every instance's snapshot comes due at the same point; the ones that
// find the lease held go on and try at the next due point.
func TestSnapshotLeaseBusyIsNormal(t *testing.T) {
	var mu sync.Mutex
	var notes []string
	f := newMemFleet(t, 2, func(o *Options) {
		o.SnapshotBytes = 4 << 10
		o.Logf = func(format string, args ...any) {
			mu.Lock()
			notes = append(notes, format)
			mu.Unlock()
		}
	})
	f.store.HoldSnapshotLease(true)
	for i := range 300 {
		if err := optOut(t, f.engines[i%2], uint64(12025551000+i)); err != nil {
			t.Fatal(err)
		}
	}
	syncAll(t, f.engines...)
	if snaps, _ := f.store.Open().Snapshots(); len(snaps) != 0 {
		t.Fatalf("snapshots %v written under a held lease", snaps)
	}
	mu.Lock()
	for _, n := range notes {
		if strings.Contains(n, "snapshot failed") {
			t.Fatalf("a busy lease was logged as a failure: %q", n)
		}
	}
	mu.Unlock()
	f.store.HoldSnapshotLease(false)
	for i := range 300 {
		if err := optOut(t, f.engines[i%2], uint64(12025552000+i)); err != nil {
			t.Fatal(err)
		}
	}
	syncAll(t, f.engines...)
	if snaps, _ := f.store.Open().Snapshots(); len(snaps) == 0 {
		t.Fatal("no snapshot once the lease was free")
	}
}

// A new instance bootstraps from the newest snapshot plus the tail, the
// log before the snapshot being gone.
func TestBootstrapFromSnapshotAndTail(t *testing.T) {
	f := newMemFleet(t, 2, nil)
	fleetWorkload(t, f.engines, 600, 2)
	syncAll(t, f.engines...)
	a := f.engines[0]
	if err := a.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	snaps, err := f.store.Open().Snapshots()
	if err != nil || len(snaps) == 0 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	f.store.Trim(snaps[0])
	fleetWorkload(t, f.engines, 300, 3)
	if first := f.store.Open().FirstSeq(); first != snaps[0]+1 {
		t.Fatalf("log starts at %d, want %d", first, snaps[0]+1)
	}
	c := f.add(2, nil)
	// The single-engine replay of assertConverged needs the whole log: compare the fleet only.
	syncAll(t, f.engines...)
	want := stateBytes(t, a)
	for i, e := range f.engines[1:] {
		if got := stateBytes(t, e); string(got) != string(want) {
			t.Fatalf("engine %d differs after bootstrap", i+1)
		}
	}
	if string(answers(t, c, 5000, f.clock.Now())) != string(answers(t, a, 5000, f.clock.Now())) {
		t.Fatal("bootstrapped instance answers differently")
	}
}

// An instance closed in the middle of a catch-up, and opened again,
// converges with the others.
func TestRestartMidCatchUpConverges(t *testing.T) {
	f := newMemFleet(t, 2, nil)
	b := f.engines[1]
	f.conns[1].SetDown(true)
	fleetWorkload(t, f.engines[:1], 2000, 4)
	f.conns[1].SetDown(false)
	// Close while the follower catches up (or before it starts: both are
	// a stop at some record of the tail).
	go b.Sync(context.Background())
	b.Close()
	if applied, last := b.Applied(), f.store.LastSeq(); applied > last {
		t.Fatalf("applied %d beyond the log's %d", applied, last)
	}
	f.add(1, nil)
	fleetWorkload(t, f.engines, 300, 5)
	assertConverged(t, f.store.Open(), f.clock.Now(), 5000, f.engines...)
}

// Embedded engines never report staleness.
func TestEmbeddedNeverStale(t *testing.T) {
	h := newHarness(t, t.TempDir())
	defer h.close()
	h.now = h.now.Add(24 * time.Hour)
	if _, stale := h.e.Staleness(); stale {
		t.Fatal("embedded engine stale")
	}
	if ss := h.e.SyncState(); ss.Shared || ss.Stale || !ss.CaughtUp {
		t.Fatalf("embedded SyncState %+v", ss)
	}
	var _ journal.Shared = (*journaltest.Journal)(nil)
}

func testCampaignSpec() campaigns.Spec {
	return campaigns.Spec{Name: "winter_sms", Channel: suppression.SMS, Purpose: "direct_marketing", Schedule: "once", Audience: "all"}
}

func defaultRules() campaigns.Rules { return campaigns.DefaultRules() }

// An instance cut off while the others snapshot twice (the log trimmed
// past what it applied) gets back on the log by itself: it loads the
// newest snapshot in place, replays the tail and converges, while its
// readers keep answering throughout (the race detector watches the swap).
func TestFellBehindTrimReloadsSnapshot(t *testing.T) {
	f := newMemFleet(t, 2, nil)
	a, b := f.engines[0], f.engines[1]
	ctx := context.Background()
	syncAll(t, b)
	decide(t, b, 12025550001, f.clock.Now()) // caches a policy the reload must recompile
	f.conns[1].SetDown(true)
	for round := range 2 {
		fleetWorkload(t, f.engines[:1], 200, uint64(30+round))
		if err := a.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
	}
	fleetWorkload(t, f.engines[:1], 100, 40) // a tail past the newest snapshot
	if first := f.conns[0].FirstSeq(); first <= b.Applied()+1 {
		t.Fatalf("the log starts at %d, b applied %d: the test did not trim past b", first, b.Applied())
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for w := range 2 {
		readers.Go(func() {
			for i := uint64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := b.Check(callDM, []contactkey.Key{phone(12025550000 + i%500 + uint64(w))}, f.clock.Now(), nil); err != nil {
					t.Errorf("check during the reload: %v", err)
					return
				}
			}
		})
	}
	f.conns[1].SetDown(false)
	err := b.Sync(ctx)
	close(stop)
	readers.Wait()
	if err != nil {
		t.Fatalf("catch-up past the trim: %v, want a reload from the snapshot", err)
	}
	if ss := b.SyncState(); ss.Stale || ss.Err != "" || ss.Applied != f.store.LastSeq() || ss.Reloads != 1 {
		t.Fatalf("SyncState after the reload: %+v (log at %d)", ss, f.store.LastSeq())
	}
	if string(stateBytes(t, b)) != string(stateBytes(t, a)) {
		t.Fatal("the reloaded instance differs from the one that never fell behind")
	}
	if string(answers(t, b, 5000, f.clock.Now())) != string(answers(t, a, 5000, f.clock.Now())) {
		t.Fatal("the reloaded instance answers differently")
	}
	// It writes and reads its own writes again, and the other one sees them.
	if err := optOut(t, b, 12025559999); err != nil {
		t.Fatalf("opt-out on the reloaded instance: %v", err)
	}
	if d := decide(t, b, 12025559999, f.clock.Now()); d.Allowed {
		t.Fatalf("read-your-writes after the reload: %+v", d)
	}
	syncAll(t, a)
	if d := decide(t, a, 12025559999, f.clock.Now()); d.Allowed {
		t.Fatalf("the other instance after the reload: %+v", d)
	}
}

// With the log trimmed past every snapshot (nothing can put it back) the
// instance fails closed with ErrFellBehind; opened again once a snapshot
// covers the gap, it bootstraps and converges.
func TestFellBehindNoSnapshotFailsClosedUntilReopened(t *testing.T) {
	f := newMemFleet(t, 2, nil)
	a, b := f.engines[0], f.engines[1]
	ctx := context.Background()
	syncAll(t, b)
	f.conns[1].SetDown(true)
	fleetWorkload(t, f.engines[:1], 200, 50)
	if err := a.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	fleetWorkload(t, f.engines[:1], 200, 51)
	f.store.Trim(f.store.LastSeq() - 10) // past the snapshot: a gap no snapshot covers
	f.conns[1].SetDown(false)
	err := b.Sync(ctx)
	if !errors.Is(err, ErrFellBehind) {
		t.Fatalf("catch-up past the trim: %v, want ErrFellBehind", err)
	}
	if ss := b.SyncState(); !ss.Stale || !strings.Contains(ss.Err, "fell behind") {
		t.Fatalf("SyncState after falling behind: %+v", ss)
	}
	if d := decide(t, b, 12025550001, f.clock.Now()); d.Allowed || d.Reasons[0].Code != suppression.ReasonStaleState {
		t.Fatalf("check after falling behind: %+v, want stale_state", d)
	}
	if _, err := b.RecordOptOut(ctx, OptOutRequest{Key: phone(12025558888), Channels: suppression.ChannelSet(suppression.Call), Purposes: suppression.PurposeSet{All: true}}); !errors.Is(err, ErrFellBehind) {
		t.Fatalf("write on the instance that fell behind: %v, want ErrFellBehind", err)
	}
	if err := a.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	b.Close()
	f.add(1, nil)
	syncAll(t, f.engines...)
	if string(stateBytes(t, f.engines[1])) != string(stateBytes(t, a)) {
		t.Fatal("the reopened instance differs")
	}
}
