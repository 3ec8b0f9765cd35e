package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/scheduler"
)

// campaignRunsDir is where scheduled runs write their outputs, under the
// data dir: campaign-runs/NAME/RUN/{final,suppressed,waterfall}.csv and
// manifest.json.
const campaignRunsDir = "campaign-runs"

// dueCampaigns runs the campaigns whose schedule (cron, or once@TIME)
// fell due since its last check. Campaigns defined while the server runs
// are picked up at the next check; one that fails (a stale registry...)
// is logged and tried at its next due time.
type dueCampaigns struct {
	e     *engine.Engine
	dir   string
	rules campaigns.Rules
	logf  func(string, ...any)

	mu   sync.Mutex
	last time.Time // the previous check; due times after it and up to now run
}

// campaignsJob checks every minute.
func campaignsJob(d *dueCampaigns) scheduler.Job {
	return scheduler.Job{Name: "campaigns", Spec: "* * * * *", Run: d.run}
}

func (d *dueCampaigns) run(ctx context.Context, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	from := d.last
	if from.IsZero() {
		from = now.Add(-time.Minute)
	}
	d.last = now
	var errs []error
	for _, cp := range d.e.Campaigns().SortedCampaigns() {
		sch, err := campaigns.ParseSchedule(cp.Spec.Schedule)
		if err != nil || (sch.Cron == nil && sch.At.IsZero()) {
			continue
		}
		due := sch.Next(from)
		if due.IsZero() || due.After(now) {
			continue
		}
		if err := d.runOne(ctx, cp.Spec.Name, due); err != nil {
			d.logf("campaign %s (due %s): %v", cp.Spec.Name, due.UTC().Format(time.RFC3339), err)
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d scheduled campaigns failed (see above)", len(errs))
	}
	return nil
}

// runOne runs a campaign as of its due time, writes its outputs and
// records the final list as sent: a scheduled run is what hands the list
// to delivery.
func (d *dueCampaigns) runOne(ctx context.Context, name string, at time.Time) error {
	if err := d.e.EnsureRFM(ctx, at); err != nil {
		return err
	}
	rp, err := d.e.PlanCampaign(name, at, d.rules, false)
	if err != nil {
		return err
	}
	out := filepath.Join(d.dir, name, fmt.Sprint(rp.Run))
	if err := os.MkdirAll(out, 0o750); err != nil {
		return err
	}
	man := runManifest(rp, false)
	if err := writeRunOutputs(rp, d.e, &man, filepath.Join(out, "final.csv"), filepath.Join(out, "suppressed.csv"), filepath.Join(out, "waterfall.csv"), filepath.Join(out, "manifest.json")); err != nil {
		return err
	}
	digest, _ := hex.DecodeString(man.Outputs[0].SHA256)
	if _, err := d.e.MarkSent(ctx, rp.Run, rp.Spec, at, rp.Plan.Final, digest); err != nil {
		return err
	}
	d.logf("campaign %s: run %d for %s: %d of %d customers in the final list (%s)", name, rp.Run, at.UTC().Format(time.RFC3339), rp.Waterfall.Final, rp.Waterfall.Audience, out)
	return nil
}
