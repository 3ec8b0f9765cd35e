package main

import (
	"time"

	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/scheduler"
)

// startJobs starts the server's scheduled jobs (rfm.refresh) and returns
// the function that stops them.
func startJobs(c *cli, sc config.Server, e *engine.Engine) (func(), error) {
	if sc.RFMRefresh == "" {
		return func() {}, nil
	}
	s := scheduler.New(time.UTC, c.logf)
	if err := s.Add(scheduler.RFMRefresh(sc.RFMRefresh, e, c.logf)); err != nil {
		return nil, &userError{err}
	}
	s.Start()
	c.logf("rfm.refresh scheduled: %q (UTC)", sc.RFMRefresh)
	return s.Stop, nil
}
