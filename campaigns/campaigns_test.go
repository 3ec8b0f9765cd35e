package campaigns

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/suppression"
)

func bm(ids ...uint64) *roaring64.Bitmap { b := roaring64.NewBitmap(); b.AddMany(ids); return b }

func TestParseCap(t *testing.T) {
	good := []struct {
		in   string
		want Cap
		out  string
	}{
		{"2/7d:call:direct_marketing", Cap{Max: 2, Days: 7, Channel: suppression.Call, Purpose: "direct_marketing"}, "2/7d:call:direct_marketing"},
		{"4/30d", Cap{Max: 4, Days: 30}, "4/30d"},
		{"1/1d:sms", Cap{Max: 1, Days: 1, Channel: suppression.SMS}, "1/1d:sms"},
		{"3/14d:any:service", Cap{Max: 3, Days: 14, Purpose: "service"}, "3/14d:any:service"},
	}
	for _, tt := range good {
		c, err := ParseCap(tt.in)
		if err != nil || c != tt.want || c.String() != tt.out {
			t.Errorf("ParseCap(%q) = %+v %q, %v; want %+v", tt.in, c, c.String(), err, tt.want)
		}
	}
	for _, bad := range []string{"", "2", "2/7", "x/7d", "2/yd", "0/7d", "2/0d", "2/7d:fax", "2/7d:call:Bad Purpose", "1/1d:a:b:c"} {
		if _, err := ParseCap(bad); err == nil {
			t.Errorf("ParseCap(%q) accepted", bad)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	for _, ok := range []string{"", "once", "once@2026-12-24T09:00:00Z", "0 9 * * 1", "@daily", "*/15 8-20 * * *"} {
		if _, err := ParseSchedule(ok); err != nil {
			t.Errorf("ParseSchedule(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"0 9 * *", "61 * * * *", "every monday", "once@tomorrow", "0 25 * * *", "@fortnightly"} {
		_, err := ParseSchedule(bad)
		if !errors.Is(err, ErrBadSchedule) || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseSchedule(%q) = %v; want ErrBadSchedule naming it", bad, err)
		}
	}
	s, _ := ParseSchedule("0 9 * * *")
	from := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if got := s.Next(from); !got.Equal(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("Next = %v", got)
	}
}

func TestSpecValidate(t *testing.T) {
	ok := Spec{Name: "xmas", Channel: suppression.Mail, Purpose: "direct_marketing", Audience: "rfm:champions", Schedule: "once"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Spec){
		"name":     func(s *Spec) { s.Name = "Bad Name" },
		"channel":  func(s *Spec) { s.Channel = 0 },
		"purpose":  func(s *Spec) { s.Purpose = "" },
		"audience": func(s *Spec) { s.Audience = " " },
		"schedule": func(s *Spec) { s.Schedule = "0 9 * *" },
		"cap":      func(s *Spec) { s.Caps = []Cap{{Max: 0, Days: 7}} },
	} {
		s := ok
		mod(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: invalid spec accepted", name)
		}
	}
}

func TestComputeWaterfallAndReasons(t *testing.T) {
	audience := bm(1, 2, 3, 4, 5, 6, 7, 8)
	steps := []Step{
		{Code: ReasonNoContactPoint, Set: bm(8)},
		{Code: "no_consent", List: "sms_ok", Set: bm(7, 8)},
		{Code: "list", List: "mail_dnm", Source: "customer_request", Set: bm(2, 3, 100)},
		{Code: "optout", Purpose: "third_party_disclosure", Set: bm(3, 4)},
		{Code: ReasonCap, List: "cap:2/7d", Set: bm(5)},
		{Code: ReasonOutsideWindow, Set: nil},
	}
	p := Compute(audience, steps)
	if got := p.Final.ToArray(); !slices.Equal(got, []uint64{1, 6}) {
		t.Fatalf("final %v", got)
	}
	w := p.Waterfall
	if w.Audience != 8 || w.Final != 2 || w.Suppressed != 6 {
		t.Fatalf("waterfall %+v", w)
	}
	wantRemoved := []uint64{1, 1, 2, 1, 1, 0}
	wantMatched := []uint64{1, 2, 2, 2, 1, 0}
	for i, s := range w.Steps {
		if s.Removed != wantRemoved[i] || s.Matched != wantMatched[i] {
			t.Errorf("step %s: matched %d removed %d; want %d %d", s.Reason, s.Matched, s.Removed, wantMatched[i], wantRemoved[i])
		}
	}
	if w.Steps[2].Reason != "list:mail_dnm:customer_request" || w.Steps[3].Reason != "optout:third_party_disclosure" {
		t.Errorf("labels %q %q", w.Steps[2].Reason, w.Steps[3].Reason)
	}
	got := map[uint64][]int{}
	p.EachSuppressed(func(id uint64, rs []int) error { got[id] = slices.Clone(rs); return nil })
	want := map[uint64][]int{2: {2}, 3: {2, 3}, 4: {3}, 5: {4}, 7: {1}, 8: {0, 1}}
	if len(got) != len(want) {
		t.Fatalf("suppressed %v, want %v", got, want)
	}
	for id, rs := range want {
		if !slices.Equal(got[id], rs) {
			t.Errorf("customer %d reasons %v, want %v", id, got[id], rs)
		}
	}
	if dry := DryRun(audience, steps); dry.Final != w.Final || len(dry.Steps) != len(w.Steps) {
		t.Errorf("dry run %+v differs from run %+v", dry, w)
	}
}

// TestCappedMatchesCounting: the level trick equals counting contacts.
func TestCappedMatchesCounting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h History
	type key struct {
		day     int32
		ch      suppression.Channel
		purpose string
	}
	var raw []key
	var sets [][]uint64
	for run := range 60 {
		k := key{day: int32(20000 + rng.IntN(20)), ch: []suppression.Channel{suppression.Call, suppression.SMS}[rng.IntN(2)], purpose: []string{"direct_marketing", "service"}[rng.IntN(2)]}
		var ids []uint64
		for id := range uint64(50) {
			if rng.IntN(3) == 0 {
				ids = append(ids, id)
			}
		}
		raw = append(raw, k)
		sets = append(sets, ids)
		h = append(h, Contact{Run: uint64(run + 1), Day: k.day, Channel: k.ch, Purpose: k.purpose, Customers: bm(ids...)})
	}
	for _, c := range []Cap{{Max: 2, Days: 7, Channel: suppression.Call, Purpose: "direct_marketing"}, {Max: 4, Days: 30}, {Max: 1, Days: 1, Channel: suppression.SMS}} {
		day := int32(20015)
		counts := map[uint64]int{}
		for i, k := range raw {
			if k.day > day || k.day <= day-int32(c.Days) || (c.Channel != 0 && k.ch != c.Channel) || (c.Purpose != "" && k.purpose != c.Purpose) {
				continue
			}
			for _, id := range sets[i] {
				counts[id]++
			}
		}
		var want []uint64
		for id := range uint64(50) {
			if counts[id] >= c.Max {
				want = append(want, id)
			}
		}
		if got := h.Capped(c, day).ToArray(); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("cap %s: %v, want %v", c, got, want)
		}
	}
}

func TestCheckFresh(t *testing.T) {
	r := DefaultRules()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	lists := []ListAge{
		{Name: "mail_dnm", Source: "customer_request", UpdatedAt: now.AddDate(-1, 0, 0)},
		{Name: "national_dnc", Source: SourceNationalRegistry, UpdatedAt: now.AddDate(0, 0, -40)},
	}
	err := r.CheckFresh(lists, now)
	var se *StaleError
	if !errors.As(err, &se) || !errors.Is(err, ErrRegistryStale) || se.List != "national_dnc" || !strings.Contains(err.Error(), "40 days ago") {
		t.Fatalf("CheckFresh = %v", err)
	}
	lists[1].UpdatedAt = now.AddDate(0, 0, -30)
	if err := r.CheckFresh(lists, now); err != nil {
		t.Fatalf("fresh registry refused: %v", err)
	}
}

func TestInCallingHours(t *testing.T) {
	r := DefaultRules()
	// 13:00 UTC is 08:00 in New York (EST) and 21:00 in Shanghai.
	at := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	if !r.InCallingHours([]string{"America/New_York"}, at) {
		t.Error("08:00 in New York is inside")
	}
	if r.InCallingHours([]string{"Asia/Shanghai"}, at) {
		t.Error("21:00 in Shanghai is outside")
	}
	if r.InCallingHours([]string{"America/New_York", "America/Los_Angeles"}, at) {
		t.Error("a number spanning zones is inside only if every zone is")
	}
	if r.InCallingHours(nil, at) || r.InCallingHours([]string{"Mars/Olympus"}, at) {
		t.Error("unknown zones must fail closed")
	}
}

func TestEBRCutoffs(t *testing.T) {
	r := DefaultRules()
	p, i := r.EBRCutoffs(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if got := time.Unix(int64(p)*86400, 0).UTC().Format("2006-01-02"); got != "2025-06-01" {
		t.Errorf("purchase cutoff %s", got)
	}
	if got := time.Unix(int64(i)*86400, 0).UTC().Format("2006-01-02"); got != "2026-09-01" {
		t.Errorf("inquiry cutoff %s", got)
	}
}

func TestDeadlines(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	sla := 10 * 24 * time.Hour
	weekly := CampaignRuns{Spec: Spec{Name: "weekly", Channel: suppression.Mail, Purpose: "direct_marketing", Sponsor: "acme", Schedule: "0 9 * * 1"}, LastRun: 100}
	monthly := CampaignRuns{Spec: Spec{Name: "monthly", Channel: suppression.Mail, Purpose: "direct_marketing", Schedule: "0 9 1 * *"}, LastRun: 100}
	once := CampaignRuns{Spec: Spec{Name: "adhoc", Channel: suppression.Mail, Purpose: "direct_marketing", Schedule: "once"}, LastRun: 100}
	never := CampaignRuns{Spec: Spec{Name: "never", Channel: suppression.Mail, Purpose: "direct_marketing", Schedule: "0 9 * * 1"}}
	ev := func(v uint64, daysAgo int, ch suppression.ChannelSet, purpose string, optIn bool) OptOutEvent {
		return OptOutEvent{Kind: "address", Version: v, At: now.AddDate(0, 0, -daysAgo), Event: suppression.OptEvent{Version: v, Channels: ch, Purposes: suppression.PurposeSet{Names: []string{purpose}}, OptIn: optIn}}
	}
	mail := suppression.ChannelSet(suppression.Mail)
	events := []OptOutEvent{
		ev(90, 30, mail, "direct_marketing", false),                                    // before the last run: honoured
		ev(101, 12, mail, "direct_marketing", false),                                   // overdue everywhere
		ev(102, 1, mail, "third_party_disclosure", false),                              // only the sponsored campaign; due (next Monday)
		ev(103, 2, suppression.ChannelSet(suppression.SMS), "direct_marketing", false), // other channel
		ev(104, 2, mail, "direct_marketing", true),                                     // an opt-in is no deadline
		ev(105, 5, mail, "direct_marketing", false),                                    // next runs (Monday Dec 7, Jan 1) after the deadline (Dec 6): at risk
	}
	rows := Deadlines([]CampaignRuns{weekly, monthly, once, never}, events, now, sla)
	got := map[string]string{}
	for _, r := range rows {
		got[fmt.Sprintf("%s/%d", r.Campaign, r.Version)] = r.Status
	}
	want := map[string]string{"weekly/101": DeadlineOverdue, "monthly/101": DeadlineOverdue, "weekly/102": DeadlineDue, "weekly/105": DeadlineAtRisk, "monthly/105": DeadlineAtRisk}
	if len(got) != len(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if rows[0].Status != DeadlineOverdue || rows[len(rows)-1].Status != DeadlineDue {
		t.Errorf("not sorted by urgency: %+v", rows)
	}
}
