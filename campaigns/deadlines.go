package campaigns

import (
	"sort"
	"time"

	"github.com/hushcrm/hush/suppression"
)

// Deadline statuses.
const (
	DeadlineOverdue = "overdue" // the service level passed and the campaign's working list still predates the opt-out
	DeadlineAtRisk  = "at_risk" // not yet due, but the next scheduled run comes after the deadline
	DeadlineDue     = "due"     // the next scheduled run will honour it in time
)

// OptOutEvent is what the deadline report needs of an opt-out.
type OptOutEvent struct {
	Kind    string // subject kind (never the subject: the report leaves the privacy office)
	Version uint64 // journal position
	At      time.Time
	Event   suppression.OptEvent
}

// CampaignRuns is a scheduled campaign with its last sent run.
type CampaignRuns struct {
	Spec Spec
	// LastRun is the state version the last sent run was computed at (0:
	// never sent) and LastSent the day it was sent.
	LastRun  uint64
	LastSent time.Time
}

// DeadlineRow is an opt-out that a scheduled campaign has not honoured
// yet: its last sent list was computed before the opt-out, so whoever
// works that list could still contact the subject until the campaign
// runs again.
type DeadlineRow struct {
	Campaign    string    `json:"campaign"`
	Status      string    `json:"status"`
	Kind        string    `json:"subject_kind"`
	OptOutAt    time.Time `json:"optout_at"`
	Deadline    time.Time `json:"deadline"`
	NextRun     time.Time `json:"next_run,omitzero"`
	LastSent    time.Time `json:"last_sent"`
	Version     uint64    `json:"optout_version"`
	Source      string    `json:"source"`
	PurposeSeen string    `json:"purpose"`
}

// Deadlines lists, per scheduled campaign (cron or once@) that has sent a
// run, every opt-out covering its channel and purpose (or
// third_party_disclosure when sponsored) recorded after that run was
// computed, with its deadline (opt-out time + sla) and status at now.
// Opt-ins are not deadlines.
func Deadlines(camps []CampaignRuns, events []OptOutEvent, now time.Time, sla time.Duration) []DeadlineRow {
	var out []DeadlineRow
	for _, c := range camps {
		sch, err := ParseSchedule(c.Spec.Schedule)
		if err != nil || (sch.Cron == nil && sch.At.IsZero()) || c.LastRun == 0 {
			continue
		}
		next := sch.Next(now)
		purposes := []string{c.Spec.Purpose}
		if c.Spec.Sponsor != "" && c.Spec.Purpose != suppression.ThirdPartyDisclosure {
			purposes = append(purposes, suppression.ThirdPartyDisclosure)
		}
		for _, ev := range events {
			if ev.Event.OptIn || ev.Version <= c.LastRun {
				continue
			}
			var seen string
			for _, p := range purposes {
				if ev.Event.Covers(c.Spec.Channel, p) {
					seen = p
					break
				}
			}
			if seen == "" {
				continue
			}
			row := DeadlineRow{Campaign: c.Spec.Name, Kind: ev.Kind, OptOutAt: ev.At.UTC(), Deadline: ev.At.Add(sla).UTC(), NextRun: next.UTC(),
				LastSent: c.LastSent.UTC(), Version: ev.Version, Source: ev.Event.Source, PurposeSeen: seen}
			switch {
			case now.After(row.Deadline):
				row.Status = DeadlineOverdue
			case next.IsZero() || next.After(row.Deadline):
				row.Status = DeadlineAtRisk
			default:
				row.Status = DeadlineDue
			}
			out = append(out, row)
		}
	}
	rank := map[string]int{DeadlineOverdue: 0, DeadlineAtRisk: 1, DeadlineDue: 2}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank[a.Status] != rank[b.Status] {
			return rank[a.Status] < rank[b.Status]
		}
		if !a.Deadline.Equal(b.Deadline) {
			return a.Deadline.Before(b.Deadline)
		}
		if a.Campaign != b.Campaign {
			return a.Campaign < b.Campaign
		}
		return a.Version < b.Version
	})
	return out
}
