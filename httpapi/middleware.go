package httpapi

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/engine"
)

// observe records every request's latency by route, method and status.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.m.observe(route, c.Request.Method, c.Writer.Status(), time.Since(start))
}

func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logf("panic in %s %s: %v", c.Request.Method, c.Request.URL.Path, v)
			s.fail(c, newErr(500, "internal", "internal error"))
		}
	}()
	c.Next()
}

// limit bounds the requests in flight: past MaxInFlight, 429 at once
// rather than a queue that grows until everything times out.
func (s *Server) limit(c *gin.Context) {
	select {
	case s.inflight <- struct{}{}:
	default:
		s.fail(c, newErr(http.StatusTooManyRequests, "too_many_requests", "the server is at its limit of %d requests in flight; retry shortly", cap(s.inflight)))
		return
	}
	c.Next()
	<-s.inflight
}

func (s *Server) engine() *engine.Engine { return s.eng.Load() }

// requireReady answers 503 until recovery has finished, and while the
// server drains for shutdown.
func (s *Server) requireReady(c *gin.Context) {
	if s.eng.Load() == nil {
		s.fail(c, newErr(http.StatusServiceUnavailable, "not_ready", "the server is recovering its state; retry shortly"))
		return
	}
	c.Next()
}

// bound puts the body limit and the slow-client deadlines in place.
func (s *Server) bound(kind routeKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		if kind == plain && c.Request.ContentLength == 0 && c.Request.Method == http.MethodGet {
			// No body to wait for, and the answer is small: the header
			// timeout already bounded what the client sends.
			c.Next()
			return
		}
		rc := http.NewResponseController(c.Writer)
		now := time.Now()
		switch kind {
		case plain:
			if c.Request.ContentLength > s.cfg.MaxBodyBytes {
				s.fail(c, newErr(http.StatusRequestEntityTooLarge, "body_too_large", "request body of %d bytes exceeds the limit of %d", c.Request.ContentLength, s.cfg.MaxBodyBytes))
				return
			}
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
			_ = rc.SetReadDeadline(now.Add(s.cfg.RequestTimeout))
			_ = rc.SetWriteDeadline(now.Add(s.cfg.RequestTimeout))
		case upload:
			if c.Request.ContentLength > s.cfg.MaxUploadBytes {
				s.fail(c, newErr(http.StatusRequestEntityTooLarge, "body_too_large", "upload of %d bytes exceeds the limit of %d", c.Request.ContentLength, s.cfg.MaxUploadBytes))
				return
			}
			c.Request.Body = &idleReader{r: http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxUploadBytes), rc: rc, idle: s.cfg.UploadIdleTimeout}
			_ = rc.SetReadDeadline(now.Add(s.cfg.UploadIdleTimeout))
			_ = rc.SetWriteDeadline(time.Time{})
		case download:
			_ = rc.SetReadDeadline(now.Add(s.cfg.RequestTimeout))
			_ = rc.SetWriteDeadline(time.Time{})
		}
		c.Next()
	}
}

// idleReader cuts an upload that stops sending: every read that brings
// data moves the read deadline forward, so a slow but steady upload of
// any size goes through while a stalled one ends after the idle timeout.
type idleReader struct {
	r    io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	last time.Time
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		if now := time.Now(); now.Sub(r.last) > time.Second {
			r.last = now
			_ = r.rc.SetReadDeadline(now.Add(r.idle))
		}
	}
	return n, err
}

func (r *idleReader) Close() error { return r.r.Close() }

const principalKey = "hush.principal"

// authenticate checks the bearer key and its role; keep stores the key
// for the handler (principal).
func (s *Server) authenticate(allowed []access.Role, keep bool) gin.HandlerFunc {
	names := make([]string, len(allowed))
	for i, r := range allowed {
		names[i] = r.String()
	}
	need := strings.Join(names, " or ")
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			c.Header("WWW-Authenticate", `Bearer realm="hush"`)
			s.fail(c, &apiError{status: http.StatusUnauthorized, code: "unauthorized", field: "Authorization", message: "send an API key as Authorization: Bearer KEY"})
			return
		}
		k, err := s.engine().AuthenticateRef(strings.TrimSpace(tok))
		if err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="hush", error="invalid_token"`)
			s.fail(c, &apiError{status: http.StatusUnauthorized, code: "unauthorized", field: "Authorization", message: err.Error(), err: err})
			return
		}
		if !slices.Contains(allowed, k.Role) {
			s.fail(c, newErr(http.StatusForbidden, "forbidden", "key %s has role %s; this endpoint needs %s", k.ID, k.Role, need))
			return
		}
		if keep {
			c.Set(principalKey, k) // a pointer: no copy boxed per request
		}
		c.Next()
	}
}

// ctx is the request's context, with the caller's key as the actor of
// whatever it writes to the journal.
func (s *Server) ctx(c *gin.Context) context.Context {
	ctx := c.Request.Context()
	if k := principal(c); k.ID != "" {
		return engine.WithActor(ctx, "key:"+k.ID)
	}
	return ctx
}

// principal is the key of an authenticated request (the zero key on
// routes whose usesPrincipal is false).
func principal(c *gin.Context) engine.APIKey {
	v, _ := c.Get(principalKey)
	if k, ok := v.(*engine.APIKey); ok {
		return *k
	}
	return engine.APIKey{}
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) readyz(c *gin.Context) {
	e := s.eng.Load()
	switch {
	case e == nil:
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "recovering"})
	case s.draining.Load():
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "shutting_down"})
	default:
		ss := e.SyncState()
		if !ss.Shared {
			c.JSON(http.StatusOK, gin.H{"status": "ready", "version": e.Applied()})
			return
		}
		// On a shared log: not ready while stale or still catching up.
		body := gin.H{"status": "ready", "version": ss.Applied, "last": ss.Last, "lag": ss.Last - ss.Applied,
			"last_contact": ss.LastContact.UTC().Format(time.RFC3339Nano), "snapshot_reloads": ss.Reloads}
		if ss.Err != "" {
			body["error"] = ss.Err
		}
		switch {
		case ss.Stale:
			body["status"] = "stale"
		case !ss.CaughtUp:
			body["status"] = "catching_up"
		default:
			c.JSON(http.StatusOK, body)
			return
		}
		c.JSON(http.StatusServiceUnavailable, body)
	}
}

// contentType is the request's media type without parameters, lower case.
func contentType(c *gin.Context) string {
	ct := c.GetHeader("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

func unsupported(got string, want ...string) *apiError {
	if got == "" {
		got = "none"
	}
	return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", field: "Content-Type",
		message: "Content-Type " + got + " is not accepted here; send " + strings.Join(want, " or ")}
}
