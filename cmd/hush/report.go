package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// runReport: hush report deadlines.
func runReport(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] != "deadlines" {
		return userErr("usage: hush report deadlines [--sla 10d] [--at TIME]")
	}
	fs := c.flags("report deadlines", "[--sla 10d] [--at TIME]")
	slaS := fs.String("sla", "10d", "service level: an opt-out must be honoured by every scheduled campaign within this (DAYSd or a Go duration)")
	atS := fs.String("at", "", "report as of this time (default now)")
	if _, err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	sla, err := parseDays(*slaS)
	if err != nil || sla <= 0 {
		return userErr("--sla %q: want DAYSd (10d) or a duration", *slaS)
	}
	at, err := parseAt(*atS, time.Now)
	if err != nil {
		return err
	}
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	st := e.Campaigns()
	var camps []campaigns.CampaignRuns
	for _, cp := range st.SortedCampaigns() {
		cr := campaigns.CampaignRuns{Spec: cp.Spec}
		for _, h := range st.History {
			if h.Campaign == cp.Spec.Name && h.Run > cr.LastRun {
				cr.LastRun, cr.LastSent = h.Run, time.Unix(int64(h.Day)*86400, 0)
			}
		}
		camps = append(camps, cr)
	}
	var events []campaigns.OptOutEvent
	e.Read(func(s *suppression.Store, _ journal.Seq) error {
		s.EachOptOutEvent(func(kind contactkey.Kind, ev suppression.OptEvent) {
			events = append(events, campaigns.OptOutEvent{Kind: kind.String(), Version: ev.Version, At: time.Unix(ev.At, 0), Event: ev})
		})
		return nil
	})
	rows := campaigns.Deadlines(camps, events, at, sla)
	if c.cfg.JSON {
		if rows == nil {
			rows = []campaigns.DeadlineRow{}
		}
		return c.printJSON(map[string]any{"at": at.UTC().Format(time.RFC3339), "sla_hours": sla.Hours(), "pending": rows})
	}
	if len(rows) == 0 {
		fmt.Fprintf(c.io.out, "no opt-out is waiting on a scheduled campaign (service level %s)\n", *slaS)
		return nil
	}
	fmt.Fprintf(c.io.out, "%-8s %-20s %-9s %-20s %-20s %-20s %s\n", "status", "campaign", "subject", "opted out", "deadline", "next run", "optout version")
	for _, r := range rows {
		next := "none scheduled"
		if !r.NextRun.IsZero() {
			next = r.NextRun.Format(time.RFC3339)
		}
		fmt.Fprintf(c.io.out, "%-8s %-20s %-9s %-20s %-20s %-20s %d\n", r.Status, r.Campaign, r.Kind, r.OptOutAt.Format(time.RFC3339), r.Deadline.Format(time.RFC3339), next, r.Version)
	}
	return nil
}
