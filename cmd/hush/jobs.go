package main

import (
	"path/filepath"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/scheduler"
)

// startJobs starts the server's scheduled jobs (rfm.refresh) and returns
// the function that stops them.
func startJobs(c *cli, sc config.Server, e *engine.Engine) (func(), error) {
	s := scheduler.New(time.UTC, c.logf)
	if sc.RFMRefresh != "" {
		if err := s.Add(scheduler.RFMRefresh(sc.RFMRefresh, e, c.logf)); err != nil {
			return nil, &userError{err}
		}
		c.logf("rfm.refresh scheduled: %q (UTC)", sc.RFMRefresh)
	}
	// Scheduled campaigns (cron or once@) run when due; see campaign_jobs.go.
	// A fleet runs them on the one instance chosen for it: every instance
	// running them would hand each final list to delivery once per instance.
	schedule := !c.cfg.Redis.Enabled()
	if sc.ScheduleCampaigns != nil {
		schedule = *sc.ScheduleCampaigns
	}
	if schedule {
		due := &dueCampaigns{e: e, dir: filepath.Join(c.cfg.DataDir, campaignRunsDir), rules: campaigns.DefaultRules(), logf: c.logf}
		if err := s.Add(campaignsJob(due)); err != nil {
			return nil, err
		}
	} else {
		c.logf("scheduled campaigns do not run on this instance (Redis mode: start one instance of the fleet with --schedule-campaigns true)")
	}
	s.Start()
	return s.Stop, nil
}
