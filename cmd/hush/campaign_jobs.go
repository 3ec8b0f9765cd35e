package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
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

	// duty is the fleet's campaign-schedule lease (nil embedded): only
	// its holder runs due campaigns; see campaignDuty.
	duty campaignDuty

	mu      sync.Mutex
	last    time.Time            // the previous check; due times after it and up to now run
	sent    map[string]time.Time // per campaign, the last due time run since the check at last
	holding bool                 // duty held at the previous check
}

// In a fleet every instance sees the same due campaigns; each due run
// hands a final list to delivery, so exactly one instance may run them.
// The instances share a lease in Redis (redisstream.Duty): its holder
// checks every minute, renews it in the background, and leaves a note
// beside it — when it last checked, and which due times it ran since —
// so that whoever takes over after it dies (the lease runs out after
// campaignDutyTTL) first runs what fell due in the gap, at most
// campaignCatchUp back, and nothing twice. Before recording a run as
// sent the holder checks the lease is still its own.
type campaignDuty interface {
	Hold(ctx context.Context) (held bool, note string, err error)
	Note(ctx context.Context, note string) error
	Release(ctx context.Context) error
}

const (
	campaignDutyName = "campaign-schedule"
	campaignDutyTTL  = 90 * time.Second
	// campaignCatchUp bounds how far back a new holder runs missed due
	// times: a list computed a day late is still worth sending; older
	// ones wait for their next due time.
	campaignCatchUp = 24 * time.Hour
)

// dutyNote is what a holder leaves for the next one.
type dutyNote struct {
	Checked time.Time            `json:"checked"`
	Sent    map[string]time.Time `json:"sent,omitempty"`
}

// errDutyLost stops a check whose holder lost the duty mid-way.
var errDutyLost = errors.New("the campaign schedule passed to another instance")

// holdDuty says whether this instance runs the schedule now; on taking it
// over it picks up where the note says the last holder got to.
func (d *dueCampaigns) holdDuty(ctx context.Context, now time.Time) (bool, error) {
	held, note, err := d.duty.Hold(ctx)
	if err != nil {
		// Redis unreachable: nobody can tell who holds it, so nobody runs.
		d.holding = false
		return false, fmt.Errorf("campaign schedule lease: %w", err)
	}
	if !held {
		if d.holding {
			d.logf("the campaign schedule passed to another instance")
		}
		d.holding = false
		return false, nil
	}
	if d.holding {
		return true, nil
	}
	// Taking over: the log holds the previous holder's runs; apply it all
	// before deciding what is due.
	if err := d.e.Sync(ctx); err != nil {
		return false, fmt.Errorf("taking over the campaign schedule: %w", err)
	}
	var n dutyNote
	if note != "" {
		if err := json.Unmarshal([]byte(note), &n); err != nil {
			d.logf("campaign schedule note unreadable (%v); starting from now", err)
			n = dutyNote{}
		}
	}
	d.holding = true
	d.last, d.sent = n.Checked, n.Sent
	if !d.last.IsZero() && d.last.Before(now.Add(-campaignCatchUp)) {
		d.logf("the campaign schedule was last checked at %s; due times before %s are not run late", d.last.UTC().Format(time.RFC3339), now.Add(-campaignCatchUp).UTC().Format(time.RFC3339))
		d.last = now.Add(-campaignCatchUp)
	}
	d.logf("this instance runs the campaign schedule now (last checked by the fleet: %s)", describeTime(n.Checked))
	return true, nil
}

func describeTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// note leaves where this check got to for a next holder.
func (d *dueCampaigns) note(ctx context.Context, n dutyNote) error {
	if d.duty == nil {
		return nil
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	if err := d.duty.Note(ctx, string(b)); err != nil {
		d.holding = false
		return fmt.Errorf("%w: %w", errDutyLost, err)
	}
	return nil
}

// stop gives the duty up (clean shutdown) so another instance takes it
// at its next check instead of after the TTL.
func (d *dueCampaigns) stop() {
	if d.duty == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.duty.Release(ctx); err != nil {
		d.logf("%v", err)
	}
}

// campaignsJob checks every minute.
func campaignsJob(d *dueCampaigns) scheduler.Job {
	return scheduler.Job{Name: "campaigns", Spec: "* * * * *", Run: d.run}
}

func (d *dueCampaigns) run(ctx context.Context, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.duty != nil {
		held, err := d.holdDuty(ctx, now)
		if !held {
			return err
		}
	}
	from := d.last
	if from.IsZero() {
		from = now.Add(-time.Minute)
	}
	d.last = now
	sent := d.sent
	d.sent = nil
	var errs []error
	for _, cp := range d.e.Campaigns().SortedCampaigns() {
		sch, err := campaigns.ParseSchedule(cp.Spec.Schedule)
		if err != nil || (sch.Cron == nil && sch.At.IsZero()) {
			continue
		}
		after := from
		if t := sent[cp.Spec.Name]; t.After(after) {
			after = t // run by the previous holder before it stopped
		}
		due := sch.Next(after)
		if due.IsZero() || due.After(now) {
			continue
		}
		err = d.runOne(ctx, cp.Spec.Name, due)
		if errors.Is(err, errDutyLost) {
			d.logf("campaign %s (due %s): not run: %v", cp.Spec.Name, due.UTC().Format(time.RFC3339), err)
			return nil
		}
		if err != nil {
			d.logf("campaign %s (due %s): %v", cp.Spec.Name, due.UTC().Format(time.RFC3339), err)
			errs = append(errs, err)
			continue
		}
		if d.duty != nil {
			if sent == nil {
				sent = map[string]time.Time{}
			}
			sent[cp.Spec.Name] = due
			if err := d.note(ctx, dutyNote{Checked: from, Sent: sent}); err != nil {
				d.logf("%v", err)
				return nil
			}
		}
	}
	if err := d.note(ctx, dutyNote{Checked: now}); err != nil {
		d.logf("%v", err)
		return nil
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
	if d.duty != nil {
		// Still ours? A holder paused past the lease's TTL must not hand a
		// list to delivery that its successor hands over too.
		if held, _, err := d.duty.Hold(ctx); err != nil || !held {
			os.RemoveAll(out)
			d.holding = false
			return fmt.Errorf("%w (outputs removed): %v", errDutyLost, err)
		}
	}
	digest, _ := hex.DecodeString(man.Outputs[0].SHA256)
	if _, err := d.e.MarkSent(ctx, rp.Run, rp.Spec, at, rp.Plan.Final, digest); err != nil {
		return err
	}
	d.logf("campaign %s: run %d for %s: %d of %d customers in the final list (%s)", name, rp.Run, at.UTC().Format(time.RFC3339), rp.Waterfall.Final, rp.Waterfall.Audience, out)
	return nil
}
