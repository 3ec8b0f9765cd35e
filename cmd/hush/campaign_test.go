package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/config"
)

// shanghaiWorld builds the data dir of the case hush exists for: the
// bureau's customer file, the customer's consent to postal letters for
// service, his refusal of commercial mail and of disclosure to third
// parties.
func shanghaiWorld(t *testing.T) (dir, data string, must func(args ...string) string) {
	t.Helper()
	dir = t.TempDir()
	data = filepath.Join(dir, "data")
	must = func(args ...string) string {
		t.Helper()
		out, e, code := runCLI(t, append(args, "--data", data, "--region", "CN", "--quiet")...)
		if code != 0 {
			t.Fatalf("hush %s: exit %d\n%s%s", strings.Join(args, " "), code, out, e)
		}
		return out
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cust := write("customers.csv", `customer_id,name,phone,email,address,region
SH-2000-0417,Wang Shanghai,021 6234 5678,wang@example.cn,"88 Nanjing Road, Huangpu, Shanghai 200001",CN
SH-2000-0418,Li Neighbour,021 6234 5679,li@example.cn,"90 Nanjing Road, Huangpu, Shanghai 200001",CN
SH-2000-0419,Zhao Nomail,021 6234 5680,,,CN
bad-row,,not a phone,,,CN
,No Id,,,,CN
`)
	out := must("ingest", "customers", cust, "--rejected", filepath.Join(dir, "customers.rejected.csv"))
	if !strings.Contains(out, "3 customers stored, 2 rejected") {
		t.Fatalf("ingest: %s", out)
	}
	rej, _ := os.ReadFile(filepath.Join(dir, "customers.rejected.csv"))
	if !strings.Contains(string(rej), "5,invalid_phone: letters_in_phone") || !strings.Contains(string(rej), "6,missing_id") {
		t.Fatalf("rejected rows: %s", rej)
	}
	consent := write("consent.csv", "address\n\"88 Nanjing Road, Huangpu, Shanghai 200001\"\n\"90 Nanjing Road, Huangpu, Shanghai 200001\"\n")
	must("lists", "create", "postal_service_consent", "--kind", "address", "--type", "consent", "--channels", "mail", "--purposes", "service", "--source", "customer_request")
	must("import", "--list", "postal_service_consent", "--column", "address", "--rejected", filepath.Join(dir, "c.rej"), consent)
	must("optout", "add", "--address", "88 Nanjing Road, Huangpu, Shanghai 200001", "--channels", "mail", "--purposes", "direct_marketing", "--evidence", "letter to the post office, 2000")
	must("optout", "add", "--customer", "SH-2000-0417", "--channels", "all", "--purposes", "third_party_disclosure", "--evidence", "letter to the post office, 2000")
	ids := write("bureau.csv", "customer_id\nSH-2000-0417\nSH-2000-0418\nSH-2000-0419\n")
	must("segment", "define", "bureau_file", "--file", ids)
	return dir, data, must
}

func TestShanghaiCampaignEndToEnd(t *testing.T) {
	dir, _, must := shanghaiWorld(t)
	must("campaign", "create", "acme_mail", "--channel", "mail", "--purpose", "direct_marketing", "--sponsor", "acme_insurance", "--audience", "segment:bureau_file")
	must("campaign", "create", "service_letter", "--channel", "mail", "--purpose", "service", "--audience", "segment:bureau_file")

	p := func(n string) string { return filepath.Join(dir, n) }
	must("campaign", "run", "acme_mail", "--out", p("acme.final.csv"), "--suppressed", p("acme.supp.csv"), "--waterfall", p("acme.wf.csv"), "--manifest", p("acme.json"))
	supp, _ := os.ReadFile(p("acme.supp.csv"))
	if !strings.Contains(string(supp), "SH-2000-0417,optout:direct_marketing;optout:third_party_disclosure\n") {
		t.Fatalf("third-party mail: he is not suppressed with both reasons:\n%s", supp)
	}
	if !strings.Contains(string(supp), "SH-2000-0419,no_contact_point\n") {
		t.Fatalf("a customer without an address is not reported no_contact_point:\n%s", supp)
	}
	final, _ := os.ReadFile(p("acme.final.csv"))
	if strings.Contains(string(final), "SH-2000-0417") || !strings.Contains(string(final), "SH-2000-0418,\"90 Nanjing Road, Huangpu, Shanghai 200001\",Li Neighbour") {
		t.Fatalf("final list:\n%s", final)
	}
	wf, _ := os.ReadFile(p("acme.wf.csv"))
	for _, want := range []string{"0,audience,3,0,3", "no_contact_point,1,1,2", "optout:direct_marketing,1,1,1", "optout:third_party_disclosure,1,0,1", "final,1,0,1"} {
		if !strings.Contains(string(wf), want) {
			t.Errorf("waterfall lacks %q:\n%s", want, wf)
		}
	}
	var man struct {
		Format    string            `json:"format"`
		Reasons   map[string]uint64 `json:"reasons"`
		Lists     []struct{ Name, Sha256 string }
		Outputs   []struct{ Name, SHA256 string }
		Waterfall struct{ Audience, Final uint64 }
	}
	b, _ := os.ReadFile(p("acme.json"))
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	if man.Format != "hush-campaign-manifest/1" || man.Reasons["optout:third_party_disclosure"] != 1 || man.Reasons["optout:direct_marketing"] != 1 ||
		len(man.Outputs) != 3 || man.Waterfall.Audience != 3 || man.Waterfall.Final != 1 {
		t.Fatalf("manifest: %s", b)
	}
	for _, o := range man.Outputs {
		if len(o.SHA256) != 64 {
			t.Fatalf("output %s has no digest", o.Name)
		}
	}

	must("campaign", "run", "service_letter", "--out", p("svc.final.csv"), "--suppressed", p("svc.supp.csv"), "--waterfall", p("svc.wf.csv"), "--manifest", p("svc.json"))
	final, _ = os.ReadFile(p("svc.final.csv"))
	if !strings.Contains(string(final), "SH-2000-0417,\"88 Nanjing Road, Huangpu, Shanghai 200001\",Wang Shanghai") {
		t.Fatalf("the first-party service letter does not reach him:\n%s", final)
	}
	supp, _ = os.ReadFile(p("svc.supp.csv"))
	if strings.Contains(string(supp), "SH-2000-0417") {
		t.Fatalf("service letter suppressed him:\n%s", supp)
	}
}

func TestSegmentExpressionErrors(t *testing.T) {
	_, data, must := shanghaiWorld(t)
	_ = must
	cases := []struct{ expr, want string }{
		{"segment:nope", "column 1: unknown segment \"nope\" (known: bureau_file)"},
		{"list:postal_service_consent", "unknown list \"postal_service_consent\""},
		{"champions", "unknown name \"champions\""},
		{"monetary AND segment:bureau_file", "type error: monetary is a number"},
		{"(segment:bureau_file", "unbalanced parentheses"},
		{"segment:bureau_file)", "unbalanced parentheses"},
		{"", "empty"},
		{"segment:bureau_file AND", "unexpected end of input"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, stderr, code := runCLI(t, "segment", "count", c.expr, "--data", data)
			if code != exitUser || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 saying %q", code, stderr, c.want)
			}
		})
	}
	out, _, code := runCLI(t, "segment", "count", "segment:bureau_file AND NOT consent:postal_service_consent", "--data", data)
	if code != 0 || !strings.HasPrefix(out, "1 customers") {
		t.Fatalf("count: %d %q", code, out)
	}
	// A segment may not refer to itself.
	runCLI(t, "segment", "define", "a", "segment:bureau_file", "--data", data)
	if _, stderr, code := runCLI(t, "segment", "define", "bureau_file", "segment:a OR consent:postal_service_consent", "--data", data); code != exitUser || !strings.Contains(stderr, "refers to itself") {
		t.Fatalf("cycle: exit %d %q", code, stderr)
	}
	out, _, _ = runCLI(t, "segment", "export", "a", "--data", data)
	if out != "customer_id\nSH-2000-0417\nSH-2000-0418\nSH-2000-0419\n" {
		t.Fatalf("export: %q", out)
	}
}

func TestCampaignBadInput(t *testing.T) {
	_, data, _ := shanghaiWorld(t)
	base := []string{"campaign", "create", "x", "--channel", "mail", "--purpose", "direct_marketing", "--audience", "segment:bureau_file", "--data", data}
	cases := []struct {
		name  string
		extra []string
		want  string
	}{
		{"bad cron", []string{"--schedule", "0 9 * *"}, "invalid schedule \"0 9 * *\""},
		{"bad cron field", []string{"--schedule", "61 * * * *"}, "invalid schedule"},
		{"bad cap", []string{"--cap", "2/7"}, "cap \"2/7\""},
		{"unknown consent", []string{"--consent", "nope"}, "consent list \"nope\""},
		{"deny list as consent", []string{"--consent", "optouts"}, "unknown list"},
		{"bad audience", []string{"--audience", "rfm:champions"}, "unknown RFM segment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, append(base, c.extra...)...)
			if code != exitUser || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 saying %q", code, stderr, c.want)
			}
		})
	}
	if _, stderr, code := runCLI(t, "campaign", "run", "nope", "--data", data); code != exitUser || !strings.Contains(stderr, "unknown campaign") {
		t.Fatalf("run unknown: %d %q", code, stderr)
	}
}

// TestNoContactPoint: an e-mail campaign over customers of whom one has
// no e-mail reports him, with a count, as no_contact_point.
func TestNoContactPoint(t *testing.T) {
	_, data, must := shanghaiWorld(t)
	must("campaign", "create", "news", "--channel", "email", "--purpose", "service", "--audience", "segment:bureau_file")
	out := must("campaign", "dry-run", "news", "--json")
	var r struct {
		Waterfall struct {
			Audience, Final uint64
			Steps           []struct {
				Reason           string
				Removed, Matched uint64
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Waterfall.Audience != 3 || r.Waterfall.Steps[0].Reason != "no_contact_point" || r.Waterfall.Steps[0].Removed != 1 || r.Waterfall.Final != 2 {
		t.Fatalf("waterfall %+v", r.Waterfall)
	}
	_ = data
}

// TestCallRules: registry freshness, calling windows (in runs and in
// hush check), the established business relationship, caps and the
// contact history a sent run leaves.
func TestCallRules(t *testing.T) {
	dir, data, must := shanghaiWorld(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("dnc.txt"), []byte("21,62345678\n21,62345679\n"), 0o644)
	must("lists", "create", "cn_dnc", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry")
	must("import", "--list", "cn_dnc", "--format", "registry", "--rejected", p("dnc.rej"), p("dnc.txt"))
	must("campaign", "create", "calls", "--channel", "call", "--purpose", "direct_marketing", "--audience", "segment:bureau_file", "--cap", "1/7d:call:direct_marketing")

	now := time.Now().UTC()
	// 02:00 UTC is 10:00 in Shanghai.
	day := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, time.UTC)
	if day.After(now) {
		day = day.AddDate(0, 0, -1)
	}
	stale := day.AddDate(0, 0, 40).Format(time.RFC3339)
	_, stderr, code := runCLI(t, "campaign", "run", "calls", "--at", stale, "--data", data)
	if code != exitUser || !strings.Contains(stderr, `national registry list "cn_dnc" was last refreshed `) || !strings.Contains(stderr, "days ago") {
		t.Fatalf("stale registry: exit %d %q", code, stderr)
	}
	// 14:00 UTC is 22:00 in Shanghai: everyone is outside calling hours.
	night := day.Add(12 * time.Hour).Format(time.RFC3339)
	w := dryRun(t, must, "calls", night)
	if w.Final != 0 || w.step("outside_calling_window").Removed != 1 {
		t.Fatalf("night run: %+v", w)
	}
	out, _, code := runCLI(t, "check", "--phone", "021 6234 5680", "--region", "CN", "--channel", "call", "--purpose", "direct_marketing", "--at", night, "--data", data)
	if code != exitSuppressed || !strings.Contains(out, "outside_calling_window") {
		t.Fatalf("check at night: exit %d %s", code, out)
	}
	// By day the registry suppresses the two listed numbers, except where
	// an inquiry in the last 3 months makes a relationship.
	at := day.Format(time.RFC3339)
	must("campaign", "run", "calls", "--at", at, "--out", p("c.final"), "--suppressed", p("c.supp"), "--waterfall", p("c.wf"), "--manifest", p("c.json"), "--mark-sent")
	supp, _ := os.ReadFile(p("c.supp"))
	if !strings.Contains(string(supp), "SH-2000-0417,list:cn_dnc:national_registry") || !strings.Contains(string(supp), "SH-2000-0418,list:cn_dnc:national_registry") {
		t.Fatalf("registry: %s", supp)
	}
	final, _ := os.ReadFile(p("c.final"))
	if !strings.Contains(string(final), "SH-2000-0419,+862162345680,Zhao Nomail") {
		t.Fatalf("final: %s", final)
	}
	// Sent: the cap of one marketing call per 7 days now stops Zhao.
	w = dryRun(t, must, "calls", day.Add(time.Hour).Format(time.RFC3339))
	if w.step("cap:1/7d:call:direct_marketing").Removed != 1 || w.Final != 0 {
		t.Fatalf("cap after a sent run: %+v", w)
	}
	// An inquiry within 3 months: the national registry no longer
	// suppresses Li; a company-specific request would.
	recent := day.AddDate(0, -1, 0).Format("2006-01-02")
	os.WriteFile(p("inq.csv"), []byte("customer_id,phone,address,region,inquiry\nSH-2000-0418,021 6234 5679,\"90 Nanjing Road, Huangpu, Shanghai 200001\",CN,"+recent+"\n"), 0o644)
	must("ingest", "customers", p("inq.csv"))
	if w = dryRun(t, must, "calls", at); w.Final != 1 {
		t.Fatalf("EBR: Li should now be callable: %+v", w)
	}
	must("optout", "add", "--phone", "021 6234 5679", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "asked us not to call")
	if w = dryRun(t, must, "calls", at); w.Final != 0 || w.step("optout:direct_marketing").Removed != 1 {
		t.Fatalf("company-specific request must win over EBR: %+v", w)
	}
}

type waterfallJSON struct {
	Audience, Final uint64
	Steps           []struct {
		Reason           string
		Removed, Matched uint64
	}
}

func (w waterfallJSON) step(reason string) (s struct {
	Reason           string
	Removed, Matched uint64
}) {
	for _, x := range w.Steps {
		if x.Reason == reason {
			return x
		}
	}
	return s
}

func dryRun(t *testing.T, must func(args ...string) string, name, at string) waterfallJSON {
	t.Helper()
	var r struct{ Waterfall waterfallJSON }
	out := must("campaign", "dry-run", name, "--at", at, "--json")
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return r.Waterfall
}

// TestRFMAudienceAndPurchaseRelationship: audiences over RFM segments and
// attributes of the stored purchases (the directory and the purchase
// history share customer ids), and a purchase within 18 months as an
// established business relationship against the national registry.
func TestRFMAudienceAndPurchaseRelationship(t *testing.T) {
	dir, data, must := shanghaiWorld(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	now := time.Now().UTC()
	recent := now.AddDate(0, -2, 0).Format("2006-01-02")
	old := now.AddDate(-3, 0, 0).Format("2006-01-02")
	os.WriteFile(p("orders.csv"), []byte("order,customer,date,amount\n1,SH-2000-0417,"+recent+",900.00\n2,SH-2000-0418,"+old+",20.00\n3,SH-9999-0001,"+recent+",15.00\n"), 0o644)
	must("ingest", "purchases", p("orders.csv"), "--map", "customer=customer,date=date,amount=amount,order=order", "--rejected", p("orders.rej"))
	out := must("segment", "count", "monetary >= 500 AND segment:bureau_file")
	if !strings.HasPrefix(out, "1 customers") {
		t.Fatalf("monetary >= 500: %s", out)
	}
	// A customer only in the purchase history is in the universe, so NOT
	// reaches him; he has no contact point.
	out = must("segment", "count", "NOT segment:bureau_file")
	if !strings.HasPrefix(out, "1 customers") {
		t.Fatalf("NOT: %s", out)
	}
	os.WriteFile(p("dnc.txt"), []byte("21,62345678\n21,62345679\n"), 0o644)
	must("lists", "create", "cn_dnc", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry")
	must("import", "--list", "cn_dnc", "--format", "registry", "--rejected", p("dnc.rej"), p("dnc.txt"))
	must("campaign", "create", "calls", "--channel", "call", "--purpose", "direct_marketing", "--audience", "segment:bureau_file OR monetary >= 1")
	day := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, time.UTC)
	if day.After(now) {
		day = day.AddDate(0, 0, -1)
	}
	must("campaign", "run", "calls", "--at", day.Format(time.RFC3339), "--out", p("f.csv"), "--suppressed", p("s.csv"), "--waterfall", p("w.csv"), "--manifest", p("m.json"))
	final, _ := os.ReadFile(p("f.csv"))
	supp, _ := os.ReadFile(p("s.csv"))
	// Wang bought two months ago: the registry does not stop the call
	// (his refusal was of mail and of disclosure, not of calls).
	if !strings.Contains(string(final), "SH-2000-0417,+862162345678") {
		t.Fatalf("EBR by purchase: Wang should be called:\nfinal %s\nsuppressed %s", final, supp)
	}
	// Li bought three years ago: the registry stops him.
	if !strings.Contains(string(supp), "SH-2000-0418,list:cn_dnc:national_registry") || !strings.Contains(string(supp), "SH-9999-0001,no_contact_point") {
		t.Fatalf("suppressed:\n%s", supp)
	}
	_ = data
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

func TestReportDeadlines(t *testing.T) {
	dir, _, must := shanghaiWorld(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	now := time.Now().UTC()
	must("campaign", "create", "weekly", "--channel", "mail", "--purpose", "service", "--audience", "segment:bureau_file", "--schedule", "0 9 * * 1")
	out := must("report", "deadlines")
	if !strings.Contains(out, "no opt-out is waiting") {
		t.Fatalf("before any run: %s", out)
	}
	must("campaign", "run", "weekly", "--mark-sent", "--at", now.Add(-20*24*time.Hour).Format(time.RFC3339), "--out", p("f"), "--suppressed", p("s"), "--waterfall", p("w"), "--manifest", p("m"))
	// Li refuses service letters after the list went out.
	must("optout", "add", "--customer", "SH-2000-0418", "--channels", "mail", "--purposes", "service", "--evidence", "phone call")
	out = must("report", "deadlines", "--json", "--at", now.Add(11*24*time.Hour).Format(time.RFC3339))
	var r struct {
		Pending []struct {
			Campaign, Status, Subject_kind string
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(r.Pending) != 1 || r.Pending[0].Campaign != "weekly" || r.Pending[0].Status != "overdue" {
		t.Fatalf("deadlines: %s", out)
	}
	out = must("report", "deadlines", "--json", "--sla", "30d")
	if !strings.Contains(out, `"status": "due"`) {
		t.Fatalf("within the service level, the next weekly run honours it: %s", out)
	}
	// A run after the opt-out honours it.
	must("campaign", "run", "weekly", "--mark-sent", "--out", p("f"), "--suppressed", p("s"), "--waterfall", p("w"), "--manifest", p("m"))
	if out = must("report", "deadlines"); !strings.Contains(out, "no opt-out is waiting") {
		t.Fatalf("after a fresh run: %s", out)
	}
}

// TestScheduledCampaignsRunWhenDue: the server's campaigns job runs a
// cron campaign once per due time, writes its outputs under the data dir
// and records it as sent.
func TestScheduledCampaignsRunWhenDue(t *testing.T) {
	_, data, must := shanghaiWorld(t)
	must("campaign", "create", "daily_service", "--channel", "mail", "--purpose", "service", "--audience", "segment:bureau_file", "--schedule", "0 9 * * *")
	must("campaign", "create", "manual", "--channel", "mail", "--purpose", "service", "--audience", "segment:bureau_file")
	c := &cli{io: stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, cfg: config.Defaults()}
	c.cfg.DataDir = data
	e, closeFn, err := c.openEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	d := &dueCampaigns{e: e, dir: filepath.Join(data, campaignRunsDir), rules: campaigns.DefaultRules(), logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }}
	nine := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	d.last = nine.Add(-time.Minute)
	if err := d.run(context.Background(), nine.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := d.run(context.Background(), nine.Add(90*time.Second)); err != nil { // not due again
		t.Fatal(err)
	}
	st := e.Campaigns()
	if len(st.History) != 1 || st.History[0].Campaign != "daily_service" || st.History[0].Customers.GetCardinality() != 2 {
		t.Fatalf("history %+v, logs %v", st.History, logs)
	}
	run := st.History[0].Run
	closeFn()
	final, err := os.ReadFile(filepath.Join(data, campaignRunsDir, "daily_service", fmt.Sprint(run), "final.csv"))
	if err != nil || !strings.Contains(string(final), "SH-2000-0417") {
		t.Fatalf("final list of the scheduled run: %v %s", err, final)
	}
	if _, err := os.Stat(filepath.Join(data, campaignRunsDir, "daily_service", fmt.Sprint(run), "manifest.json")); err != nil {
		t.Fatal(err)
	}
}

// TestSuppressedThroughAnyContactPoint: a customer with two phones, the
// second on the registry, is suppressed (fail closed), and the final list
// of another customer carries the first phone.
func TestSuppressedThroughAnyContactPoint(t *testing.T) {
	dir, _, must := shanghaiWorld(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("two.csv"), []byte("customer_id,phone,region\nTWO-1,021 6234 0001; 021 6234 0002,CN\nTWO-2,021 6234 0003;021 6234 0004,CN\n"), 0o644)
	must("ingest", "customers", p("two.csv"))
	os.WriteFile(p("dnc.txt"), []byte("21,62340002\n"), 0o644)
	must("lists", "create", "cn_dnc", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry")
	must("import", "--list", "cn_dnc", "--format", "registry", "--rejected", p("dnc.rej"), p("dnc.txt"))
	os.WriteFile(p("two_ids.csv"), []byte("customer_id\nTWO-1\nTWO-2\n"), 0o644)
	must("segment", "define", "two", "--file", p("two_ids.csv"))
	must("campaign", "create", "calls2", "--channel", "call", "--purpose", "direct_marketing", "--audience", "segment:two")
	now := time.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	must("campaign", "run", "calls2", "--at", day.Format(time.RFC3339), "--out", p("f"), "--suppressed", p("s"), "--waterfall", p("w"), "--manifest", p("m"))
	final, _ := os.ReadFile(p("f"))
	supp, _ := os.ReadFile(p("s"))
	if !strings.Contains(string(supp), "TWO-1,list:cn_dnc:national_registry") || string(final) != "customer_id,contact_point,name\nTWO-2,+862162340003,\n" {
		t.Fatalf("final:\n%s\nsuppressed:\n%s", final, supp)
	}
}
