package engine

import (
	"errors"
	"time"

	"github.com/hushcrm/hush/suppression"
)

// On a shared journal an instance that lost the log (Redis unreachable, a
// network partition) goes on answering from memory — its state is what
// the fleet had a moment ago — but only for Options.MaxStaleness. After
// that an opt-out written on another instance could be missing from its
// answers, so every decision fails closed (allowed: false, reason
// stale_state) until the follower has caught up with the log again.
// "Age" is the time since the state last held the whole log (LastContact).

// ErrStaleState: the state may miss records of the shared log for longer
// than Options.MaxStaleness; decisions that cannot say "no" row by row
// (campaign runs) refuse.
var ErrStaleState = errors.New("the state is stale: this instance lost the shared log for longer than max_staleness; it answers again once it has caught up")

// Staleness returns the age of the state and whether decisions fail
// closed. Embedded engines are never stale.
func (e *Engine) Staleness() (age time.Duration, stale bool) {
	sh := e.shared
	if sh == nil {
		return 0, false
	}
	age = e.opts.Now().Sub(time.Unix(0, sh.lastContact.Load()))
	if age > sh.maxStale || e.broken.Load() != nil {
		// Latched: a reconnect alone does not clear it, catching up does.
		if !sh.resync.Load() {
			sh.resync.Store(true)
		}
		return age, true
	}
	return age, sh.resync.Load()
}

// staleDecision is the answer of every check while the state is stale.
func (e *Engine) staleDecision(reasons []suppression.Reason) (Decision, bool) {
	if _, stale := e.Staleness(); !stale {
		return Decision{}, false
	}
	r := suppression.Reason{Code: suppression.ReasonStaleState, Source: "shared_log", Since: e.shared.lastContact.Load() / 1e9}
	return Decision{Allowed: false, Reasons: append(reasons[:0], r), Version: e.Applied()}, true
}
