package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// In a fleet behind a load balancer, the request for a job's status or
// files may reach an instance other than the one that ran it, which alone
// holds them (jobs are spooled to its disk). Job ids start with the id of
// their instance; an instance that does not hold the job looks that
// instance up (Deps.Peers: where each live instance advertises itself)
// and passes the request on as it came — the owner checks the key and
// the role again, so nothing is granted by the hop. A request passed on
// once is never passed on again (forwardedHeader), so a stale directory
// cannot make instances bounce it between them.

// forwardedHeader marks a request one instance passed to another.
const forwardedHeader = "X-Hush-Forwarded-By"

// forwardTimeout bounds reaching the owner; a download then streams as
// long as it takes.
const forwardTimeout = 5 * time.Second

var forwardTransport = &http.Transport{
	Proxy:                 nil, // instance to instance: never through an HTTP proxy
	ResponseHeaderTimeout: 30 * time.Second,
	IdleConnTimeout:       90 * time.Second,
	MaxIdleConnsPerHost:   4,
}

// forwardJob passes the request on to the instance its job id names, if
// that is another live instance; it reports whether it answered.
func (s *Server) forwardJob(c *gin.Context) bool {
	id := c.Param("id")
	owner, _, ok := strings.Cut(id, "-")
	if !ok || s.d.Peers == nil || owner == s.d.Instance || owner == "" || c.GetHeader(forwardedHeader) != "" {
		return false
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), forwardTimeout)
	base, err := s.d.Peers.InstanceURL(ctx, owner)
	cancel()
	if err != nil {
		s.logf("job %s: instance %s not found: %v", id, owner, err)
		s.fail(c, newErr(http.StatusNotFound, "not_found", "job %q ran on instance %s, which is not running any more (jobs do not survive their instance)", id, owner))
		return true
	}
	target, err := url.Parse(base)
	if err != nil || target.Scheme == "" || target.Host == "" {
		s.fail(c, errors.New("the fleet's directory holds a bad URL for instance "+owner))
		return true
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.URL.Path, r.Out.URL.RawPath = c.Request.URL.Path, c.Request.URL.RawPath
			r.Out.Header.Set(forwardedHeader, s.d.Instance)
		},
		Transport:     forwardTransport,
		FlushInterval: -1, // stream downloads as they come
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.logf("job %s: passing the request to instance %s at %s: %v", id, owner, base, err)
			s.fail(c, newErr(http.StatusBadGateway, "instance_unreachable", "job %q is on instance %s, which did not answer; retry", id, owner))
		},
	}
	rp.ServeHTTP(c.Writer, c.Request)
	return true
}
