package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
)

// An engine over a journal.Shared (a fleet of instances on one Redis
// stream) applies every record from the log, in log order: the records of
// other instances and its own alike, so that the state of every instance
// is the same pure function of the same log.
//
//   - The writer appends a batch, then replays the log from what it had
//     applied through its own records: first what others wrote before
//     them, then its own, whose apply outcomes go back to the callers.
//   - A follower goroutine waits on the log (Await); when others wrote,
//     it has the writer catch up (only the writer applies).
//   - An Append error is not the end of the engine: the write was not
//     acknowledged but may have landed, in which case it is applied from
//     the log like any record. Callers get ErrJournalUnreachable (retry).
//   - Decisions fail closed once the state may be older than
//     Options.MaxStaleness (staleness.go).
//   - Anything decided before the log that would collide across
//     instances is taken from the log instead: an import's id is its
//     Begin record's sequence number (sharedImportID).
//   - Imports another instance opened are not aborted on start (it may be
//     alive and streaming chunks); an import with no record for
//     Options.ImportIdleTimeout is aborted by whichever instance notices.

// ErrJournalUnreachable: the shared journal did not acknowledge a write
// (network, failover, Redis down). The write may or may not be in the log;
// if it is, every instance applies it. Retry later.
var ErrJournalUnreachable = errors.New("the shared journal is unreachable: the write was not acknowledged (it may still land); retry")

// ErrFellBehind: others snapshotted and trimmed the shared log past what
// this instance had applied (it was cut off for long), and no snapshot
// could put it back on the log (reload.go: none readable, or written with
// another secret). It is wrapped in the error the engine then fails with
// (and in SyncState.Err); the instance answers stale_state until it is
// opened again.
var ErrFellBehind = errors.New("this instance fell behind the trimmed shared log and no snapshot could put it back on it; open it again")

// Defaults of the shared mode.
const (
	DefaultMaxStaleness      = 60 * time.Second
	DefaultImportIdleTimeout = 10 * time.Minute
	followerWait             = time.Second
	followerMaxBackoff       = time.Second
)

// sharedImportBit marks import ids taken from the Begin record's sequence
// number; counter ids (embedded mode, old logs) never reach it.
const sharedImportBit = 1 << 63

// sharedImportID is the id of an import whose Begin record at seq carries
// ID 0: unique in the log by construction, the same on every instance.
func sharedImportID(seq journal.Seq) uint64 { return sharedImportBit | uint64(seq) }

// importID is the id a Begin record opens.
func importID(seq journal.Seq, r *record.ImportBegin) uint64 {
	if r.ID == 0 {
		return sharedImportID(seq)
	}
	return r.ID
}

// shared is the engine's state of the shared mode (nil when embedded).
type shared struct {
	j        journal.Shared
	maxStale time.Duration
	idle     time.Duration

	lastContact atomic.Int64  // unix nanos (Options.Now's clock): the state held the whole log as of then
	last        atomic.Uint64 // the last seq the log was seen to hold
	resync      atomic.Bool   // staleness was seen: stay stale until caught up
	caughtUp    atomic.Bool   // the follower applied all it saw since Open (or since a resync)
	errMsg      atomic.Pointer[string]
	reloads     atomic.Uint64 // snapshots loaded in place after falling behind (reload.go)

	// own are the imports this engine opened (guarded by Engine.mu):
	// only their commit results are kept for the caller.
	own map[uint64]bool
	// activity is when (local clock) a record of each open import was
	// last applied; writer-only.
	activity map[uint64]time.Time

	cancel context.CancelFunc
	done   chan struct{}
	stopMu sync.Once
}

// initShared turns on the shared mode if the journal is a Shared one.
func (e *Engine) initShared() {
	sj, ok := e.j.(journal.Shared)
	if !ok {
		return
	}
	sh := &shared{j: sj, maxStale: e.opts.MaxStaleness, idle: e.opts.ImportIdleTimeout, own: map[uint64]bool{}, activity: map[uint64]time.Time{}, done: make(chan struct{})}
	if sh.maxStale <= 0 {
		sh.maxStale = DefaultMaxStaleness
	}
	if sh.idle <= 0 {
		sh.idle = DefaultImportIdleTimeout
	}
	sh.lastContact.Store(e.opts.Now().UnixNano())
	e.shared = sh
}

// startFollower runs after recovery: from now on the writer applies what
// the follower finds in the log. recoveredAt is when recovery started
// reading the log, which it then held whole.
func (e *Engine) startFollower(recoveredAt time.Time) {
	sh := e.shared
	if sh == nil {
		return
	}
	sh.contact(recoveredAt)
	sh.noteLast(e.applied)
	now := e.opts.Now()
	for id := range e.imports {
		sh.activity[id] = now
	}
	ctx, cancel := context.WithCancel(context.Background())
	sh.cancel = cancel
	go e.follow(ctx)
}

// stopFollower ends the follower and waits for it.
func (e *Engine) stopFollower() {
	sh := e.shared
	if sh == nil || sh.cancel == nil {
		return
	}
	sh.stopMu.Do(func() {
		sh.cancel()
		<-sh.done
	})
}

func (sh *shared) contact(at time.Time) {
	n := at.UnixNano()
	for {
		old := sh.lastContact.Load()
		if n <= old || sh.lastContact.CompareAndSwap(old, n) {
			return
		}
	}
}

func (sh *shared) noteLast(seq journal.Seq) {
	for {
		old := sh.last.Load()
		if uint64(seq) <= old || sh.last.CompareAndSwap(old, uint64(seq)) {
			return
		}
	}
}

func (sh *shared) setErr(err error) {
	if err == nil {
		sh.errMsg.Store(nil)
		return
	}
	s := err.Error()
	sh.errMsg.Store(&s)
}

// follow waits on the log and has the writer apply what others wrote.
func (e *Engine) follow(ctx context.Context) {
	sh := e.shared
	defer close(sh.done)
	backoff := 50 * time.Millisecond
	pause := func() bool {
		t := time.NewTimer(backoff)
		defer t.Stop()
		backoff = min(2*backoff, followerMaxBackoff)
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	nextJanitor := e.opts.Now().Add(janitorEvery(sh.idle))
	// The first round trip does not wait: an instance that just recovered
	// is ready as soon as it knows it holds the whole log.
	wait := time.Duration(0)
	for ctx.Err() == nil {
		if e.broken.Load() != nil {
			// Memory no longer follows the log: nothing to catch up to.
			if !pause() {
				return
			}
			continue
		}
		applied := e.Applied()
		start := e.opts.Now()
		last, err := sh.j.Await(ctx, applied, wait)
		wait = followerWait
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			sh.setErr(fmt.Errorf("await: %w", err))
			if !pause() {
				return
			}
			continue
		}
		sh.noteLast(last)
		if last > applied {
			if err := e.onWriter(func() error { return e.catchUp(nil) }); err != nil {
				if errors.Is(err, ErrClosed) || ctx.Err() != nil {
					return
				}
				sh.setErr(fmt.Errorf("catch up: %w", err))
				if !pause() {
					return
				}
				continue
			}
			// catchUp noted the contact at the time it read the log.
		} else {
			sh.contact(start)
		}
		backoff = 50 * time.Millisecond
		sh.setErr(nil)
		if e.Applied() >= journal.Seq(sh.last.Load()) || e.Applied() >= last {
			sh.resync.Store(false)
			sh.caughtUp.Store(true)
		}
		if now := e.opts.Now(); !now.Before(nextJanitor) {
			nextJanitor = now.Add(janitorEvery(sh.idle))
			if err := e.abortIdleImports(ctx); err != nil && ctx.Err() == nil {
				e.opts.Logf("aborting idle imports: %v", err)
			}
		}
	}
}

func janitorEvery(idle time.Duration) time.Duration {
	return min(max(idle/4, time.Second), 30*time.Second)
}

// onWriter runs fn on the writer goroutine, like control, for the
// engine's own goroutines (which must not hang on a writer that stopped).
func (e *Engine) onWriter(fn func() error) error {
	if e.closing.Load() {
		return ErrClosed
	}
	r := &request{ctl: fn, done: make(chan response, 1)}
	select {
	case e.reqs <- r:
	case <-e.stopped:
		return ErrClosed
	}
	select {
	case resp := <-r.done:
		return resp.err
	case <-e.stopped:
		select {
		case resp := <-r.done:
			return resp.err
		default:
			return ErrClosed
		}
	}
}

// Sync applies everything the shared log holds at the time of the call
// (others' writes included) before it returns: read-your-fleet's-writes
// for a command that just started, or a test. Embedded it does nothing.
func (e *Engine) Sync(ctx context.Context) error {
	if e.shared == nil {
		return nil
	}
	return e.control(ctx, func() error { return e.catchUp(nil) })
}

// ownBatch is a batch the writer appended, waiting for its outcomes.
type ownBatch struct {
	first, end journal.Seq // [first, end)
	errs       []error     // by seq-first
	// fromSnapshot: records up to here were taken from a snapshot (the
	// instance fell behind), so their apply outcomes are not known here.
	fromSnapshot journal.Seq
}

// coveredBy notes that a snapshot at seq was loaded in place of replaying.
func (o *ownBatch) coveredBy(seq journal.Seq) {
	if o != nil && seq >= o.first {
		o.fromSnapshot = max(o.fromSnapshot, seq)
	}
}

func (o *ownBatch) set(seq journal.Seq, err error) {
	if o != nil && seq >= o.first && seq < o.end {
		o.errs[seq-o.first] = err
	}
}

var errCatchUpStopped = errors.New("catch-up stopped: the engine is closing")

// catchUp applies every record of the log after e.applied, in order, on
// the writer goroutine. own (may be nil) collects the apply outcomes of
// the writer's own batch. An error the backend gave is returned as is
// (the follower retries); a record that cannot be applied the same way on
// every instance breaks the engine.
func (e *Engine) catchUp(own *ownBatch) error {
	if bp := e.broken.Load(); bp != nil {
		return *bp
	}
	sh := e.shared
	readAt := e.opts.Now()
	for reloads := 0; ; reloads++ {
		fatal, err := e.replayShared(own)
		switch {
		case fatal != nil:
			werr := fmt.Errorf("%w: %w", ErrUnavailable, fatal)
			e.broken.Store(&werr)
			sh.setErr(werr)
			return werr
		case errors.Is(err, journal.ErrMissingRecords):
			// Others snapshotted and trimmed the log past what this
			// instance applied (it was cut off for long): the newest
			// snapshot puts it back on the log (reload.go).
			if reloads < maxReloads {
				from := e.applied
				seq, rerr := e.reloadFromSnapshot()
				switch {
				case rerr == nil:
					e.opts.Logf("fell behind the trimmed shared log at record %d; loaded the snapshot at record %d", from, seq)
					own.coveredBy(seq)
					sh.reloads.Add(1)
					continue
				case errors.Is(rerr, journal.ErrMissingRecords):
					continue // trimmed again meanwhile: the next one
				case !errors.Is(rerr, ErrSecretMismatch) && !errors.Is(rerr, errReloadNoSnapshot):
					return fmt.Errorf("reload after falling behind: %w", rerr) // the follower retries
				}
				err = fmt.Errorf("%w (%w)", err, rerr)
			}
			werr := fmt.Errorf("%w: %w: %w", ErrUnavailable, ErrFellBehind, err)
			e.broken.Store(&werr)
			sh.setErr(werr)
			return werr
		case err != nil:
			return err
		}
		break
	}
	sh.contact(readAt)
	// The log was just read to its end: whatever failed before is over,
	// and the instance is caught up (a latch from an earlier staleness
	// clears here too, not only at the follower's next round).
	sh.setErr(nil)
	sh.resync.Store(false)
	sh.caughtUp.Store(true)
	e.maybeAutoSnapshot()
	return nil
}

// replayShared applies the log after e.applied. fatal is set when a record
// cannot be applied the same way on every instance; err is the backend's.
func (e *Engine) replayShared(own *ownBatch) (fatal, err error) {
	sh := e.shared
	err = e.j.Replay(e.applied, func(seq journal.Seq, b []byte) error {
		if own == nil && e.closing.Load() {
			return errCatchUpStopped
		}
		if seq != e.applied+1 {
			fatal = fmt.Errorf("the log gave record %d after %d", seq, e.applied)
			return fatal
		}
		r, err := record.Decode(b)
		if err != nil {
			fatal = fmt.Errorf("record %d: %w", seq, err)
			return fatal
		}
		e.noteImportActivity(seq, r)
		changesLists := e.beforeListChange(seq, r)
		aerr := e.apply(seq, r)
		own.set(seq, aerr)
		if aerr != nil && !isDomainError(aerr) {
			fatal = fmt.Errorf("applying record %d (%s): %w", seq, r.Type(), aerr)
		}
		e.mu.Lock()
		e.applied = seq
		e.mu.Unlock()
		if changesLists {
			e.warmPolicies()
		}
		e.bytesSinceSnap += int64(len(b))
		sh.noteLast(seq)
		return fatal
	})
	return fatal, err
}

// finishSharedBatch is runBatch's second half on a shared journal: first,
// err are what Append returned for the batch.
func (e *Engine) finishSharedBatch(batch []*request, first journal.Seq, err error) {
	if err != nil {
		werr := fmt.Errorf("%w: %w", ErrJournalUnreachable, err)
		e.shared.setErr(werr)
		for _, r := range batch {
			r.done <- response{err: werr}
		}
		return
	}
	n := 0
	for _, r := range batch {
		n += len(r.recs)
	}
	own := &ownBatch{first: first, end: first + journal.Seq(n), errs: make([]error, n)}
	e.shared.noteLast(own.end - 1)
	var cerr error
	// The records are in the log; a failure to read them back is most
	// likely a blip of the network: try again briefly before handing the
	// callers an ambiguous answer.
	for attempt := 0; attempt < 3 && e.applied < own.end-1; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
		}
		if cerr = e.catchUp(own); cerr != nil && e.broken.Load() != nil {
			break
		}
	}
	seq := first
	for _, r := range batch {
		end := seq + journal.Seq(len(r.recs))
		switch {
		case own.fromSnapshot >= seq:
			// Applied here from a snapshot another instance wrote: durable
			// and applied everywhere, but whether the domain accepted it
			// is not known here. The callers' retry is idempotent.
			r.done <- response{err: fmt.Errorf("%w: the write at %d is in the log and applied, but this instance took it from a snapshot and does not know its outcome", ErrJournalUnreachable, seq)}
		case e.applied >= end-1:
			r.done <- response{first: seq, errs: own.errs[seq-first : end-first]}
		default:
			r.done <- response{err: fmt.Errorf("%w: the log holds the write at %d but it could not be read back here yet: %w", ErrJournalUnreachable, seq, cerr)}
		}
		seq = end
	}
}

// maybeAutoSnapshot writes a snapshot when one is due. On a shared journal
// another instance may be writing the same one (every instance applies
// the same log, so they come due together): that is normal, and the next
// due point tries again.
func (e *Engine) maybeAutoSnapshot() {
	if !e.snapshotDue() {
		return
	}
	err := e.snapshot()
	switch {
	case err == nil:
	case errors.Is(err, journal.ErrSnapshotBusy):
		e.bytesSinceSnap = 0
		e.autoSnap.importCommitted = false
	default:
		e.opts.Logf("snapshot failed (the log still holds everything): %v", err)
	}
}

// keepCommitResult says whether the outcome of import id's commit is kept
// for a caller (Engine.mu held): always when embedded; on a shared
// journal only for the imports this engine opened, not for everyone's.
func (e *Engine) keepCommitResult(id uint64) bool {
	return e.shared == nil || e.shared.own[id]
}

// noteImportActivity records when an import was last heard of (writer).
func (e *Engine) noteImportActivity(seq journal.Seq, r record.Record) {
	sh := e.shared
	switch r := r.(type) {
	case *record.ImportBegin:
		sh.activity[importID(seq, r)] = e.opts.Now()
	case *record.ImportChunk:
		sh.activity[r.ID] = e.opts.Now()
	case *record.ImportCommit:
		delete(sh.activity, r.ID)
	case *record.ImportAbort:
		delete(sh.activity, r.ID)
	}
}

// abortIdleImports aborts the open imports no record was heard of for
// ImportIdleTimeout: their importer is gone (an instance that crashed
// mid-import), and an open import holds back every instance's snapshots.
// Whichever instance notices first writes the abort; a second abort of
// the same import is a no-op.
func (e *Engine) abortIdleImports(ctx context.Context) error {
	sh := e.shared
	var idle []uint64
	if err := e.onWriter(func() error {
		now := e.opts.Now()
		for id := range e.imports {
			at, ok := sh.activity[id]
			if !ok {
				sh.activity[id] = now
				continue
			}
			if now.Sub(at) > sh.idle {
				idle = append(idle, id)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i] < idle[j] })
	var recs []record.Record
	for _, id := range idle {
		e.opts.Logf("import %d had no record for %s; aborting it", id, sh.idle)
		recs = append(recs, &record.ImportAbort{ID: id, At: e.now(), Reason: fmt.Sprintf("abandoned: no record of the import for %s (its importer stopped)", sh.idle)})
	}
	if len(recs) == 0 {
		return nil
	}
	_, errs, err := e.submit(ctx, recs...)
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}

// SyncState is where an engine stands on its journal, for /readyz and
// /metrics.
type SyncState struct {
	Shared      bool        // the journal is shared with other instances
	Applied     journal.Seq // last record applied to memory
	Last        journal.Seq // last record the log was seen to hold
	LastContact time.Time   // the state held the whole log as of then
	Stale       bool        // decisions fail closed (stale_state)
	// CaughtUp: the follower applied everything it saw since the engine
	// opened (or since it was last stale). Not ready before.
	CaughtUp bool
	Err      string // the last error talking to the log (or why the engine broke)
	// Reloads counts the snapshots loaded in place since the engine
	// opened, each after it fell behind a trim of the log.
	Reloads uint64
}

// SyncState reports the engine's position on its journal. Embedded, it is
// never stale and always caught up.
func (e *Engine) SyncState() SyncState {
	applied := e.Applied()
	sh := e.shared
	if sh == nil {
		s := SyncState{Applied: applied, Last: applied, CaughtUp: true}
		if bp := e.broken.Load(); bp != nil {
			s.Err = (*bp).Error()
		}
		return s
	}
	_, stale := e.Staleness()
	s := SyncState{
		Shared:      true,
		Applied:     applied,
		Last:        max(journal.Seq(sh.last.Load()), applied),
		LastContact: time.Unix(0, sh.lastContact.Load()),
		Stale:       stale,
		CaughtUp:    sh.caughtUp.Load() && !stale,
		Reloads:     sh.reloads.Load(),
	}
	if bp := e.broken.Load(); bp != nil {
		s.Err = (*bp).Error()
	} else if m := sh.errMsg.Load(); m != nil {
		s.Err = *m
	}
	return s
}
