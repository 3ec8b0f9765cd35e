package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/audit"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// optOutBody is POST and DELETE /v1/optouts.
type optOutBody struct {
	Customer string   `json:"customer"`
	Phone    string   `json:"phone"`
	Email    string   `json:"email"`
	Address  string   `json:"address"`
	Channels []string `json:"channels"`
	Purposes []string `json:"purposes"`
	Source   string   `json:"source"`
	Evidence string   `json:"evidence"`
	At       string   `json:"at"`
}

func decodeJSONBody(c *gin.Context, v any) error {
	if ct := contentType(c); ct != "application/json" {
		return unsupported(ct, "application/json")
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonErr(err, "body")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("body", "data after the JSON object")
	}
	return nil
}

// subjectKey reads the one key an opt-out names.
func (s *Server) subjectKey(e *engine.Engine, b *optOutBody) (contactkey.Key, string, error) {
	var kind contactkey.Kind
	var raw string
	n := 0
	for _, k := range []struct {
		kind contactkey.Kind
		v    string
	}{{contactkey.KindCustomer, b.Customer}, {contactkey.KindPhone, b.Phone}, {contactkey.KindEmail, b.Email}, {contactkey.KindAddress, b.Address}} {
		if k.v != "" {
			kind, raw = k.kind, k.v
			n++
		}
	}
	if n == 0 {
		return contactkey.Key{}, "", missing("phone")
	}
	if n > 1 {
		return contactkey.Key{}, "", badRequest("phone", "name exactly one of phone, email, address, customer")
	}
	key, err := s.d.Normalizer.Key(kind, []byte(raw), e.Hasher())
	if err != nil {
		return key, "", fieldErr(kind.String(), err)
	}
	shown, _ := s.d.Normalizer.Normalize(kind, raw)
	if kind != contactkey.KindPhone {
		shown = kind.String() + ":" + shown
	}
	return key, shown, nil
}

func (s *Server) optOutPost(c *gin.Context)   { s.optOut(c, false) }
func (s *Server) optOutDelete(c *gin.Context) { s.optOut(c, true) }

func (s *Server) optOut(c *gin.Context, optIn bool) {
	var b optOutBody
	if err := decodeJSONBody(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	e := s.engine()
	key, shown, err := s.subjectKey(e, &b)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(b.Channels) == 0 {
		s.fail(c, missing("channels"))
		return
	}
	if len(b.Purposes) == 0 {
		s.fail(c, missing("purposes"))
		return
	}
	ch, err := suppression.ParseChannels(strings.Join(b.Channels, ","))
	if err != nil {
		s.fail(c, fieldErr("channels", err))
		return
	}
	ps, err := suppression.ParsePurposes(strings.Join(b.Purposes, ","))
	if err != nil {
		s.fail(c, fieldErr("purposes", err))
		return
	}
	if optIn && strings.TrimSpace(b.Evidence) == "" {
		s.fail(c, &apiError{status: 400, code: "evidence_required", field: "evidence", message: "opting back in needs evidence of the customer's wish (a signed form id, a call recording...)"})
		return
	}
	var at time.Time
	if b.At != "" {
		if at, err = parseTime(b.At); err != nil {
			s.fail(c, badRequest("at", "%q: want RFC 3339 or a date", b.At))
			return
		}
	}
	if b.Source == "" {
		b.Source = "customer_request"
	}
	seq, err := e.RecordOptOut(s.ctx(c), engine.OptOutRequest{Key: key, Channels: ch, Purposes: ps, Source: b.Source, Evidence: b.Evidence, OptIn: optIn, At: at})
	if err != nil {
		s.fail(c, err)
		return
	}
	result := "opted_out"
	if optIn {
		result = "opted_in"
	}
	// Durable and applied before this answer: the next check sees it.
	c.JSON(http.StatusOK, gin.H{"result": result, "key": shown, "channels": ch.String(), "purposes": ps.String(), "source": b.Source, "version": seq})
}

// subjectGet answers GET /v1/subjects/{kind}/{value}?why=...: everything
// held about one subject. The read is written to the access log first.
func (s *Server) subjectGet(c *gin.Context) {
	why := strings.TrimSpace(c.Query("why"))
	if why == "" {
		s.fail(c, &apiError{status: 400, code: "missing_parameter", field: "why", message: "say why you look this subject up (?why=DSAR-1234): it goes to the access log"})
		return
	}
	kind, err := contactkey.ParseKind(c.Param("kind"))
	if err != nil {
		s.fail(c, fieldErr("kind", err))
		return
	}
	e := s.engine()
	raw := c.Param("value")
	key, err := s.d.Normalizer.Key(kind, []byte(raw), e.Hasher())
	if err != nil {
		s.fail(c, fieldErr("value", err))
		return
	}
	shown, _ := s.d.Normalizer.Normalize(kind, raw)
	subject := kind.String() + ":" + shown
	if kind.Hashed() {
		// The log names hashed subjects by their keyed hash, so it holds
		// no more plaintext than the store does.
		subject = fmt.Sprintf("%s#%016x", kind, key.V)
	}
	p := principal(c)
	if _, err := e.LogAccess(s.ctx(c), engine.AccessRequest{KeyID: p.ID, Role: p.Role, Action: "subject_lookup", Subject: subject, Why: why}); err != nil {
		s.fail(c, err)
		return
	}
	type listHit struct {
		List    string `json:"list"`
		Type    string `json:"type"`
		Source  string `json:"source"`
		Expires string `json:"expires,omitempty"`
		Version uint64 `json:"version"`
	}
	type event struct {
		Version  uint64 `json:"version"`
		At       string `json:"at"`
		OptIn    bool   `json:"opt_in"`
		Channels string `json:"channels"`
		Purposes string `json:"purposes"`
		Source   string `json:"source"`
		Evidence string `json:"evidence,omitempty"`
	}
	hits := []listHit{}
	events := []event{}
	var version journal.Seq
	e.Read(func(st *suppression.Store, v journal.Seq) error {
		version = v
		for _, l := range st.Lists() {
			exp, ok := l.Entry(key)
			if !ok {
				continue
			}
			h := listHit{List: l.Name(), Type: l.Spec().Type.String(), Source: l.Spec().Source, Version: l.Version()}
			if exp > 0 {
				h.Expires = time.Unix(exp, 0).UTC().Format(time.RFC3339)
			}
			hits = append(hits, h)
		}
		for _, ev := range st.History(key) {
			events = append(events, event{Version: ev.Version, At: time.Unix(ev.At, 0).UTC().Format(time.RFC3339), OptIn: ev.OptIn,
				Channels: ev.Channels.String(), Purposes: ev.Purposes.String(), Source: ev.Source, Evidence: ev.Evidence})
		}
		return nil
	})
	c.JSON(http.StatusOK, gin.H{"subject": kind.String() + ":" + shown, "lists": hits, "optouts": events, "version": version})
}

// keys: admin.

func (s *Server) keysGet(c *gin.Context) {
	type keyJSON struct {
		engine.APIKey
		Role string `json:"role"`
	}
	out := []keyJSON{}
	for _, k := range s.engine().Keys() {
		out = append(out, keyJSON{k, k.Role.String()})
	}
	c.JSON(http.StatusOK, gin.H{"keys": out})
}

func (s *Server) keyCreate(c *gin.Context) {
	var b struct {
		Role    string `json:"role"`
		Name    string `json:"name"`
		Expires string `json:"expires"`
	}
	if err := decodeJSONBody(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	if b.Role == "" {
		s.fail(c, missing("role"))
		return
	}
	role, err := access.ParseRole(b.Role)
	if err != nil {
		s.fail(c, fieldErr("role", err))
		return
	}
	var exp time.Time
	if b.Expires != "" {
		if exp, err = parseTime(b.Expires); err != nil {
			s.fail(c, badRequest("expires", "%q: want RFC 3339 or a date", b.Expires))
			return
		}
	}
	k, secret, err := s.engine().CreateKey(s.ctx(c), role, b.Name, exp)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": k.ID, "role": role.String(), "name": k.Name, "key": secret, "expires_at": k.ExpiresAt,
		"note": "this is the only time the key is shown; hush keeps only its hash"})
}

func (s *Server) keyRevoke(c *gin.Context) {
	if err := s.engine().RevokeKey(s.ctx(c), c.Param("id"), c.Query("reason")); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"revoked": c.Param("id")})
}

// accessLogGet: privacy_officer reads the access log (after=SEQ, limit=N).
func (s *Server) accessLogGet(c *gin.Context) {
	after, limit := uint64(0), 1000
	if v := c.Query("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(c, badRequest("after", "want a journal sequence number"))
			return
		}
		after = n
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			s.fail(c, badRequest("limit", "want 1..100000"))
			return
		}
		limit = n
	}
	entries, chain := s.engine().AccessLog(after, limit)
	type entryJSON struct {
		Seq     uint64 `json:"seq"`
		At      string `json:"at"`
		KeyID   string `json:"key_id"`
		Role    string `json:"role"`
		Action  string `json:"action"`
		Subject string `json:"subject"`
		Why     string `json:"why"`
		Detail  string `json:"detail,omitempty"`
		Hash    string `json:"hash"`
	}
	out := make([]entryJSON, 0, len(entries))
	for _, en := range entries {
		out = append(out, entryJSON{en.Seq, time.Unix(en.At, 0).UTC().Format(time.RFC3339), en.KeyID, en.Role, en.Action, en.Subject, en.Why, en.Detail, audit.Hex(en.Hash)})
	}
	c.JSON(http.StatusOK, gin.H{"entries": out, "head": audit.Hex(chain.Head), "total": chain.N})
}
