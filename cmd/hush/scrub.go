package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/scrub"
	"github.com/hushcrm/hush/suppression"
)

func runScrub(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("scrub", "--channel C --purpose P [--sponsor NAME] --map phone=COL,email=COL,address=COL,customer=COL [--out F] [--suppressed F] [--rejected F] [--manifest F] IN.csv")
	channel := fs.String("channel", "", "channel of the campaign: call, sms, email, mail or push (required)")
	purpose := fs.String("purpose", "", "purpose of the campaign, e.g. direct_marketing (required)")
	sponsor := fs.String("sponsor", "", "third party the campaign is for (empty: first party)")
	mapping := fs.String("map", "", "which columns hold which keys: phone=COL,email=COL,address=COL,customer=COL (COL: header name or 1-based number)")
	outPath := fs.String("out", "", "clean rows, unchanged (default IN.clean.csv)")
	suppPath := fs.String("suppressed", "", "suppressed rows plus hush_reasons (default IN.suppressed.csv)")
	rejPath := fs.String("rejected", "", "rejected rows plus hush_line, hush_reason (default IN.rejected.csv)")
	manPath := fs.String("manifest", "", "proof-of-scrub manifest, JSON (default IN.manifest.json)")
	delim := fs.String("delimiter", ",", "field delimiter: one character, or 'tab'")
	atFlag := fs.String("at", "", "decide as of this time (RFC 3339 or date; default now)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return userErr("want exactly one input file")
	}
	if *channel == "" || *purpose == "" || *mapping == "" {
		return userErr("--channel, --purpose and --map are required")
	}
	ch, err := suppression.ParseChannel(*channel)
	if err != nil {
		return &userError{fmt.Errorf("--channel: %w", err)}
	}
	m, err := csvio.ParseMapping(*mapping)
	if err != nil {
		return &userError{fmt.Errorf("--map: %w", err)}
	}
	for k := range m {
		switch k {
		case "phone", "email", "address", "customer":
		default:
			return userErr("--map: unknown key %q (want phone, email, address or customer)", k)
		}
	}
	d, err := parseDelimiter(*delim)
	if err != nil {
		return err
	}
	at, err := parseAt(*atFlag, c.cfg.Now)
	if err != nil {
		return err
	}
	n, err := c.normalizer()
	if err != nil {
		return err
	}
	inPath := pos[0]
	base := strings.TrimSuffix(inPath, ".csv")
	def := func(p *string, suffix string) {
		if *p == "" {
			*p = base + suffix
		}
	}
	def(outPath, ".clean.csv")
	def(suppPath, ".suppressed.csv")
	def(rejPath, ".rejected.csv")
	def(manPath, ".manifest.json")

	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		q := url.Values{"channel": {*channel}, "purpose": {*purpose}, "sponsor": {*sponsor}, "map": {*mapping}, "delimiter": {*delim}, "at": {*atFlag}}
		return remoteScrub(ctx, c, r, inPath, q, map[string]string{"clean": *outPath, "suppressed": *suppPath, "rejected": *rejPath, "manifest": *manPath})
	}
	in, err := os.Open(inPath)
	if err != nil {
		return &userError{err}
	}
	defer in.Close()
	// The data dir is locked and its secret read first (fast); the state
	// is recovered on another goroutine while the scrub reads the input
	// and normalises its keys (scrub.RunOpening).
	dj, err := c.openJournal()
	if err != nil {
		return err
	}
	type opened struct {
		e   *engine.Engine
		err error
	}
	recovered := make(chan opened, 1)
	go func() {
		e, err := c.recoverEngine(ctx, dj)
		recovered <- opened{e, err}
	}()
	var eng opened
	waited := false
	waitEngine := func() (scrub.State, error) {
		if !waited {
			eng, waited = <-recovered, true
		}
		if eng.err != nil {
			return nil, eng.err
		}
		return eng.e, nil
	}
	defer func() {
		waitEngine()
		if eng.err == nil { // recoverEngine closes the journal when it fails
			eng.e.Close()
			dj.j.Close()
		}
	}()

	outs := make([]*outFile, 4)
	for i, p := range []string{*outPath, *suppPath, *rejPath, *manPath} {
		if outs[i], err = createOut(p); err != nil {
			for _, o := range outs[:i] {
				o.discard()
			}
			return err
		}
	}
	discardAll := func() {
		for _, o := range outs {
			o.discard()
		}
	}
	bar := c.newProgress("scrub", fileSize(in))
	scope := suppression.Scope{Channel: ch, Purpose: strings.TrimSpace(*purpose), Sponsor: strings.TrimSpace(*sponsor)}
	man, err := scrub.RunOpening(ctx, waitEngine, in, scrub.Outputs{Clean: outs[0], Suppressed: outs[1], Rejected: outs[2]}, scrub.Options{
		Scope: scope, Mapping: m, Normalizer: n, Hasher: dj.hasher,
		CSV: csvio.Options{Delimiter: d, Header: true, MaxRecordLines: 16}, At: at, InputName: inPath, Tool: "hush " + version,
		Progress: func(_, b int64) { bar.set(b) },
	})
	bar.finish()
	if err != nil {
		discardAll()
		return err
	}
	man.Outputs["clean"] = named(man.Outputs["clean"], *outPath)
	man.Outputs["suppressed"] = named(man.Outputs["suppressed"], *suppPath)
	man.Outputs["rejected"] = named(man.Outputs["rejected"], *rejPath)
	enc := json.NewEncoder(outs[3])
	enc.SetIndent("", "  ")
	if err := enc.Encode(man); err != nil {
		discardAll()
		return err
	}
	for _, o := range outs {
		if err := o.commit(); err != nil {
			discardAll()
			return err
		}
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{
			"rows": man.Counts.Rows, "clean": man.Counts.Clean, "suppressed": man.Counts.Suppressed, "rejected": man.Counts.Rejected,
			"seconds": man.Seconds, "rows_per_second": float64(man.Counts.Rows) / max(man.Seconds, 1e-9),
			"waterfall": man.Waterfall, "per_reason": man.PerReason, "manifest": *manPath,
		})
	}
	printWaterfall(c, man)
	fmt.Fprintf(c.io.out, "\nclean: %s\nsuppressed: %s\nrejected: %s\nmanifest: %s\n", *outPath, *suppPath, *rejPath, *manPath)
	return nil
}

func named(d scrub.FileDigest, path string) scrub.FileDigest {
	d.Name = path
	return d
}

func parseDelimiter(s string) (byte, error) {
	switch s {
	case "tab", "\\t", "\t":
		return '\t', nil
	}
	if len(s) != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r' {
		return 0, userErr("--delimiter %q: want one character (or 'tab')", s)
	}
	return s[0], nil
}

// printWaterfall shows input → minus each reason → clean, then totals.
func printWaterfall(c *cli, m *scrub.Manifest) {
	w := tabwriter.NewWriter(c.io.out, 2, 4, 2, ' ', tabwriter.AlignRight)
	sp := ""
	if m.Sponsor != "" {
		sp = ", sponsor " + m.Sponsor
	}
	fmt.Fprintf(c.io.out, "scrub of %s for %s / %s%s, state version %d\n\n", m.Input.Name, m.Channel, m.Purpose, sp, m.StateVersion)
	fmt.Fprintf(w, "input rows\t%d\t\t\n", m.Counts.Rows)
	for _, s := range m.Waterfall {
		fmt.Fprintf(w, "− %s\t%d\t→ %d\t\n", s.Reason, s.Removed, s.Remaining)
	}
	fmt.Fprintf(w, "= clean\t%d\t\t\n", m.Counts.Clean)
	w.Flush()
	fmt.Fprintf(c.io.out, "\n%d rows: %d clean, %d suppressed, %d rejected in %s (%.0f rows/s)\n",
		m.Counts.Rows, m.Counts.Clean, m.Counts.Suppressed, m.Counts.Rejected,
		time.Duration(m.Seconds*float64(time.Second)).Round(time.Millisecond), float64(m.Counts.Rows)/max(m.Seconds, 1e-9))
}
