package engine

import (
	"fmt"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
	"github.com/hushcrm/hush/suppression"
)

// Compiling a policy after a list change can take a while (the union of
// millions of entries). If readers did it, every check arriving after a
// 50M-number import commits would wait for it, on every connection at
// once. Instead the writer compiles the policies of every scope in use,
// before it acknowledges the change, and until they are ready readers go
// on with the previous policies: they answer as the state was an instant
// earlier, when the change had not been acknowledged either.

// beforeListChange marks seq as the lists version being warmed if rec
// changes the lists. It runs on the writer before apply.
func (e *Engine) beforeListChange(seq journal.Seq, rec record.Record) bool {
	switch rec.(type) {
	case *record.ListCreate, *record.ListDelete, *record.ImportCommit:
		if e.policies.Load() == nil {
			return false
		}
		e.warming.Store(uint64(seq))
		return true
	}
	return false
}

// warmPolicies compiles the cached scopes against the lists as they are
// now and publishes them. It runs on the writer goroutine, the only one
// that mutates the store, so it reads the store without the lock (readers
// only read it too).
func (e *Engine) warmPolicies() {
	defer e.warming.Store(0)
	old := e.policies.Load()
	v := journal.Seq(e.store.ListsVersion())
	if old == nil || old.version == v {
		return
	}
	next := &policyCache{version: v, m: make(map[suppression.Scope]*suppression.Policy, len(old.m))}
	for scope := range old.m {
		if p, err := e.store.Compile(scope); err == nil {
			next.m[scope] = p
		}
	}
	e.policyMu.Lock()
	if cur := e.policies.Load(); cur != nil && cur.version == v {
		for k, p := range cur.m { // compiled by readers meanwhile (new scopes)
			if _, ok := next.m[k]; !ok {
				next.m[k] = p
			}
		}
	}
	e.policies.Store(next)
	e.policyMu.Unlock()
}

// WarmPolicies compiles the policies of scopes now, so the first checks
// of a freshly started server find them ready instead of all waiting for
// the same unions of millions of entries on first use. Scopes over the
// same lists share their unions, so warming many costs little more than
// warming one.
func (e *Engine) WarmPolicies(scopes []suppression.Scope) error {
	for _, scope := range scopes {
		if _, _, err := e.Policy(scope); err != nil {
			return fmt.Errorf("warm policy %s/%s: %w", scope.Channel, scope.Purpose, err)
		}
	}
	return nil
}

// FirstPartyScopes are the scopes of every channel and standard purpose
// without a sponsor: what a server warms before it reports ready.
func FirstPartyScopes() []suppression.Scope {
	var scopes []suppression.Scope
	for ch := suppression.Call; suppression.ChannelSet(ch)&suppression.AllChannels != 0; ch <<= 1 {
		for _, p := range suppression.StandardPurposes {
			scopes = append(scopes, suppression.Scope{Channel: ch, Purpose: p})
		}
	}
	return scopes
}
