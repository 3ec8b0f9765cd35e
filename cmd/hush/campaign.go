package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/suppression"
)

// runCampaign: hush campaign create|ls|show|dry-run|run|rm.
func runCampaign(ctx context.Context, c *cli, args []string) error {
	const usageText = "usage: hush campaign create NAME --channel C --purpose P --audience EXPR [--sponsor S] [--consent L,...] [--cap 2/7d:call:direct_marketing ...] [--schedule once|CRON] | ls | show NAME | dry-run NAME [--at TIME] | run NAME [--at TIME] [--out F] [--suppressed F] [--waterfall F] [--manifest F] [--mark-sent] | rm NAME"
	if len(args) == 0 {
		return userErr(usageText)
	}
	switch args[0] {
	case "create":
		return campaignCreate(ctx, c, args[1:])
	case "ls":
		return campaignList(ctx, c, args[1:])
	case "show":
		return campaignShow(ctx, c, args[1:])
	case "dry-run":
		return campaignRun(ctx, c, args[1:], true)
	case "run":
		return campaignRun(ctx, c, args[1:], false)
	case "rm":
		return campaignRemove(ctx, c, args[1:])
	}
	return userErr("unknown campaign command %q; %s", args[0], usageText)
}

func campaignCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("campaign create", "NAME --channel C --purpose P --audience EXPR [--sponsor S] [--consent L,...] [--cap SPEC ...] [--schedule S]")
	channel := fs.String("channel", "", "call, sms, email, mail or push")
	purpose := fs.String("purpose", "", "direct_marketing, service, ...")
	sponsor := fs.String("sponsor", "", "the third party the campaign is for (empty: first party)")
	audience := fs.String("audience", "", "segment expression, e.g. 'rfm:champions AND NOT list:mail_dnm' (an uploaded list: segment:NAME)")
	consents := fs.String("consent", "", "consent lists every contacted customer must be in, comma-separated")
	var caps multiFlag
	fs.Var(&caps, "cap", "frequency cap MAX/DAYSd[:CHANNEL|any[:PURPOSE]], e.g. 2/7d:call:direct_marketing (repeatable)")
	schedule := fs.String("schedule", "once", "once, once@RFC3339 or a cron expression (\"0 9 * * 1\")")
	desc := fs.String("description", "", "free text")
	name, err := c.parseName(fs, args, "campaign")
	if err != nil {
		return err
	}
	spec := campaigns.Spec{Name: name, Purpose: *purpose, Sponsor: *sponsor, Audience: *audience, Consents: splitList(*consents), Schedule: *schedule, Description: *desc}
	if *channel == "" {
		return userErr("--channel is required (call, sms, email, mail or push)")
	}
	if spec.Channel, err = suppression.ParseChannel(*channel); err != nil {
		return &userError{err}
	}
	for _, s := range caps {
		cp, err := campaigns.ParseCap(s)
		if err != nil {
			return &userError{err}
		}
		spec.Caps = append(spec.Caps, cp)
	}
	if err := spec.Validate(); err != nil {
		return &userError{err}
	}
	e, closeFn, err := c.openAudienceEngine(ctx, time.Now())
	if err != nil {
		return err
	}
	defer closeFn()
	seq, err := e.DefineCampaign(ctx, spec)
	if err != nil {
		return segErr(err)
	}
	if c.cfg.JSON {
		return c.printJSON(campaignJSON(e.Campaigns().Campaigns[spec.Name], time.Now()))
	}
	fmt.Fprintf(c.io.out, "campaign %s saved (version %d)\n", spec.Name, seq)
	return nil
}

func campaignJSON(cp *engine.Campaign, now time.Time) map[string]any {
	s := cp.Spec
	var caps []string
	for _, c := range s.Caps {
		caps = append(caps, c.String())
	}
	m := map[string]any{"name": s.Name, "channel": s.Channel.String(), "purpose": s.Purpose, "sponsor": s.Sponsor, "audience": s.Audience,
		"consents": s.Consents, "caps": caps, "schedule": s.Schedule, "description": s.Description,
		"created_at": time.Unix(cp.CreatedAt, 0).UTC().Format(time.RFC3339), "updated_by": cp.UpdatedBy, "version": cp.Version}
	if sch, err := campaigns.ParseSchedule(s.Schedule); err == nil {
		if next := sch.Next(now); !next.IsZero() {
			m["next_run"] = next.UTC().Format(time.RFC3339)
		}
	}
	return m
}

func campaignList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("campaign ls", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	e, closeFn, err := c.openAudienceEngine(ctx, time.Now())
	if err != nil {
		return err
	}
	defer closeFn()
	var out []map[string]any
	for _, cp := range e.Campaigns().SortedCampaigns() {
		out = append(out, campaignJSON(cp, time.Now()))
	}
	if c.cfg.JSON {
		return c.printJSON(out)
	}
	for _, m := range out {
		sp := m["sponsor"].(string)
		if sp == "" {
			sp = "first party"
		}
		fmt.Fprintf(c.io.out, "%-20s %-5s %-22s %-16s %-14s %s\n", m["name"], m["channel"], m["purpose"], sp, m["schedule"], m["audience"])
	}
	return nil
}

func campaignShow(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("campaign show", "NAME")
	name, err := c.parseName(fs, args, "campaign")
	if err != nil {
		return err
	}
	e, closeFn, err := c.openAudienceEngine(ctx, time.Now())
	if err != nil {
		return err
	}
	defer closeFn()
	st := e.Campaigns()
	cp, ok := st.Campaigns[name]
	if !ok {
		return &userError{fmt.Errorf("%w %q", engine.ErrUnknownCampaign, name)}
	}
	m := campaignJSON(cp, time.Now())
	var runs []map[string]any
	for _, h := range st.History {
		if h.Campaign == cp.Spec.Name {
			runs = append(runs, map[string]any{"run": h.Run, "day": time.Unix(int64(h.Day)*86400, 0).UTC().Format("2006-01-02"), "contacted": h.Customers.GetCardinality()})
		}
	}
	m["sent_runs"] = runs
	if c.cfg.JSON {
		return c.printJSON(m)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	fmt.Fprintln(c.io.out, string(b))
	return nil
}

func campaignRemove(ctx context.Context, c *cli, args []string) error {
	return removeNamed(ctx, c, args, "campaign", " (its contact history stays)", (*engine.Engine).DeleteCampaign)
}

// rulesFlags adds the rule settings to a flag set.
func rulesFlags(fs *flag.FlagSet) *campaigns.Rules {
	r := campaigns.DefaultRules()
	fs.IntVar(&r.EBRPurchaseMonths, "ebr-purchase-months", r.EBRPurchaseMonths, "a purchase within this many months is an established business relationship")
	fs.IntVar(&r.EBRInquiryMonths, "ebr-inquiry-months", r.EBRInquiryMonths, "an inquiry within this many months is one too")
	fs.Func("registry-max-age", "a call campaign refuses to run on a national registry list older than this (default 31d)", func(s string) error {
		d, err := parseDays(s)
		r.RegistryMaxAge = d
		return err
	})
	fs.Func("call-hours", "calling hours in the callee's local time, START-END (default 8-21)", func(s string) error {
		a, b, ok := strings.Cut(s, "-")
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || x < 0 || y > 24 || x >= y {
			return fmt.Errorf("want START-END hours, e.g. 8-21")
		}
		r.CallStart, r.CallEnd = x, y
		return nil
	})
	return &r
}

func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("want DAYSd or a Go duration")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func campaignRun(ctx context.Context, c *cli, args []string, dry bool) error {
	name := "campaign run"
	if dry {
		name = "campaign dry-run"
	}
	fs := c.flags(name, "NAME [--at TIME] [--out F] [--suppressed F] [--waterfall F] [--manifest F] [--mark-sent]")
	atS := fs.String("at", "", "the time the run is for (RFC 3339; default now): expiries, caps and calling hours are judged then")
	outPath := fs.String("out", "", "final list: customer_id,contact_point,name (default NAME.final.csv)")
	suppPath := fs.String("suppressed", "", "suppressed customers with every reason (default NAME.suppressed.csv)")
	wfPath := fs.String("waterfall", "", "waterfall CSV (default NAME.waterfall.csv)")
	manPath := fs.String("manifest", "", "proof manifest JSON (default NAME.manifest.json)")
	markSent := fs.Bool("mark-sent", false, "record the final list as contacted (contact history, read by caps), in one journal record")
	rules := rulesFlags(fs)
	campaign, err := c.parseName(fs, args, "campaign")
	if err != nil {
		return err
	}
	at, err := parseAt(*atS, time.Now)
	if err != nil {
		return err
	}
	e, closeFn, err := c.openAudienceEngine(ctx, at)
	if err != nil {
		return err
	}
	defer closeFn()
	t0 := time.Now()
	rp, err := e.PlanCampaign(campaign, at, *rules, dry)
	if err != nil {
		return segErr(err)
	}
	took := time.Since(t0)
	man := runManifest(rp, dry)
	if dry {
		if c.cfg.JSON {
			return c.printJSON(map[string]any{"campaign": rp.Spec.Name, "run": rp.Run, "at": man.At, "waterfall": rp.Waterfall, "milliseconds": took.Seconds() * 1000})
		}
		printCampaignWaterfall(c, rp.Waterfall, true)
		return nil
	}
	def := func(p *string, ext string) {
		if *p == "" {
			*p = rp.Spec.Name + ext
		}
	}
	def(outPath, ".final.csv")
	def(suppPath, ".suppressed.csv")
	def(wfPath, ".waterfall.csv")
	def(manPath, ".manifest.json")
	if err := writeRunOutputs(rp, e, &man, *outPath, *suppPath, *wfPath, *manPath); err != nil {
		return err
	}
	final, supp := man.Outputs[0], man.Outputs[1]
	sent := false
	if *markSent {
		digest, _ := hex.DecodeString(final.SHA256)
		if _, err := e.MarkSent(ctx, rp.Run, rp.Spec, at, rp.Plan.Final, digest); err != nil {
			return segErr(err)
		}
		sent = true
	}
	secs := time.Since(t0).Seconds()
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"campaign": rp.Spec.Name, "run": rp.Run, "waterfall": rp.Waterfall, "outputs": man.Outputs, "manifest": *manPath, "marked_sent": sent, "seconds": secs})
	}
	printCampaignWaterfall(c, rp.Waterfall, false)
	fmt.Fprintf(c.io.out, "\nfinal: %s (%d)\nsuppressed: %s (%d)\nwaterfall: %s\nmanifest: %s\n", *outPath, final.Rows, *suppPath, supp.Rows, *wfPath, *manPath)
	if sent {
		fmt.Fprintf(c.io.out, "run %d recorded as sent: %d customers in the contact history\n", rp.Run, final.Rows)
	}
	return nil
}

func printCampaignWaterfall(c *cli, w campaigns.Waterfall, dry bool) {
	if dry {
		fmt.Fprintln(c.io.out, "dry run (nothing written):")
	}
	fmt.Fprintf(c.io.out, "%-56s %12d\n", "audience", w.Audience)
	for _, s := range w.Steps {
		fmt.Fprintf(c.io.out, "  - %-52s %12d   (applies to %d)\n", s.Reason, s.Removed, s.Matched)
	}
	fmt.Fprintf(c.io.out, "%-56s %12d\n", "final", w.Final)
}

// hashedOut is an output file whose SHA-256 is taken as it is written.
type hashedOut struct {
	o    *outFile
	h    hash.Hash
	w    *bufio.Writer
	rows uint64
	path string
}

func newHashedOut(path string) (*hashedOut, error) {
	o, err := createOut(path)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	return &hashedOut{o: o, h: h, w: bufio.NewWriterSize(io.MultiWriter(o, h), 1<<20), path: path}, nil
}

func (h *hashedOut) finish(name string) (campaigns.Output, error) {
	if err := h.w.Flush(); err != nil {
		h.o.discard()
		return campaigns.Output{}, err
	}
	if err := h.o.commit(); err != nil {
		return campaigns.Output{}, err
	}
	return campaigns.Output{Name: name, Path: h.path, Rows: h.rows, SHA256: hex.EncodeToString(h.h.Sum(nil))}, nil
}

func writeFinal(path string, rp *engine.RunPlan, e *engine.Engine) (campaigns.Output, error) {
	h, err := newHashedOut(path)
	if err != nil {
		return campaigns.Output{}, err
	}
	if h.rows, err = rp.WriteFinal(h.w); err != nil {
		h.o.discard()
		return campaigns.Output{}, err
	}
	return h.finish("final")
}

func writeSuppressed(path string, rp *engine.RunPlan, e *engine.Engine) (campaigns.Output, error) {
	h, err := newHashedOut(path)
	if err != nil {
		return campaigns.Output{}, err
	}
	if h.rows, err = rp.WriteSuppressed(h.w); err != nil {
		h.o.discard()
		return campaigns.Output{}, err
	}
	return h.finish("suppressed")
}

func writeWaterfall(path string, w campaigns.Waterfall) (campaigns.Output, error) {
	h, err := newHashedOut(path)
	if err != nil {
		return campaigns.Output{}, err
	}
	fmt.Fprintf(h.w, "step,reason,matched,removed,remaining\n0,audience,%d,0,%d\n", w.Audience, w.Audience)
	for i, s := range w.Steps {
		fmt.Fprintf(h.w, "%d,%s,%d,%d,%d\n", i+1, csvField(s.Reason), s.Matched, s.Removed, s.Remaining)
		h.rows++
	}
	fmt.Fprintf(h.w, "%d,final,%d,0,%d\n", len(w.Steps)+1, w.Final, w.Final)
	h.rows += 2
	return h.finish("waterfall")
}

// runManifest is the proof of a computed run (outputs are added as they
// are written).
func runManifest(rp *engine.RunPlan, dry bool) campaigns.Manifest {
	man := campaigns.Manifest{Format: campaigns.ManifestFormat, Campaign: rp.Spec.Name, Run: rp.Run, DryRun: dry, Channel: rp.Spec.Channel.String(),
		Purpose: rp.Spec.Purpose, Sponsor: rp.Spec.Sponsor, Audience: rp.Spec.Audience, At: rp.At.UTC().Format(time.RFC3339), StateVersion: rp.Run,
		Caps: rp.Caps, Waterfall: rp.Waterfall, Reasons: map[string]uint64{}}
	for _, l := range rp.Lists {
		man.Lists = append(man.Lists, campaigns.ManifestList{Name: l.Name, Kind: l.Kind.String(), Type: l.Type.String(), Source: l.Source, Version: l.Version, Digest: hex.EncodeToString(l.Digest[:]), Entries: l.Len})
	}
	for _, s := range rp.Waterfall.Steps {
		man.Reasons[s.Reason] = s.Matched
	}
	return man
}

// writeRunOutputs writes the final list, the suppressed customers, the
// waterfall and then the manifest naming their digests.
func writeRunOutputs(rp *engine.RunPlan, e *engine.Engine, man *campaigns.Manifest, outPath, suppPath, wfPath, manPath string) error {
	final, err := writeFinal(outPath, rp, e)
	if err != nil {
		return err
	}
	supp, err := writeSuppressed(suppPath, rp, e)
	if err != nil {
		return err
	}
	wf, err := writeWaterfall(wfPath, rp.Waterfall)
	if err != nil {
		return err
	}
	man.Outputs = []campaigns.Output{final, supp, wf}
	mf, err := createOut(manPath)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(mf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(man); err != nil {
		mf.discard()
		return err
	}
	return mf.commit()
}
