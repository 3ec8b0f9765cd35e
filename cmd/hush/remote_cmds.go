package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/hushcrm/hush/scrub"
)

// The --server forms of check, optout, lists, import and scrub: the same
// flags, answered by a running server's API.

func remoteCheck(ctx context.Context, c *cli, r *remote, subj subjectFlags, channel, purpose, sponsor, at string) error {
	raw := subj.given()
	if len(raw) == 0 {
		return userErr("%v", errNoSubject)
	}
	q := url.Values{"channel": {channel}, "purpose": {purpose}}
	for _, rk := range raw {
		q.Set(rk.kind.String(), rk.raw)
	}
	if sponsor != "" {
		q.Set("sponsor", sponsor)
	}
	if at != "" {
		q.Set("at", at)
	}
	var d struct {
		Allowed bool `json:"allowed"`
		Reasons []struct {
			Code    string `json:"code"`
			List    string `json:"list"`
			Source  string `json:"source"`
			Purpose string `json:"purpose"`
			Since   string `json:"since"`
			Kind    string `json:"kind"`
			Detail  string `json:"detail"`
		} `json:"reasons"`
		Key     string `json:"key"`
		Version uint64 `json:"version"`
	}
	if err := r.doJSON(ctx, "GET", "/v1/check", q, nil, &d); err != nil {
		return err
	}
	if c.cfg.JSON {
		if err := c.printJSON(d); err != nil {
			return err
		}
	} else {
		verdict := "ALLOWED"
		if !d.Allowed {
			verdict = "SUPPRESSED"
		}
		fmt.Fprintf(c.io.out, "%s: %s on %s for %s (state version %d, server %s)\n", verdict, d.Key, channel, purpose, d.Version, r.base)
		for _, x := range d.Reasons {
			line := "  - " + x.Code
			for _, kv := range [][2]string{{"list", x.List}, {"source", x.Source}, {"purpose", x.Purpose}, {"since", x.Since}, {"key", x.Kind}} {
				if kv[1] != "" {
					line += " " + kv[0] + "=" + kv[1]
				}
			}
			if x.Detail != "" {
				line += " (" + x.Detail + ")"
			}
			fmt.Fprintln(c.io.out, line)
		}
	}
	if !d.Allowed {
		return suppressedError{}
	}
	return nil
}

func remoteOptOut(ctx context.Context, c *cli, r *remote, optIn bool, subj subjectFlags, channels, purposes, source, evidence, at string) error {
	keys := subj.given()
	if len(keys) != 1 {
		return userErr("%v (exactly one)", errNoSubject)
	}
	body := map[string]any{keys[0].kind.String(): keys[0].raw, "channels": splitList(channels), "purposes": splitList(purposes),
		"source": source, "evidence": evidence, "at": at}
	method := "POST"
	if optIn {
		method = "DELETE"
	}
	var out map[string]any
	if err := r.doJSON(ctx, method, "/v1/optouts", nil, body, &out); err != nil {
		return err
	}
	if c.cfg.JSON {
		return c.printJSON(out)
	}
	fmt.Fprintf(c.io.out, "%v for %v (channels %v, purposes %v, source %v) at version %v — durable on %s\n", out["result"], out["key"], out["channels"], out["purposes"], out["source"], out["version"], r.base)
	return nil
}

func remoteLists(ctx context.Context, c *cli, r *remote, sub string, pos []string, create map[string]any) error {
	switch sub {
	case "create":
		var out map[string]any
		if err := r.doJSON(ctx, "POST", "/v1/lists", nil, create, &out); err != nil {
			return err
		}
		if c.cfg.JSON {
			return c.printJSON(out)
		}
		fmt.Fprintf(c.io.out, "created list %q at version %v\n", create["name"], out["version"])
	case "ls":
		var out struct {
			Lists   []listJSON `json:"lists"`
			Version uint64     `json:"version"`
		}
		if err := r.doJSON(ctx, "GET", "/v1/lists", nil, nil, &out); err != nil {
			return err
		}
		if c.cfg.JSON {
			return c.printJSON(out)
		}
		tw := tabwriter.NewWriter(c.io.out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTYPE\tKIND\tCHANNELS\tPURPOSES\tSOURCE\tENTRIES\tVERSION")
		for _, l := range out.Lists {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", l.Name, l.Type, l.Kind, l.Channels, l.Purposes, l.Source, l.Entries, l.Version)
		}
		tw.Flush()
		fmt.Fprintf(c.io.out, "%d lists at version %d\n", len(out.Lists), out.Version)
	case "show":
		var out map[string]any
		if err := r.doJSON(ctx, "GET", "/v1/lists/"+url.PathEscape(pos[0]), nil, nil, &out); err != nil {
			return err
		}
		return c.printJSON(out)
	case "rm":
		var out map[string]any
		if err := r.doJSON(ctx, "DELETE", "/v1/lists/"+url.PathEscape(pos[0]), nil, nil, &out); err != nil {
			return err
		}
		if c.cfg.JSON {
			return c.printJSON(out)
		}
		fmt.Fprintf(c.io.out, "deleted list %q at version %v\n", pos[0], out["version"])
	}
	return nil
}

func remoteImport(ctx context.Context, c *cli, r *remote, list, path string, q url.Values, rejectedPath string) error {
	in, err := os.Open(path)
	if err != nil {
		return &userError{err}
	}
	defer in.Close()
	q.Set("filename", path)
	ct := "text/csv"
	if strings.HasSuffix(path, ".gz") {
		ct = "application/gzip"
	}
	j, err := r.upload(ctx, "/v1/lists/"+url.PathEscape(list)+"/import", q, ct, in)
	if err != nil {
		return err
	}
	if p := j.Job.Files["rejected"]; p != "" && rejectedPath != "" {
		if err := r.download(ctx, p, rejectedPath); err != nil {
			return err
		}
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"job": j.Job.ID, "import": j.Job.Result, "rejected_file": rejectedPath})
	}
	var res struct {
		Rows, Accepted, Rejected, Unique uint64
		Version                          uint64
		Seconds                          float64
	}
	json.Unmarshal(j.Job.Result, &res)
	fmt.Fprintf(c.io.out, "imported %s into %q on %s (job %s): %d rows read, %d accepted, %d rejected, %d distinct keys; version %d, %.2f s\n",
		path, list, r.base, j.Job.ID, res.Rows, res.Accepted, res.Rejected, res.Unique, res.Version, res.Seconds)
	if res.Rejected > 0 {
		fmt.Fprintf(c.io.out, "rejected lines with reasons: %s\n", rejectedPath)
	}
	return nil
}

func remoteScrub(ctx context.Context, c *cli, r *remote, inPath string, q url.Values, outs map[string]string) error {
	in, err := os.Open(inPath)
	if err != nil {
		return &userError{err}
	}
	defer in.Close()
	q.Set("filename", inPath)
	j, err := r.upload(ctx, "/v1/scrub", q, "text/csv", in)
	if err != nil {
		return err
	}
	for _, name := range []string{"clean", "suppressed", "rejected", "manifest"} {
		if err := r.download(ctx, j.Job.Files[name], outs[name]); err != nil {
			return err
		}
	}
	var res struct {
		Counts    scrub.Counts `json:"counts"`
		Waterfall []scrub.Step `json:"waterfall"`
		Seconds   float64      `json:"seconds"`
	}
	json.Unmarshal(j.Job.Result, &res)
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"job": j.Job.ID, "rows": res.Counts.Rows, "clean": res.Counts.Clean, "suppressed": res.Counts.Suppressed,
			"rejected": res.Counts.Rejected, "waterfall": res.Waterfall, "manifest": outs["manifest"]})
	}
	fmt.Fprintf(c.io.out, "scrub of %s on %s (job %s): %d rows: %d clean, %d suppressed, %d rejected in %.2f s\n",
		inPath, r.base, j.Job.ID, res.Counts.Rows, res.Counts.Clean, res.Counts.Suppressed, res.Counts.Rejected, res.Seconds)
	fmt.Fprintf(c.io.out, "\nclean: %s\nsuppressed: %s\nrejected: %s\nmanifest: %s\n", outs["clean"], outs["suppressed"], outs["rejected"], outs["manifest"])
	return nil
}
