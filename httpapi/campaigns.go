package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/segments"
	"github.com/hushcrm/hush/suppression"
)

// campaignRequest is the body of POST /v1/campaigns.
type campaignRequest struct {
	Name        string   `json:"name"`
	Channel     string   `json:"channel"`
	Purpose     string   `json:"purpose"`
	Sponsor     string   `json:"sponsor"`
	Audience    string   `json:"audience"`
	Consents    []string `json:"consents"`
	Caps        []string `json:"caps"`
	Schedule    string   `json:"schedule"`
	Description string   `json:"description"`
}

type campaignJSON struct {
	Name        string   `json:"name"`
	Channel     string   `json:"channel"`
	Purpose     string   `json:"purpose"`
	Sponsor     string   `json:"sponsor,omitempty"`
	Audience    string   `json:"audience"`
	Consents    []string `json:"consents,omitempty"`
	Caps        []string `json:"caps,omitempty"`
	Schedule    string   `json:"schedule"`
	NextRun     string   `json:"next_run,omitempty"`
	Description string   `json:"description,omitempty"`
	UpdatedBy   string   `json:"updated_by"`
	Version     uint64   `json:"version"`
}

func describeCampaign(c *engine.Campaign) campaignJSON {
	s := c.Spec
	out := campaignJSON{Name: s.Name, Channel: s.Channel.String(), Purpose: s.Purpose, Sponsor: s.Sponsor, Audience: s.Audience,
		Consents: s.Consents, Schedule: s.Schedule, Description: s.Description, UpdatedBy: c.UpdatedBy, Version: c.Version}
	for _, cp := range s.Caps {
		out.Caps = append(out.Caps, cp.String())
	}
	if sch, err := campaigns.ParseSchedule(s.Schedule); err == nil {
		if next := sch.Next(time.Now()); !next.IsZero() {
			out.NextRun = next.UTC().Format(time.RFC3339)
		}
	}
	return out
}

// campaignErr maps the errors of segments and campaigns to answers.
func campaignErr(err error) error {
	var se *segments.SyntaxError
	var ne *segments.NameError
	var te *segments.TypeError
	var stale *campaigns.StaleError
	switch {
	case errors.As(err, &stale):
		return &apiError{status: http.StatusConflict, code: "registry_stale", message: err.Error(), err: err}
	case errors.Is(err, engine.ErrUnknownCampaign), errors.Is(err, engine.ErrUnknownSegment):
		return &apiError{status: http.StatusNotFound, code: "not_found", message: err.Error(), err: err}
	case errors.Is(err, engine.ErrAlreadySent):
		return &apiError{status: http.StatusConflict, code: "conflict", message: err.Error(), err: err}
	case errors.As(err, &se), errors.As(err, &ne), errors.As(err, &te), errors.Is(err, segments.ErrEmpty),
		errors.Is(err, campaigns.ErrInvalidSpec), errors.Is(err, campaigns.ErrBadSchedule), errors.Is(err, engine.ErrSegmentCycle):
		return &apiError{status: http.StatusBadRequest, code: "invalid_input", message: err.Error(), err: err}
	}
	return err
}

func (s *Server) campaignsGet(c *gin.Context) {
	out := []campaignJSON{}
	for _, cp := range s.engine().Campaigns().SortedCampaigns() {
		out = append(out, describeCampaign(cp))
	}
	c.JSON(http.StatusOK, gin.H{"campaigns": out})
}

func (s *Server) campaignGet(c *gin.Context) {
	cp, ok := s.engine().Campaigns().Campaigns[c.Param("name")]
	if !ok {
		s.fail(c, newErr(http.StatusNotFound, "not_found", "unknown campaign %q", c.Param("name")))
		return
	}
	c.JSON(http.StatusOK, describeCampaign(cp))
}

func (s *Server) campaignCreate(c *gin.Context) {
	var req campaignRequest
	if err := c.ShouldBindJSON(&req); err != nil {
		s.fail(c, badRequest("body", "want a JSON campaign: %v", err))
		return
	}
	spec := campaigns.Spec{Name: req.Name, Purpose: req.Purpose, Sponsor: req.Sponsor, Audience: req.Audience, Consents: req.Consents, Schedule: req.Schedule, Description: req.Description}
	ch, err := suppression.ParseChannel(req.Channel)
	if err != nil {
		s.fail(c, fieldErr("channel", err))
		return
	}
	spec.Channel = ch
	for _, t := range req.Caps {
		cp, err := campaigns.ParseCap(t)
		if err != nil {
			s.fail(c, badRequest("caps", "%v", err))
			return
		}
		spec.Caps = append(spec.Caps, cp)
	}
	e := s.engine()
	if err := e.EnsureRFM(c.Request.Context(), time.Now()); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := e.DefineCampaign(c.Request.Context(), spec); err != nil {
		s.fail(c, campaignErr(err))
		return
	}
	c.JSON(http.StatusCreated, describeCampaign(e.Campaigns().Campaigns[spec.Name]))
}

func (s *Server) campaignDelete(c *gin.Context) {
	if _, err := s.engine().DeleteCampaign(c.Request.Context(), c.Param("name")); err != nil {
		s.fail(c, campaignErr(err))
		return
	}
	c.Status(http.StatusNoContent)
}

// campaignDryRun: POST /v1/campaigns/:name/dry-run[?at=RFC3339] → the waterfall.
func (s *Server) campaignDryRun(c *gin.Context) { s.campaignPlan(c, true) }

// campaignRun: POST /v1/campaigns/:name/run[?at=…][&mark_sent=true] → the
// waterfall and the run id; with output=final or output=suppressed the
// answer is that CSV instead (streamed).
func (s *Server) campaignRun(c *gin.Context) { s.campaignPlan(c, false) }

func (s *Server) campaignPlan(c *gin.Context, dry bool) {
	at := time.Now()
	if v := c.Query("at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(c, badRequest("at", "want RFC 3339, e.g. 2026-12-01T10:00:00Z"))
			return
		}
		at = t
	}
	e := s.engine()
	if err := e.EnsureRFM(c.Request.Context(), at); err != nil {
		s.fail(c, err)
		return
	}
	rp, err := e.PlanCampaign(c.Param("name"), at, campaigns.DefaultRules(), dry)
	if err != nil {
		s.fail(c, campaignErr(err))
		return
	}
	if dry {
		c.JSON(http.StatusOK, gin.H{"campaign": rp.Spec.Name, "run": rp.Run, "at": at.UTC().Format(time.RFC3339), "waterfall": rp.Waterfall})
		return
	}
	markSent, _ := strconv.ParseBool(c.DefaultQuery("mark_sent", "false"))
	switch c.Query("output") {
	case "final":
		c.Header("Content-Type", "text/csv")
		c.Status(http.StatusOK)
		if _, err := rp.WriteFinal(c.Writer); err != nil {
			s.logf("campaign %s final list: %v", rp.Spec.Name, err)
			return
		}
	case "suppressed":
		c.Header("Content-Type", "text/csv")
		c.Status(http.StatusOK)
		if _, err := rp.WriteSuppressed(c.Writer); err != nil {
			s.logf("campaign %s suppressed list: %v", rp.Spec.Name, err)
		}
		return
	case "", "summary":
	default:
		s.fail(c, badRequest("output", "want final, suppressed or summary"))
		return
	}
	sent := false
	if markSent {
		if _, err := e.MarkSent(c.Request.Context(), rp.Run, rp.Spec, at, rp.Plan.Final, nil); err != nil {
			if c.Query("output") == "final" {
				s.logf("campaign %s: mark sent: %v", rp.Spec.Name, err)
				return
			}
			s.fail(c, campaignErr(err))
			return
		}
		sent = true
	}
	if c.Query("output") == "final" {
		return
	}
	c.JSON(http.StatusOK, gin.H{"campaign": rp.Spec.Name, "run": rp.Run, "at": at.UTC().Format(time.RFC3339), "waterfall": rp.Waterfall, "marked_sent": sent})
}

// segmentCount: GET /v1/segments/count?expr=… → customers.
func (s *Server) segmentCount(c *gin.Context) {
	expr := c.Query("expr")
	e := s.engine()
	if err := e.EnsureRFM(c.Request.Context(), time.Now()); err != nil {
		s.fail(c, err)
		return
	}
	res := e.SegmentResolver()
	n, err := segments.Compile(expr, res)
	if err != nil {
		s.fail(c, campaignErr(err))
		return
	}
	count, err := segments.Count(n, res)
	if err != nil {
		s.fail(c, campaignErr(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"expr": n.String(), "customers": count})
}
