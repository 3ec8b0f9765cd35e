package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
	"github.com/hushcrm/hush/suppression"
)

// CreateList defines a list. It returns the list's first version.
func (e *Engine) CreateList(ctx context.Context, spec suppression.ListSpec) (journal.Seq, error) {
	if err := spec.Validate(); err != nil {
		return 0, err
	}
	// Refuse the obvious case before it reaches the log.
	if err := e.Read(func(st *suppression.Store, _ journal.Seq) error {
		if _, ok := st.List(spec.Name); ok {
			return fmt.Errorf("list %q: %w", spec.Name, suppression.ErrListExists)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	return e.submit1(ctx, &record.ListCreate{
		Name:        spec.Name,
		Kind:        uint8(spec.Kind),
		ListType:    uint8(spec.Type),
		Channels:    uint8(spec.Channels),
		AllPurposes: spec.Purposes.All,
		Purposes:    spec.Purposes.Names,
		Source:      spec.Source,
		Description: spec.Description,
		At:          e.now(),
		Actor:       e.actor(ctx),
	})
}

// DeleteList removes a list.
func (e *Engine) DeleteList(ctx context.Context, name string) (journal.Seq, error) {
	if err := e.requireList(name); err != nil {
		return 0, err
	}
	return e.submit1(ctx, &record.ListDelete{Name: name, At: e.now(), Actor: e.actor(ctx)})
}

func (e *Engine) requireList(name string) error {
	return e.Read(func(st *suppression.Store, _ journal.Seq) error {
		if _, ok := st.List(name); !ok {
			return fmt.Errorf("list %q: %w", name, suppression.ErrUnknownList)
		}
		return nil
	})
}

// OptOutRequest is a subject's refusal (or, with OptIn, consent back).
type OptOutRequest struct {
	Key      contactkey.Key
	Channels suppression.ChannelSet
	Purposes suppression.PurposeSet
	Source   string
	Evidence string
	OptIn    bool
	At       time.Time // zero: now
}

// ErrEvidenceRequired: opting back in needs evidence of the customer's wish.
var ErrEvidenceRequired = suppression.ErrEvidenceRequired

// RecordOptOut makes an opt-out (or opt-in) durable and applies it.
func (e *Engine) RecordOptOut(ctx context.Context, req OptOutRequest) (journal.Seq, error) {
	if !req.Key.Kind.Valid() {
		return 0, fmt.Errorf("opt-out: invalid key kind %d", req.Key.Kind)
	}
	if req.Channels == 0 {
		return 0, errors.New("opt-out: no channels given")
	}
	if !req.Purposes.All && len(req.Purposes.Names) == 0 {
		return 0, errors.New("opt-out: no purposes given")
	}
	if req.OptIn && req.Evidence == "" {
		return 0, fmt.Errorf("opt-in: %w", ErrEvidenceRequired)
	}
	if req.Source == "" {
		req.Source = "customer_request"
	}
	at := e.now()
	if !req.At.IsZero() {
		at = req.At.Unix()
	}
	return e.submit1(ctx, &record.OptOut{
		Kind:        uint8(req.Key.Kind),
		Key:         req.Key.V,
		Channels:    uint8(req.Channels),
		AllPurposes: req.Purposes.All,
		Purposes:    req.Purposes.Names,
		Source:      req.Source,
		Evidence:    req.Evidence,
		OptIn:       req.OptIn,
		At:          at,
		Actor:       e.actor(ctx),
	})
}

// Policy returns the compiled policy for scope at the current version,
// cached until the state changes.
func (e *Engine) Policy(scope suppression.Scope) (*suppression.Policy, journal.Seq, error) {
	var p *suppression.Policy
	var ver journal.Seq
	err := e.Read(func(st *suppression.Store, v journal.Seq) error {
		ver = v
		var err error
		p, err = e.policyLocked(st, v, scope)
		return err
	})
	return p, ver, err
}

// policyLocked runs with the read lock held. Policies depend on the lists
// only (opt-outs are read live), so the cache is keyed on the store's
// lists version and a stream of opt-outs does not force recompiles.
func (e *Engine) policyLocked(st *suppression.Store, _ journal.Seq, scope suppression.Scope) (*suppression.Policy, error) {
	v := journal.Seq(st.ListsVersion())
	if c := e.policies.Load(); c != nil && (c.version == v || e.warming.Load() == uint64(v)) {
		// While the writer compiles the policies of a list change (before
		// it acknowledges the change), the previous ones answer.
		if p, ok := c.m[scope]; ok {
			return p, nil
		}
	}
	p, err := st.Compile(scope)
	if err != nil {
		return nil, err
	}
	e.policyMu.Lock()
	defer e.policyMu.Unlock()
	next := &policyCache{version: v, m: map[suppression.Scope]*suppression.Policy{}}
	if c := e.policies.Load(); c != nil && c.version == v && len(c.m) < 1024 {
		for k, x := range c.m {
			next.m[k] = x
		}
	}
	next.m[scope] = p
	e.policies.Store(next)
	return p, nil
}

// Decision is the answer to a check.
type Decision struct {
	Allowed bool
	Reasons []suppression.Reason
	Version journal.Seq
}

// Check decides whether a subject (one or more keys of one person) may be
// contacted for scope at time at. It reads the published state and never
// waits for a bulk import.
func (e *Engine) Check(scope suppression.Scope, keys []contactkey.Key, at time.Time, reasons []suppression.Reason) (Decision, error) {
	if e.shared != nil {
		if d, stale := e.staleDecision(reasons); stale {
			return d, nil
		}
	}
	var d Decision
	e.mu.RLock()
	defer e.mu.RUnlock()
	p, err := e.policyLocked(e.store, e.applied, scope)
	if err != nil {
		return Decision{}, err
	}
	d.Allowed, d.Reasons = p.Decide(keys, at.Unix(), reasons[:0])
	d.Version = e.applied
	return d, nil
}

// ChunkKeys is how many keys one import chunk record carries.
const ChunkKeys = 1 << 20

// Import is an open, all-or-nothing import into a list. Nothing is visible
// until Commit; Abort (or a crash) leaves the list as it was.
type Import struct {
	e    *Engine
	id   uint64
	list string
	done bool
}

// ImportMode re-exports the suppression modes for callers of the engine.
type ImportMode = suppression.ImportMode

// BeginImport opens an import. source names the input (file name) for the
// audit trail.
func (e *Engine) BeginImport(ctx context.Context, list string, mode suppression.ImportMode, source string) (*Import, error) {
	if err := e.requireList(list); err != nil {
		return nil, err
	}
	var id uint64 // shared journal: the Begin record's seq names it (sharedImportID)
	if e.shared == nil {
		id = e.nextImportID.Add(1) - 1
	}
	seq, err := e.submit1(ctx, &record.ImportBegin{ID: id, List: list, Mode: uint8(mode), At: e.now(), Actor: e.actor(ctx), Source: source})
	if err != nil {
		return nil, err
	}
	if id == 0 {
		id = sharedImportID(seq)
		e.mu.Lock()
		e.shared.own[id] = true
		e.mu.Unlock()
	}
	return &Import{e: e, id: id, list: list}, nil
}

// Add stages keys (phone numbers, or keyed hashes for other kinds), in
// chunks of at most ChunkKeys per record. expires is nil or parallel.
func (im *Import) Add(ctx context.Context, keys []uint64, expires []int64) error {
	if im.done {
		return ErrUnknownImport
	}
	if expires != nil && len(expires) != len(keys) {
		return fmt.Errorf("import: %d expiries for %d keys", len(expires), len(keys))
	}
	for len(keys) > 0 {
		n := min(len(keys), ChunkKeys)
		c := &record.ImportChunk{ID: im.id, Keys: keys[:n]}
		if expires != nil {
			c.Expires = expires[:n]
			expires = expires[n:]
		}
		keys = keys[n:]
		if _, err := im.e.submit1(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Commit applies the import atomically.
func (im *Import) Commit(ctx context.Context, rows, rejected uint64, sourceSHA256 []byte) (suppression.ImportResult, journal.Seq, error) {
	if im.done {
		return suppression.ImportResult{}, 0, ErrUnknownImport
	}
	im.done = true
	seq, err := im.e.submit1(ctx, &record.ImportCommit{ID: im.id, At: im.e.now(), Rows: rows, Rejected: rejected, SourceSHA256: sourceSHA256})
	if err != nil {
		return suppression.ImportResult{}, 0, err
	}
	im.e.mu.Lock()
	res := im.e.commitResults[im.id]
	delete(im.e.commitResults, im.id)
	if im.e.shared != nil {
		delete(im.e.shared.own, im.id)
	}
	im.e.mu.Unlock()
	return res, seq, nil
}

// Abort closes the import without applying it.
func (im *Import) Abort(ctx context.Context, reason string) error {
	if im.done {
		return nil
	}
	im.done = true
	_, err := im.e.submit1(ctx, &record.ImportAbort{ID: im.id, At: im.e.now(), Reason: reason})
	if im.e.shared != nil {
		im.e.mu.Lock()
		delete(im.e.shared.own, im.id)
		im.e.mu.Unlock()
	}
	return err
}
