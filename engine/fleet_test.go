package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/customers"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/rfm"
	"github.com/hushcrm/hush/suppression"
)

// Helpers shared by the fleet tests on the in-memory shared journal
// (shared_test.go) and on real Redis (redis_fleet_test.go).

// fleetClock is a settable clock all the fleet's engines share.
type fleetClock struct{ ns atomic.Int64 }

func newFleetClock() *fleetClock {
	c := &fleetClock{}
	c.ns.Store(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fleetClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fleetClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func fleetOptions(clock *fleetClock, actor string) Options {
	hasher, err := contactkey.NewHasher(testSecret)
	if err != nil {
		panic(err)
	}
	return Options{Hasher: hasher, Now: clock.Now, SnapshotBytes: 1 << 40, Actor: actor, MaxStaleness: time.Minute}
}

func openFleetEngine(t testing.TB, j journal.Journal, opts Options) *Engine {
	t.Helper()
	e, err := Open(context.Background(), j, opts)
	if err != nil {
		t.Fatalf("engine.Open (%s): %v", opts.Actor, err)
	}
	return e
}

// retryable says whether a write error means "try again" (the log was
// unreachable) rather than a rejection by the domain.
func retryable(err error) bool {
	return errors.Is(err, ErrJournalUnreachable) || errors.Is(err, ErrClosed) || errors.Is(err, ErrUnavailable)
}

// workloadStats counts what a workload did.
type workloadStats struct {
	writes, rejected atomic.Int64
	optOuts          sync.Map // phone → true: acknowledged opt-outs (never opted back in)
}

const fleetLists = 6

// fleetWorkload runs n mixed writes spread over the engines concurrently
// (one goroutine per engine): list creates and deletes, imports (add,
// remove, replace), opt-outs and opt-ins, keys, customers, purchases.
// Rejections by the domain (a list another instance created first, an
// import into a list deleted meanwhile) are part of the game; anything
// else fails the test.
func fleetWorkload(t testing.TB, engines []*Engine, n int, seed uint64) *workloadStats {
	t.Helper()
	st := &workloadStats{}
	var wg sync.WaitGroup
	per := n / len(engines)
	for w, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := range per {
				if err := fleetOp(e, rng, w, i, st); err != nil {
					if retryable(err) {
						t.Errorf("engine %d op %d: %v", w, i, err)
						return
					}
					st.rejected.Add(1)
					continue
				}
				st.writes.Add(1)
			}
		}()
	}
	wg.Wait()
	return st
}

func customerKey(id string) uint64 {
	k, _ := rfm.KeyOf([]byte(id))
	return k
}

func fleetPhone(rng *rand.Rand) uint64 { return 12025550000 + uint64(rng.IntN(20000)) }

func fleetOp(e *Engine, rng *rand.Rand, w, i int, st *workloadStats) error {
	ctx := context.Background()
	list := fmt.Sprintf("l%d", rng.IntN(fleetLists))
	switch k := rng.IntN(100); {
	case k < 3:
		_, err := e.CreateList(ctx, suppression.ListSpec{Name: list, Kind: contactkey.KindPhone, Type: suppression.Deny,
			Channels: suppression.ChannelSet(suppression.Call) | suppression.ChannelSet(suppression.SMS), Purposes: suppression.PurposeSet{All: true}, Source: "fleet"})
		return err
	case k < 4:
		_, err := e.DeleteList(ctx, list)
		return err
	case k < 12:
		modes := []suppression.ImportMode{suppression.Add, suppression.Add, suppression.Remove, suppression.Replace}
		im, err := e.BeginImport(ctx, list, modes[rng.IntN(len(modes))], fmt.Sprintf("w%d-%d", w, i))
		if err != nil {
			return err
		}
		keys := make([]uint64, 1+rng.IntN(50))
		for j := range keys {
			keys[j] = fleetPhone(rng)
		}
		if err := im.Add(ctx, keys, nil); err != nil {
			return err
		}
		if rng.IntN(10) == 0 {
			return im.Abort(ctx, "changed my mind")
		}
		_, _, err = im.Commit(ctx, uint64(len(keys)), 0, nil)
		return err
	case k < 80:
		p := fleetPhone(rng)
		req := OptOutRequest{Key: phone(p), Channels: suppression.ChannelSet(suppression.Call), Purposes: suppression.PurposeSet{All: true}, Source: "customer_request"}
		if rng.IntN(8) == 0 {
			req.OptIn, req.Evidence = true, "recorded call"
		}
		_, err := e.RecordOptOut(ctx, req)
		return err
	case k < 84:
		_, _, err := e.CreateKey(ctx, access.Role(1+rng.IntN(3)), fmt.Sprintf("k%d-%d", w, i), time.Time{})
		return err
	case k < 90:
		id := fmt.Sprintf("c%d", rng.IntN(500))
		_, err := e.PutCustomers(ctx, "fleet", []CustomerRow{{ID: id, CustomerKey: customerKey(id), SubjectKey: uint64(rng.Int64()), Name: "n" + id, Phones: []uint64{fleetPhone(rng)}, InquiryDay: customers.NoDay}})
		return err
	default:
		var evs []rfm.Event
		for range 1 + rng.IntN(5) {
			id := fmt.Sprintf("c%d", rng.IntN(500))
			evs = append(evs, rfm.Event{Order: uint64(rng.IntN(5000)), Customer: customerKey(id), CustomerName: []byte(id), Day: rfm.Day(20000 + rng.IntN(300)), Amount: int64(100 + rng.IntN(10000))})
		}
		_, err := e.AppendPurchases(ctx, PurchaseBatch{Source: "fleet", Currency: "EUR", Events: evs})
		return err
	}
}

// syncAll has every engine apply the whole log.
func syncAll(t testing.TB, engines ...*Engine) {
	t.Helper()
	for i, e := range engines {
		if err := e.Sync(context.Background()); err != nil {
			t.Fatalf("engine %d: Sync: %v", i, err)
		}
	}
}

// checkScopes are the scopes the convergence checks ask about.
var checkScopes = []suppression.Scope{
	{Channel: suppression.Call, Purpose: suppression.DirectMarketing},
	{Channel: suppression.SMS, Purpose: suppression.DirectMarketing},
	{Channel: suppression.Call, Purpose: suppression.DirectMarketing, Sponsor: "partner"},
}

// answers runs n checks (a fixed pseudo-random sequence) and encodes the
// decisions, reasons included, so two engines can be compared byte for
// byte.
func answers(t testing.TB, e *Engine, n int, at time.Time) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(99, 99))
	var out bytes.Buffer
	var reasons []suppression.Reason
	for range n {
		scope := checkScopes[rng.IntN(len(checkScopes))]
		d, err := e.Check(scope, []contactkey.Key{phone(fleetPhone(rng))}, at, reasons)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		reasons = d.Reasons
		fmt.Fprintf(&out, "%t %d", d.Allowed, d.Version)
		for _, r := range d.Reasons {
			fmt.Fprintf(&out, " %s/%s/%s/%d", r.Code, r.List, r.Source, r.Since)
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// assertConverged checks that the engines hold byte-identical state and
// answer the same n checks identically, and that this is the state a
// single embedded engine gets by replaying the log from a WAL.
func assertConverged(t testing.TB, j journal.Journal, at time.Time, nChecks int, engines ...*Engine) {
	t.Helper()
	syncAll(t, engines...)
	want := stateBytes(t, engines[0])
	wantAnswers := answers(t, engines[0], nChecks, at)
	for i, e := range engines[1:] {
		if e.Applied() != engines[0].Applied() {
			t.Fatalf("engine %d applied %d, engine 0 %d", i+1, e.Applied(), engines[0].Applied())
		}
		if got := stateBytes(t, e); !bytes.Equal(got, want) {
			t.Fatalf("engine %d state differs from engine 0 (%d vs %d bytes)", i+1, len(got), len(want))
		}
		if got := answers(t, e, nChecks, at); !bytes.Equal(got, wantAnswers) {
			t.Fatalf("engine %d answers differ from engine 0", i+1)
		}
	}
	// One engine, embedded, replaying the same records from a WAL.
	w, err := wal.Open(t.(interface{ TempDir() string }).TempDir(), wal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var recs [][]byte
	if err := j.Replay(0, func(_ journal.Seq, b []byte) error {
		recs = append(recs, bytes.Clone(b))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for len(recs) > 0 {
		k := min(len(recs), 4096)
		if _, err := w.Append(context.Background(), recs[:k]...); err != nil {
			t.Fatal(err)
		}
		recs = recs[k:]
	}
	opts := engines[0].opts
	opts.Actor = "replay"
	single := openFleetEngine(t, w, opts)
	defer single.Close()
	if single.Applied() != engines[0].Applied() {
		t.Fatalf("single replay applied %d (it wrote records of its own?), fleet %d", single.Applied(), engines[0].Applied())
	}
	if got := stateBytes(t, single); !bytes.Equal(got, want) {
		t.Fatalf("a single engine replaying the log holds another state than the fleet (%d vs %d bytes)", len(got), len(want))
	}
	if got := answers(t, single, nChecks, at); !bytes.Equal(got, wantAnswers) {
		t.Fatal("a single engine replaying the log answers differently from the fleet")
	}
}

// stateBytes is the engine's snapshot, written to memory.
func stateBytes(t testing.TB, e *Engine) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.control(context.Background(), func() error { return e.writeSnapshotTo(&buf, e.applied) }); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// eventually polls cond until it holds (a generous deadline: progress is
// asserted, never speed).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
