package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// An instance cut off from the shared log for long enough that the others
// snapshotted and trimmed the log past what it applied cannot replay its
// way back: the records it misses are gone, and only a snapshot holds
// them. Instead of failing closed until someone restarts it, the writer
// loads the newest snapshot off to the side — readers keep answering from
// the state they have (fail-closed by staleness once it is older than
// MaxStaleness) — compiles the policies in use against it, and publishes
// it in one swap under the store lock; catchUp then replays the tail.
// Readers see the old state or the new one, never a mix of store and
// policies. Loading costs a second copy of the state in memory for the
// time of the swap.

// maxReloads bounds how often one catch-up reloads: the log can be trimmed
// again while a large snapshot loads, but not forever.
const maxReloads = 3

// errReloadNoSnapshot: the log was trimmed past this instance, yet no
// snapshot newer than what it holds could be read.
var errReloadNoSnapshot = errors.New("no readable snapshot is newer than this instance's state")

// reloadFromSnapshot replaces the state with the newest readable snapshot
// past e.applied and returns its position. Writer goroutine only; the
// engine must not be broken.
func (e *Engine) reloadFromSnapshot() (journal.Seq, error) {
	snaps, err := e.j.Snapshots()
	if err != nil {
		return 0, fmt.Errorf("list snapshots: %w", err)
	}
	for _, seq := range snaps { // newest first
		if seq <= e.applied {
			break
		}
		st, err := e.loadSnapshot(seq)
		if err != nil {
			e.opts.Logf("snapshot %d unusable for catch-up, trying an older one: %v", seq, err)
			continue
		}
		if e.fingerprint != "" && st.fingerprint != e.fingerprint {
			return 0, fmt.Errorf("%w: snapshot %d was written with secret %s, this instance holds %s", ErrSecretMismatch, seq, st.fingerprint, e.fingerprint)
		}
		if first := e.j.FirstSeq(); first > seq+1 {
			// Trimmed past this one too while it loaded: a newer one exists.
			return 0, fmt.Errorf("snapshot %d is older than the log's start %d: %w", seq, first, journal.ErrMissingRecords)
		}
		policies := compilePolicies(st.store, e.policies.Load())
		e.mu.Lock()
		e.store, e.applied = st.store, seq
		e.components.Store(&st.components)
		e.policies.Store(policies)
		e.mu.Unlock()
		e.warming.Store(0)
		e.fingerprint = st.fingerprint
		e.nextImportID.Store(st.nextImportID)
		// A snapshot is taken only with no import open, so none is open at
		// seq; the ones opened after it are opened again by the replay.
		e.imports = map[uint64]*openImport{}
		e.lastSnap, e.bytesSinceSnap, e.autoSnap = seq, 0, autoSnapshot{}
		if sh := e.shared; sh != nil {
			sh.activity = map[uint64]time.Time{}
			sh.noteLast(seq)
		}
		return seq, nil
	}
	return 0, errReloadNoSnapshot
}

// compilePolicies compiles against st the scopes old held policies for,
// so the first checks after a swap do not all wait on the same unions.
// Policies read the store they were compiled from, so none of old's is
// kept. A scope that no longer compiles (its list is gone) is left to
// the first check that asks for it, which reports the error.
func compilePolicies(st *suppression.Store, old *policyCache) *policyCache {
	if old == nil {
		return nil
	}
	next := &policyCache{version: journal.Seq(st.ListsVersion()), m: make(map[suppression.Scope]*suppression.Policy, len(old.m))}
	for scope := range old.m {
		if p, err := st.Compile(scope); err == nil {
			next.m[scope] = p
		}
	}
	return next
}
