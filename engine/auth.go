package engine

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/audit"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
)

// APIKey is a stored API key: its id and hash, never the key itself.
type APIKey struct {
	ID        string      `json:"id"`
	Hash      [32]byte    `json:"-"`
	Role      access.Role `json:"-"`
	Name      string      `json:"name"`
	CreatedAt int64       `json:"created_at"`
	CreatedBy string      `json:"created_by"`
	ExpiresAt int64       `json:"expires_at,omitempty"` // 0: never
	RevokedAt int64       `json:"revoked_at,omitempty"` // 0: live
	Version   uint64      `json:"version"`
}

// Errors of key handling and authentication.
var (
	ErrBadKey      = errors.New("API key is not valid")
	ErrKeyExpired  = errors.New("API key has expired")
	ErrKeyRevoked  = errors.New("API key was revoked")
	ErrUnknownKey  = errors.New("unknown API key id")
	ErrInvalidRole = errors.New("invalid role")
)

// authState is what readers see: an immutable map, swapped whole.
type authState struct {
	byID   map[string]*APIKey
	byHash map[[32]byte]*APIKey
}

// auth is the engine component holding API keys and the access log.
type auth struct {
	state atomic.Pointer[authState]

	logMu sync.Mutex // guards entries and chain (appends are tiny)
	log   []audit.Entry
	chain audit.Chain
}

func newAuth(*Engine) component {
	a := &auth{}
	a.state.Store(&authState{byID: map[string]*APIKey{}, byHash: map[[32]byte]*APIKey{}})
	return a
}

func (a *auth) name() string { return "access" }

func (a *auth) apply(seq journal.Seq, r record.Record) (bool, error) {
	switch r := r.(type) {
	case *record.KeyCreate:
		return true, domainErr(a.create(seq, r))
	case *record.KeyRevoke:
		return true, domainErr(a.revoke(seq, r))
	case *record.Access:
		e := audit.Entry{Seq: uint64(seq), At: r.At, KeyID: r.KeyID, Role: access.Role(r.Role).String(), Action: r.Action, Subject: r.Subject, Why: r.Why, Detail: r.Detail}
		a.logMu.Lock()
		a.chain.Append(&e)
		a.log = append(a.log, e)
		a.logMu.Unlock()
		return true, nil
	}
	return false, nil
}

func (a *auth) create(seq journal.Seq, r *record.KeyCreate) error {
	old := a.state.Load()
	if _, ok := old.byID[r.ID]; ok {
		return fmt.Errorf("key %s exists already", r.ID)
	}
	if len(r.Hash) != 32 {
		return fmt.Errorf("key %s: hash of %d bytes", r.ID, len(r.Hash))
	}
	if !access.Role(r.Role).Valid() {
		return fmt.Errorf("key %s: %w %d", r.ID, ErrInvalidRole, r.Role)
	}
	k := &APIKey{ID: r.ID, Role: access.Role(r.Role), Name: r.Name, CreatedAt: r.At, CreatedBy: r.Actor, ExpiresAt: r.ExpiresAt, Version: uint64(seq)}
	copy(k.Hash[:], r.Hash)
	a.publish(old, k)
	return nil
}

func (a *auth) revoke(seq journal.Seq, r *record.KeyRevoke) error {
	old := a.state.Load()
	k, ok := old.byID[r.ID]
	if !ok {
		return fmt.Errorf("key %s: %w", r.ID, ErrUnknownKey)
	}
	if k.RevokedAt != 0 {
		return nil
	}
	nk := *k
	nk.RevokedAt = r.At
	nk.Version = uint64(seq)
	a.publish(old, &nk)
	return nil
}

// publish makes a copy of the key maps with k in it and swaps it in.
func (a *auth) publish(old *authState, k *APIKey) {
	next := &authState{byID: make(map[string]*APIKey, len(old.byID)+1), byHash: make(map[[32]byte]*APIKey, len(old.byHash)+1)}
	for id, x := range old.byID {
		next.byID[id] = x
		next.byHash[x.Hash] = x
	}
	next.byID[k.ID] = k
	next.byHash[k.Hash] = k
	a.state.Store(next)
}

// snapshot section: JSON, keys sorted by id, the log in order.
type authSnapshot struct {
	Keys  []authKeyJSON `json:"keys"`
	Log   []audit.Entry `json:"log"`
	Chain audit.Chain   `json:"chain"`
}

type authKeyJSON struct {
	APIKey
	Hash []byte `json:"hash"`
	Role uint8  `json:"role"`
}

func (a *auth) writeSnapshot(w io.Writer) error {
	st := a.state.Load()
	snap := authSnapshot{Keys: []authKeyJSON{}}
	for _, k := range st.byID {
		snap.Keys = append(snap.Keys, authKeyJSON{APIKey: *k, Hash: k.Hash[:], Role: uint8(k.Role)})
	}
	sort.Slice(snap.Keys, func(i, j int) bool { return snap.Keys[i].ID < snap.Keys[j].ID })
	a.logMu.Lock()
	snap.Log, snap.Chain = a.log, a.chain
	err := json.NewEncoder(w).Encode(snap)
	a.logMu.Unlock()
	return err
}

func (a *auth) readSnapshot(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var snap authSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("access section: %w", err)
	}
	st := &authState{byID: map[string]*APIKey{}, byHash: map[[32]byte]*APIKey{}}
	for _, kj := range snap.Keys {
		k := kj.APIKey
		if len(kj.Hash) != 32 {
			return fmt.Errorf("access section: key %s: hash of %d bytes", k.ID, len(kj.Hash))
		}
		copy(k.Hash[:], kj.Hash)
		k.Role = access.Role(kj.Role)
		st.byID[k.ID] = &k
		st.byHash[k.Hash] = &k
	}
	if _, err := audit.Verify(snap.Log, [32]byte{}); err != nil && len(snap.Log) > 0 {
		return fmt.Errorf("access section: %w", err)
	}
	a.state.Store(st)
	a.log, a.chain = snap.Log, snap.Chain
	return nil
}

func (e *Engine) authComponent() *auth {
	for _, c := range e.comps() {
		if a, ok := c.(*auth); ok {
			return a
		}
	}
	panic("engine: no access component")
}

// CreateKey makes a new API key with role, durable before it returns. The
// key string is returned once and never stored.
func (e *Engine) CreateKey(ctx context.Context, role access.Role, name string, expires time.Time) (APIKey, string, error) {
	if !role.Valid() {
		return APIKey{}, "", fmt.Errorf("%w %d", ErrInvalidRole, role)
	}
	id, key, err := access.NewKey()
	if err != nil {
		return APIKey{}, "", err
	}
	h := access.Hash(key)
	var exp int64
	if !expires.IsZero() {
		exp = expires.Unix()
	}
	if _, err := e.submit1(ctx, &record.KeyCreate{ID: id, Hash: h[:], Role: uint8(role), Name: name, ExpiresAt: exp, At: e.now(), Actor: e.actor(ctx)}); err != nil {
		return APIKey{}, "", err
	}
	k := e.authComponent().state.Load().byID[id]
	return *k, key, nil
}

// RevokeKey disables a key; requests with it fail from the next one on.
func (e *Engine) RevokeKey(ctx context.Context, id, reason string) error {
	if _, ok := e.authComponent().state.Load().byID[id]; !ok {
		return fmt.Errorf("key %s: %w", id, ErrUnknownKey)
	}
	_, err := e.submit1(ctx, &record.KeyRevoke{ID: id, At: e.now(), Actor: e.actor(ctx), Reason: reason})
	return err
}

// Keys lists the stored keys (ids, roles, names; never secrets), by id.
func (e *Engine) Keys() []APIKey {
	st := e.authComponent().state.Load()
	out := make([]APIKey, 0, len(st.byID))
	for _, k := range st.byID {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Authenticate finds the live key a request presented. It never blocks
// on the writer: the key maps are an immutable published view.
func (e *Engine) Authenticate(key string) (APIKey, error) {
	k, err := e.AuthenticateRef(key)
	if k == nil {
		return APIKey{}, err
	}
	return *k, err
}

// AuthenticateRef is Authenticate without the copy: the key it returns is
// part of the published view and must not be modified.
func (e *Engine) AuthenticateRef(key string) (*APIKey, error) {
	if _, err := access.KeyID(key); err != nil {
		return nil, ErrBadKey
	}
	h := access.Hash(key)
	k, ok := e.authComponent().state.Load().byHash[h]
	if !ok || subtle.ConstantTimeCompare(k.Hash[:], h[:]) != 1 {
		return nil, ErrBadKey
	}
	if k.RevokedAt != 0 {
		return k, ErrKeyRevoked
	}
	if k.ExpiresAt != 0 && e.now() >= k.ExpiresAt {
		return k, ErrKeyExpired
	}
	return k, nil
}

// AccessRequest describes one read of personal data for the access log.
type AccessRequest struct {
	KeyID   string
	Role    access.Role
	Action  string
	Subject string
	Why     string
	Detail  string
}

// LogAccess writes a read of personal data to the access log and returns
// once it is durable. Callers log before they hand out the data: a read
// that cannot be logged does not happen.
func (e *Engine) LogAccess(ctx context.Context, r AccessRequest) (journal.Seq, error) {
	return e.submit1(ctx, &record.Access{At: e.now(), KeyID: r.KeyID, Role: uint8(r.Role), Action: r.Action, Subject: r.Subject, Why: r.Why, Detail: r.Detail})
}

// AccessLog returns the access log entries with Seq > after, at most limit
// (0: all), and the chain's head.
func (e *Engine) AccessLog(after uint64, limit int) ([]audit.Entry, audit.Chain) {
	a := e.authComponent()
	a.logMu.Lock()
	defer a.logMu.Unlock()
	i := sort.Search(len(a.log), func(i int) bool { return a.log[i].Seq > after })
	out := a.log[i:]
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return append([]audit.Entry(nil), out...), a.chain
}

// actorKey carries the request's actor (an API key id) in a context.
type actorKey struct{}

// WithActor returns a context whose commands are recorded as done by actor
// (e.g. "key:0123456789ab") instead of the engine's default actor.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

func (e *Engine) actor(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return e.opts.Actor
}
