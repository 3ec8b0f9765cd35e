package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
)

// Deps is what the server is wired from (by cmd/hush serve).
type Deps struct {
	// Normalizer turns raw keys into contact keys (the --region default).
	Normalizer *contactkey.Normalizer
	// TokenSecret signs one-click unsubscribe tokens (HMAC-SHA256).
	TokenSecret []byte
	// JobsDir holds uploads and outputs of running and recent jobs.
	JobsDir string
	// Tool names the binary in manifests ("hush 0.1.0").
	Tool string
	// Logf receives operational notes. May be nil.
	Logf func(format string, args ...any)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// JournalStats, if set, reports the journal's fsync count and total
	// fsync time for /metrics.
	JournalStats func() (syncs uint64, syncNanos uint64)
	// Instance names this instance in a fleet ("" alone): its job ids
	// start with it, so another instance knows whom to pass a request for
	// the job to (Peers).
	Instance string
	// Peers finds the other instances of the fleet (nil alone).
	Peers Peers
}

// Peers says where another instance of the fleet answers.
type Peers interface {
	InstanceURL(ctx context.Context, instance string) (string, error)
}

// Server is the HTTP API over one engine.
type Server struct {
	cfg      config.Server
	d        Deps
	eng      atomic.Pointer[engine.Engine]
	router   *gin.Engine
	m        *metrics
	jobs     *jobTable
	inflight chan struct{}
	draining atomic.Bool
	checkers sync.Pool // *checker
	cores    importCores
}

// New builds the server. It answers /healthz at once, and everything
// else with 503 until Ready hands it the recovered engine.
func New(cfg config.Server, d Deps) (*Server, error) {
	if d.Normalizer == nil {
		return nil, errors.New("httpapi: Deps.Normalizer is required")
	}
	if len(d.TokenSecret) < 16 {
		return nil, errors.New("httpapi: Deps.TokenSecret must hold at least 16 bytes")
	}
	if d.Logf == nil {
		d.Logf = func(string, ...any) {}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{cfg: cfg, d: d, inflight: make(chan struct{}, cfg.MaxInFlight)}
	s.m = newMetrics(s)
	jt, err := newJobTable(d.JobsDir, cfg.MaxJobs, cfg.JobRetention, d.Now, d.Instance)
	if err != nil {
		return nil, err
	}
	s.jobs = jt
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	s.router = r
	s.routes(r)
	return s, nil
}

// Ready publishes the recovered engine: /readyz turns 200 and the API
// starts answering.
func (s *Server) Ready(e *engine.Engine) { s.eng.Store(e) }

// Handler is the server's http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.router }

func (s *Server) logf(format string, args ...any) { s.d.Logf(format, args...) }

func (s *Server) now() time.Time { return s.d.Now() }

// Serve answers on ln until ctx ends, then shuts down gracefully: it
// stops accepting connections, lets in-flight requests finish (up to the
// shutdown timeout), and waits for running jobs to finish or, past the
// timeout, cancels them (an import cancelled is aborted: its list stays
// as it was). The caller then closes the engine and the journal, which
// flushes what was acknowledged.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(fastListener(ln)) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	s.logf("shutting down: no new connections; waiting up to %s for requests in flight", s.cfg.ShutdownTimeout)
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close()
	}
	s.jobs.shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
