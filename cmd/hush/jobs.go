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
func startJobs(c *cli, sc config.Server, e *engine.Engine, fleet *redisJournal) (func(), error) {
	s := scheduler.New(time.UTC, c.logf)
	if sc.RFMRefresh != "" {
		if err := s.Add(scheduler.RFMRefresh(sc.RFMRefresh, e, c.logf)); err != nil {
			return nil, &userError{err}
		}
		c.logf("rfm.refresh scheduled: %q (UTC)", sc.RFMRefresh)
	}
	// Scheduled campaigns (cron or once@) run when due; see campaign_jobs.go.
	// In a fleet every instance may take the schedule, one at a time (a
	// lease in Redis); --schedule-campaigns false keeps one out of it.
	schedule := true
	if sc.ScheduleCampaigns != nil {
		schedule = *sc.ScheduleCampaigns
	}
	var due *dueCampaigns
	if schedule {
		due = &dueCampaigns{e: e, dir: filepath.Join(c.cfg.DataDir, campaignRunsDir), rules: campaigns.DefaultRules(), logf: c.logf}
		if fleet != nil {
			due.duty = fleet.Duty(campaignDutyName, campaignDutyTTL)
			c.logf("scheduled campaigns: this instance takes part in the fleet's schedule lease (one instance at a time runs them)")
		}
		if err := s.Add(campaignsJob(due)); err != nil {
			return nil, err
		}
	} else {
		c.logf("scheduled campaigns do not run on this instance (--schedule-campaigns false)")
	}
	s.Start()
	return func() {
		s.Stop()
		if due != nil {
			due.stop()
		}
	}, nil
}
