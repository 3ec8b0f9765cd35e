package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/access"
)

// route is one endpoint: who may call it and what answers it. To add an
// endpoint, add a line to apiRoutes and write the handler as a Server
// method in a file of its own.
type route struct {
	method, path string
	roles        []access.Role // empty: no API key (the handler authenticates some other way)
	kind         routeKind
	handler      func(s *Server, c *gin.Context)
}

type routeKind uint8

const (
	plain    routeKind = iota // bounded body (MaxBodyBytes), request timeout
	upload                    // streamed body (MaxUploadBytes), idle timeout instead of a total
	download                  // long answer: no total write timeout
)

func roles(rs ...access.Role) []access.Role { return rs }

var (
	checkers = roles(access.Agent, access.Marketer, access.PrivacyOfficer)
	intake   = roles(access.Marketer, access.PrivacyOfficer)
	viewers  = roles(access.Admin, access.Marketer, access.PrivacyOfficer, access.Analyst)
	jobUsers = roles(access.Marketer, access.Admin, access.PrivacyOfficer)
)

// apiRoutes is every /v1 endpoint, and the public ones that need a ready
// engine.
var apiRoutes = []route{
	{"GET", "/v1/check", checkers, plain, (*Server).checkGet},
	{"POST", "/v1/check", checkers, plain, (*Server).checkBatch},

	{"POST", "/v1/optouts", intake, plain, (*Server).optOutPost},
	{"DELETE", "/v1/optouts", intake, plain, (*Server).optOutDelete},
	{"GET", "/v1/subjects/:kind/:value", roles(access.PrivacyOfficer), plain, (*Server).subjectGet},

	{"GET", "/v1/lists", viewers, plain, (*Server).listsGet},
	{"POST", "/v1/lists", roles(access.Admin), plain, (*Server).listCreate},
	{"GET", "/v1/lists/:name", viewers, plain, (*Server).listGet},
	{"DELETE", "/v1/lists/:name", roles(access.Admin), plain, (*Server).listDelete},
	{"GET", "/v1/lists/:name/export", roles(access.PrivacyOfficer), download, (*Server).listExport},
	{"POST", "/v1/lists/:name/import", roles(access.Marketer, access.Admin), upload, (*Server).listImport},
	{"DELETE", "/v1/lists/:name/entries/:value", roles(access.PrivacyOfficer), plain, (*Server).listEntryDelete},

	{"POST", "/v1/scrub", roles(access.Marketer), upload, (*Server).scrubPost},
	{"GET", "/v1/jobs", jobUsers, plain, (*Server).jobsGet},
	{"GET", "/v1/jobs/:id", jobUsers, plain, (*Server).jobGet},
	{"GET", "/v1/jobs/:id/files/:file", jobUsers, download, (*Server).jobFile},

	{"GET", "/v1/campaigns", roles(access.Marketer), plain, (*Server).campaignsGet},
	{"POST", "/v1/campaigns", roles(access.Marketer), plain, (*Server).campaignCreate},
	{"GET", "/v1/campaigns/:name", roles(access.Marketer), plain, (*Server).campaignGet},
	{"DELETE", "/v1/campaigns/:name", roles(access.Marketer), plain, (*Server).campaignDelete},
	{"POST", "/v1/campaigns/:name/dry-run", roles(access.Marketer), plain, (*Server).campaignDryRun},
	{"POST", "/v1/campaigns/:name/run", roles(access.Marketer), download, (*Server).campaignRun},
	{"GET", "/v1/segments/count", roles(access.Marketer, access.Analyst), plain, (*Server).segmentCount},

	{"POST", "/v1/tokens", roles(access.Marketer), upload, (*Server).tokensPost},

	{"GET", "/v1/keys", roles(access.Admin), plain, (*Server).keysGet},
	{"POST", "/v1/keys", roles(access.Admin), plain, (*Server).keyCreate},
	{"DELETE", "/v1/keys/:id", roles(access.Admin), plain, (*Server).keyRevoke},
	{"GET", "/v1/accesslog", roles(access.PrivacyOfficer), plain, (*Server).accessLogGet},

	{"GET", "/v1/rfm/report", roles(access.Analyst, access.Admin, access.Marketer), plain, (*Server).rfmReport},
	{"POST", "/v1/purchases", roles(access.Marketer, access.Admin), upload, (*Server).purchasesPost},

	{"POST", "/v1/inbound/sms", nil, plain, (*Server).smsInbound},
	{"GET", "/u/:token", nil, plain, (*Server).unsubscribePage},
	{"POST", "/u/:token", nil, plain, (*Server).unsubscribePost},
}

// usesPrincipal says whether the handler reads the caller's key
// (principal, Server.ctx). The checks do not: their answer is the same
// whoever asks, and they write nothing. Not storing the key spares the
// gin.Context's key map, allocated afresh for every request that sets one.
func (rt route) usesPrincipal() bool { return rt.path != "/v1/check" }

func (s *Server) routes(r *gin.Engine) {
	r.Use(s.observe, s.recoverPanic)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", s.metricsHandler)
	for _, rt := range apiRoutes {
		rt := rt
		h := []gin.HandlerFunc{s.limit, s.requireReady, s.bound(rt.kind)}
		if len(rt.roles) > 0 {
			h = append(h, s.authenticate(rt.roles, rt.usesPrincipal()))
		}
		h = append(h, func(c *gin.Context) { rt.handler(s, c) })
		r.Handle(rt.method, rt.path, h...)
	}
	r.NoRoute(func(c *gin.Context) {
		s.fail(c, newErr(404, "not_found", "no endpoint %s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		s.fail(c, newErr(405, "method_not_allowed", "%s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})
}
