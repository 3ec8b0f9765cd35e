package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal/redisstream"
)

// TestCampaignScheduleHandsOver: two instances take part in the fleet's
// campaign-schedule lease (real Redis); only the holder runs a due
// campaign. The holder dies (stops renewing) before 09:00; the other takes
// over once the lease runs out, runs the 09:00 run it missed — once — and
// when it dies in turn, the first one, back, does not run 09:00 again.
func TestCampaignScheduleHandsOver(t *testing.T) {
	_, data, must := shanghaiWorld(t)
	must("campaign", "create", "daily_service", "--channel", "mail", "--purpose", "service", "--audience", "segment:bureau_file", "--schedule", "0 9 * * *")
	c := &cli{io: stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, cfg: config.Defaults()}
	c.cfg.DataDir = data
	e, closeFn, err := c.openEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	sock := redistest.Start(t)
	ctx := context.Background()
	const ttl = 1500 * time.Millisecond // a loaded machine must not stall a renewal past it
	var mu sync.Mutex
	var logs []string
	instance := func(name string) (*dueCampaigns, *redisstream.Duty) {
		j, err := redisstream.Open(ctx, redisstream.Options{URL: "unix://" + sock, Namespace: "fleet"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		duty := j.Duty(campaignDutyName, ttl)
		d := &dueCampaigns{e: e, dir: filepath.Join(data, name, campaignRunsDir), rules: campaigns.DefaultRules(), duty: duty,
			logf: func(f string, a ...any) { mu.Lock(); logs = append(logs, name+": "+fmt.Sprintf(f, a...)); mu.Unlock() }}
		return d, duty
	}
	a, aDuty := instance("a")
	b, bDuty := instance("b")
	nine := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	run := func(d *dueCampaigns, at time.Time) {
		t.Helper()
		if err := d.run(ctx, at); err != nil {
			t.Fatalf("run at %s: %v", at.Format(time.TimeOnly), err)
		}
	}
	sentRuns := func() int { return len(e.Campaigns().History) }

	run(a, nine.Add(-30*time.Second)) // a takes the schedule; nothing due
	run(b, nine.Add(-30*time.Second)) // b is not the holder
	if !a.holding || b.holding {
		t.Fatalf("holding: a %v b %v", a.holding, b.holding)
	}
	aDuty.Abandon() // a dies before 09:00
	run(b, nine.Add(30*time.Second))
	if sentRuns() != 0 {
		t.Fatal("b ran the campaign while a's lease was still live")
	}
	// takeOver checks on d (at the fake time at) until it holds the
	// schedule: the previous holder's lease has to run out first.
	takeOver := func(name string, d *dueCampaigns, at time.Time) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for d.holding = false; !d.holding; {
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("%s never took the schedule over; logs %v", name, logs)
			}
			time.Sleep(ttl / 3)
			run(d, at)
		}
	}
	takeOver("b", b, nine.Add(2*time.Minute))
	if n := sentRuns(); n != 1 {
		t.Fatalf("after the take-over %d runs were sent, want the missed 09:00 once; logs %v", n, logs)
	}
	run(b, nine.Add(3*time.Minute))
	bDuty.Abandon() // b dies too; a comes back
	takeOver("a", a, nine.Add(5*time.Minute))
	if n := sentRuns(); n != 1 {
		t.Fatalf("the 09:00 run was sent %d times across the hand-overs; logs %v", n, logs)
	}
	run(a, nine.Add(24*time.Hour+time.Minute)) // the next day's run: once, by the holder
	run(b, nine.Add(24*time.Hour+time.Minute))
	if n := sentRuns(); n != 2 {
		t.Fatalf("the next day: %d runs sent, want 2; logs %v", n, logs)
	}
	a.stop() // a clean shutdown hands over at once
	if held, _, err := bDuty.Hold(ctx); err != nil || !held {
		t.Fatalf("after a released the schedule, b holds it: %v %v", held, err)
	}
}
