package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/suppression"
)

type reasonJSON struct {
	Code    string `json:"code"`
	List    string `json:"list,omitempty"`
	Source  string `json:"source,omitempty"`
	Purpose string `json:"purpose,omitempty"`
	Since   string `json:"since,omitempty"`
	Key     string `json:"key_kind,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

type decisionJSON struct {
	Allowed bool         `json:"allowed"`
	Reasons []reasonJSON `json:"reasons"`
	Key     string       `json:"key,omitempty"`
	Channel string       `json:"channel"`
	Purpose string       `json:"purpose"`
	Sponsor string       `json:"sponsor,omitempty"`
	At      string       `json:"at"`
	Version uint64       `json:"version"`
}

func reasonOut(r suppression.Reason) reasonJSON {
	out := reasonJSON{Code: r.Code, List: r.List, Source: r.Source, Purpose: r.Purpose, Key: r.Kind.String()}
	if r.Since > 0 {
		out.Since = time.Unix(r.Since, 0).UTC().Format(time.RFC3339)
	}
	return out
}

func runCheck(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("check", "--phone|--email|--address|--customer VALUE --channel C --purpose P [--sponsor NAME] [--at TIME]")
	subj := addSubjectFlags(fs)
	channel := fs.String("channel", "", "channel: call, sms, email, mail or push (required)")
	purpose := fs.String("purpose", "", "purpose, e.g. direct_marketing (required)")
	sponsor := fs.String("sponsor", "", "third party the contact is made for (empty: first party)")
	atFlag := fs.String("at", "", "decide as of this time (RFC 3339 or date; default now)")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		if *channel == "" || *purpose == "" {
			return userErr("--channel and --purpose are required")
		}
		return remoteCheck(ctx, c, r, subj, *channel, *purpose, *sponsor, *atFlag)
	}
	raw := subj.given()
	if len(raw) == 0 {
		return userErr("%v", errNoSubject)
	}
	if *channel == "" || *purpose == "" {
		return userErr("--channel and --purpose are required")
	}
	ch, err := suppression.ParseChannel(*channel)
	if err != nil {
		return &userError{fmt.Errorf("--channel: %w", err)}
	}
	at, err := parseAt(*atFlag, c.cfg.Now)
	if err != nil {
		return err
	}
	n, err := c.normalizer()
	if err != nil {
		return err
	}
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	scope := suppression.Scope{Channel: ch, Purpose: strings.TrimSpace(*purpose), Sponsor: strings.TrimSpace(*sponsor)}
	out := decisionJSON{Channel: ch.String(), Purpose: scope.Purpose, Sponsor: scope.Sponsor, At: at.UTC().Format(time.RFC3339), Reasons: []reasonJSON{}}
	var keys []contactkey.Key
	var shown []string
	for _, rk := range raw {
		k, err := n.Key(rk.kind, []byte(rk.raw), e.Hasher())
		if err != nil {
			// Fail closed: a key we cannot read is never "allowed".
			var ke *contactkey.KeyError
			detail := err.Error()
			if errors.As(err, &ke) {
				detail = ke.Reason
			}
			out.Reasons = append(out.Reasons, reasonJSON{Code: "invalid_key", Key: rk.kind.String(), Detail: detail})
			continue
		}
		keys = append(keys, k)
		shown = append(shown, displayKey(n, rk))
	}
	out.Key = strings.Join(shown, " ")
	d, err := e.Check(scope, keys, at, nil)
	if err != nil {
		return &userError{err}
	}
	out.Version = uint64(d.Version)
	for _, r := range d.Reasons {
		out.Reasons = append(out.Reasons, reasonOut(r))
	}
	if *atFlag != "" {
		out.Reasons = append(out.Reasons, callingWindowReasons(ch, keys, at, campaigns.DefaultRules())...)
	}
	out.Allowed = d.Allowed && len(out.Reasons) == 0
	if c.cfg.JSON {
		if err := c.printJSON(out); err != nil {
			return err
		}
	} else {
		verdict := "ALLOWED"
		if !out.Allowed {
			verdict = "SUPPRESSED"
		}
		sp := ""
		if scope.Sponsor != "" {
			sp = " for sponsor " + scope.Sponsor
		}
		fmt.Fprintf(c.io.out, "%s: %s on %s for %s%s (state version %d)\n", verdict, out.Key, out.Channel, out.Purpose, sp, out.Version)
		for _, r := range out.Reasons {
			line := "  - " + r.Code
			if r.List != "" {
				line += " list=" + r.List
			}
			if r.Source != "" {
				line += " source=" + r.Source
			}
			if r.Purpose != "" {
				line += " purpose=" + r.Purpose
			}
			if r.Since != "" {
				line += " since=" + r.Since
			}
			if r.Key != "" {
				line += " key=" + r.Key
			}
			if r.Detail != "" {
				line += " (" + r.Detail + ")"
			}
			fmt.Fprintln(c.io.out, line)
		}
	}
	if !out.Allowed {
		return suppressedError{}
	}
	return nil
}
