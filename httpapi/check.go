package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/suppression"
)

// checkRequest is one check: the subject's keys (any of them), scope and time.
type checkRequest struct {
	Customer string `json:"customer,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Email    string `json:"email,omitempty"`
	Address  string `json:"address,omitempty"`
	Channel  string `json:"channel"`
	Purpose  string `json:"purpose"`
	Sponsor  string `json:"sponsor,omitempty"`
	At       string `json:"at,omitempty"`
}

// parseCheckQuery reads the query of GET /v1/check. Unknown or repeated
// parameters are errors: a typo ("phnoe=") must not turn into a check of
// nothing.
func parseCheckQuery(raw string) (checkRequest, error) {
	var req checkRequest
	seen := 0
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			uk, err := url.QueryUnescape(k)
			if err != nil {
				return req, badRequest("query", "query parameter name %q is not URL-encoded correctly", k)
			}
			k = uk
		}
		if strings.ContainsAny(v, "%+") {
			uv, err := url.QueryUnescape(v)
			if err != nil {
				return req, badRequest(k, "value of %q is not URL-encoded correctly", k)
			}
			v = uv
		}
		var dst *string
		var bit int
		switch k {
		case "customer":
			dst, bit = &req.Customer, 1
		case "phone":
			dst, bit = &req.Phone, 2
		case "email":
			dst, bit = &req.Email, 4
		case "address":
			dst, bit = &req.Address, 8
		case "channel":
			dst, bit = &req.Channel, 16
		case "purpose":
			dst, bit = &req.Purpose, 32
		case "sponsor":
			dst, bit = &req.Sponsor, 64
		case "at":
			dst, bit = &req.At, 128
		default:
			if !utf8.ValidString(k) || len(k) > 64 {
				return req, badRequest("query", "unknown query parameter")
			}
			return req, badRequest(k, "unknown parameter %q (want phone, email, address, customer, channel, purpose, sponsor, at)", k)
		}
		if seen&bit != 0 {
			return req, badRequest(k, "parameter %q given twice", k)
		}
		seen |= bit
		*dst = v
	}
	return req, nil
}

// decided is a check's answer, before JSON.
type decided struct {
	allowed bool
	reasons []suppression.Reason
	invalid []invalidKey
	key     []byte // valid until the checker's next check
	version uint64
}

type invalidKey struct {
	kind   contactkey.Kind
	reason string
}

// checker holds what one request reuses across the checks it makes.
type checker struct {
	s       *Server
	e       *engine.Engine
	now     time.Time
	keys    []contactkey.Key
	reasons []suppression.Reason
	shown   []byte
	raw     []byte
	out     []byte
}

// jsonContentType is shared by every check answer (net/http only reads
// it), sparing a header allocation per request.
var jsonContentType = []string{"application/json"}

func (s *Server) newChecker() *checker {
	ck, _ := s.checkers.Get().(*checker)
	if ck == nil {
		ck = &checker{s: s}
	}
	ck.e, ck.now = s.engine(), s.now()
	return ck
}

// done returns ck (and its buffers) to the pool.
func (s *Server) doneChecker(ck *checker) {
	if cap(ck.keys) > 64 || cap(ck.reasons) > 64 || cap(ck.shown) > 4096 || cap(ck.raw) > 4096 {
		return
	}
	ck.e = nil
	s.checkers.Put(ck)
}

// check decides one request. field prefixes the names of bad fields (the
// item's index in a batch).
func (ck *checker) check(req *checkRequest, field string) (decided, error) {
	var d decided
	if req.Channel == "" {
		return d, missing(field + "channel")
	}
	if req.Purpose == "" {
		return d, missing(field + "purpose")
	}
	ch, err := suppression.ParseChannel(req.Channel)
	if err != nil {
		return d, fieldErr(field+"channel", err)
	}
	at := ck.now
	if req.At != "" {
		if at, err = parseTime(req.At); err != nil {
			return d, badRequest(field+"at", "%q: want RFC 3339 (2026-11-22T10:00:00Z) or a date (2026-11-22)", req.At)
		}
	}
	scope := suppression.Scope{Channel: ch, Purpose: strings.TrimSpace(req.Purpose), Sponsor: strings.TrimSpace(req.Sponsor)}
	ck.keys = ck.keys[:0]
	ck.shown = ck.shown[:0]
	any := false
	for _, rk := range [...]struct {
		kind contactkey.Kind
		raw  string
	}{{contactkey.KindCustomer, req.Customer}, {contactkey.KindPhone, req.Phone}, {contactkey.KindEmail, req.Email}, {contactkey.KindAddress, req.Address}} {
		if rk.raw == "" {
			continue
		}
		any = true
		ck.raw = append(ck.raw[:0], rk.raw...) // reused: no copy allocated per key
		k, err := ck.s.d.Normalizer.Key(rk.kind, ck.raw, ck.e.Hasher())
		if err != nil {
			// Fail closed: a key we cannot read is never "allowed".
			reason := err.Error()
			var ke *contactkey.KeyError
			if errors.As(err, &ke) {
				reason = ke.Reason
			}
			d.invalid = append(d.invalid, invalidKey{kind: rk.kind, reason: reason})
			continue
		}
		ck.keys = append(ck.keys, k)
		if len(ck.shown) > 0 {
			ck.shown = append(ck.shown, ' ')
		}
		if rk.kind == contactkey.KindPhone {
			ck.shown = appendE164(ck.shown, k.V)
		} else if norm, err := ck.s.d.Normalizer.Normalize(rk.kind, rk.raw); err == nil {
			// Hashed kinds: echo the caller's own input, normalised; the
			// store holds only hashes.
			ck.shown = append(append(append(ck.shown, rk.kind.String()...), ':'), norm...)
		}
	}
	if !any {
		return d, missing(field + "phone")
	}
	dec, err := ck.e.Check(scope, ck.keys, at, ck.reasons)
	if err != nil {
		return d, fieldErr(field+"purpose", err)
	}
	ck.reasons = dec.Reasons
	d.allowed = dec.Allowed && len(d.invalid) == 0
	d.reasons = dec.Reasons
	d.key = ck.shown
	d.version = uint64(dec.Version)
	if len(d.invalid) > 0 {
		ck.s.m.invalidKey()
	}
	ck.s.m.decision(d.allowed, d.reasons)
	return d, nil
}

func appendE164(dst []byte, v uint64) []byte {
	return strconv.AppendUint(append(dst, '+'), v, 10)
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

// appendDecision writes d as JSON. Hand-written: this is the hot path of
// the dialer's check, and reflection-based encoding costs more than the
// decision itself.
func appendDecision(b []byte, d *decided) []byte {
	b = append(b, `{"allowed":`...)
	b = strconv.AppendBool(b, d.allowed)
	b = append(b, `,"reasons":[`...)
	n := 0
	for _, iv := range d.invalid {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"code":"invalid_key","kind":"`...)
		b = append(b, iv.kind.String()...)
		b = append(b, `","detail":`...)
		b = appendJSONString(b, iv.reason)
		b = append(b, '}')
	}
	for _, r := range d.reasons {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"code":`...)
		b = appendJSONString(b, r.Code)
		if r.List != "" {
			b = append(b, `,"list":`...)
			b = appendJSONString(b, r.List)
		}
		if r.Source != "" {
			b = append(b, `,"source":`...)
			b = appendJSONString(b, r.Source)
		}
		if r.Purpose != "" {
			b = append(b, `,"purpose":`...)
			b = appendJSONString(b, r.Purpose)
		}
		if r.Kind.Valid() {
			b = append(b, `,"kind":"`...)
			b = append(b, r.Kind.String()...)
			b = append(b, '"')
		}
		if r.Since > 0 {
			b = append(b, `,"since":"`...)
			b = time.Unix(r.Since, 0).UTC().AppendFormat(b, time.RFC3339)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, `],"key":`...)
	b = appendJSONBytes(b, d.key)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, d.version, 10)
	return append(b, '}')
}

// appendJSONBytes is appendJSONString for bytes; plain ASCII goes straight in.
func appendJSONBytes(b, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return appendJSONString(b, string(s))
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			b = append(b, c)
			i++
			continue
		}
		if c < 0x80 {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, `\u202`...)
			b = append(b, "0123456789abcdef"[r&15])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func (s *Server) checkGet(c *gin.Context) {
	req, err := parseCheckQuery(c.Request.URL.RawQuery)
	if err != nil {
		s.fail(c, err)
		return
	}
	ck := s.newChecker()
	defer s.doneChecker(ck)
	d, err := ck.check(&req, "")
	if err != nil {
		s.fail(c, err)
		return
	}
	ck.out = appendDecision(ck.out[:0], &d)
	writeJSON(c, ck.out)
}

// writeJSON sends a 200 with a JSON body, straight to the writer: gin's
// c.Data boxes a renderer and builds a Content-Type slice per call.
func writeJSON(c *gin.Context, body []byte) {
	w := c.Writer
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// checkBatch answers POST /v1/check: a JSON array, or NDJSON, of checks,
// answered in the same order.
func (s *Server) checkBatch(c *gin.Context) {
	ct := contentType(c)
	var reqs []checkRequest
	var err error
	switch ct {
	case "application/json":
		reqs, err = readJSONBatch(c.Request.Body, s.cfg.MaxBatch)
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		reqs, err = readNDJSONBatch(c.Request.Body, s.cfg.MaxBatch)
	default:
		err = unsupported(ct, "application/json (an array)", "application/x-ndjson")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	ck := s.newChecker()
	defer s.doneChecker(ck)
	out := make([]byte, 0, 64+len(reqs)*160)
	out = append(out, `{"results":[`...)
	for i := range reqs {
		d, err := ck.check(&reqs[i], strconv.Itoa(i)+".")
		if err != nil {
			s.fail(c, err)
			return
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = appendDecision(out, &d)
	}
	out = append(out, "]}"...)
	writeJSON(c, out)
}

func tooMany(max int) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: "batch_too_large", field: "body", message: fmt.Sprintf("a batch holds at most %d checks", max)}
}

// readJSONBatch reads a JSON array of checks, element by element, so a
// batch past the limit is refused without decoding it all.
func readJSONBatch(r io.Reader, max int) ([]checkRequest, error) {
	body, err := io.ReadAll(r) // bounded by the body limit
	if err != nil {
		return nil, jsonErr(err, "body")
	}
	if reqs, ok, over := fastBatch(body, max, make([]checkRequest, 0, 256)); over {
		return nil, tooMany(max)
	} else if ok {
		return reqs, nil
	}
	return decodeJSONBatch(bytes.NewReader(body), max)
}

// decodeJSONBatch is the general decoder, with errors that say where.
func decodeJSONBatch(r io.Reader, max int) ([]checkRequest, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err, "body")
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, badRequest("body", "want a JSON array of checks")
	}
	reqs := make([]checkRequest, 0, 64)
	for dec.More() {
		if len(reqs) == max {
			return nil, tooMany(max)
		}
		var req checkRequest
		if err := dec.Decode(&req); err != nil {
			return nil, jsonErr(err, strconv.Itoa(len(reqs)))
		}
		reqs = append(reqs, req)
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(err, "body")
	}
	if dec.More() {
		return nil, badRequest("body", "data after the JSON array")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("body", "data after the JSON array")
	}
	if len(reqs) == 0 {
		return nil, badRequest("body", "the batch is empty")
	}
	return reqs, nil
}

// readNDJSONBatch reads one JSON object per line; blank lines are skipped.
func readNDJSONBatch(r io.Reader, max int) ([]checkRequest, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	reqs := make([]checkRequest, 0, 64)
	line := 0
	var in interner
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, badRequest("line "+strconv.Itoa(line+1), "line longer than 64 KiB")
		}
		if len(b) > 0 {
			line++
			if t := bytes.TrimSpace(b); len(t) > 0 {
				if len(reqs) == max {
					return nil, tooMany(max)
				}
				var req checkRequest
				if fastLine(t, &req, &in) {
					reqs = append(reqs, req)
					continue
				}
				req = checkRequest{}
				dec := json.NewDecoder(bytes.NewReader(t))
				dec.DisallowUnknownFields()
				if derr := dec.Decode(&req); derr != nil {
					return nil, jsonErr(derr, "line "+strconv.Itoa(line))
				}
				if dec.More() {
					return nil, badRequest("line "+strconv.Itoa(line), "more than one JSON value on the line")
				}
				reqs = append(reqs, req)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, jsonErr(err, "body")
		}
	}
	if len(reqs) == 0 {
		return nil, badRequest("body", "the batch is empty")
	}
	return reqs, nil
}

// jsonErr turns a decoding error into a 400 naming where it happened (or
// passes on a body-size or connection error as it is).
func jsonErr(err error, where string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &apiError{status: 400, code: "malformed_json", field: where, message: fmt.Sprintf("%s: malformed JSON at byte %d: %v", where, se.Offset, se)}
	case errors.As(err, &te):
		f := where
		if te.Field != "" {
			f = where + "." + te.Field
		}
		return &apiError{status: 400, code: "malformed_json", field: f, message: fmt.Sprintf("%s: %s must be a %s, not %s", where, f, te.Type, te.Value)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &apiError{status: 400, code: "malformed_json", field: where, message: where + ": the JSON ends early"}
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return &apiError{status: 400, code: "unknown_field", field: where, message: where + ": " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	return &apiError{status: 400, code: "malformed_json", field: where, message: where + ": " + err.Error()}
}
