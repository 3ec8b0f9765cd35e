package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/audit"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/unsubscribe"
)

func runKeys(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return userErr("want a subcommand: create, ls or revoke")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		return keysCreate(ctx, c, args)
	case "ls", "list":
		return keysLs(ctx, c, args)
	case "revoke", "rm":
		return keysRevoke(ctx, c, args)
	}
	return userErr("unknown keys subcommand %q (want create, ls or revoke)", sub)
}

type keyOut struct {
	ID        string `json:"id"`
	Role      string `json:"role"`
	Name      string `json:"name"`
	Key       string `json:"key,omitempty"`
	ExpiresAt int64  `json:"expires_at,omitempty"`
	RevokedAt int64  `json:"revoked_at,omitempty"`
	CreatedAt int64  `json:"created_at,omitempty"`
	CreatedBy string `json:"created_by,omitempty"`
}

func keysCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("keys create", "--role agent|marketer|analyst|privacy_officer|admin [--name TEXT] [--expires DATE]")
	roleFlag := fs.String("role", "", "what the key may do: agent, marketer, analyst, privacy_officer or admin (required)")
	name := fs.String("name", "", "what the key is for, e.g. 'dialer floor 3'")
	expires := fs.String("expires", "", "the key stops working at this time (RFC 3339 or date; default never)")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *roleFlag == "" {
		return userErr("--role is required (agent, marketer, analyst, privacy_officer or admin)")
	}
	role, err := access.ParseRole(*roleFlag)
	if err != nil {
		return &userError{fmt.Errorf("--role: %w", err)}
	}
	var exp time.Time
	if *expires != "" {
		if exp, err = parseAt(*expires, c.cfg.Now); err != nil {
			return err
		}
	}
	var out keyOut
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		if err := r.doJSON(ctx, "POST", "/v1/keys", nil, map[string]string{"role": role.String(), "name": *name, "expires": *expires}, &out); err != nil {
			return err
		}
	} else {
		e, closeFn, err := c.openEngine(ctx)
		if err != nil {
			return err
		}
		defer closeFn()
		k, secret, err := e.CreateKey(ctx, role, *name, exp)
		if err != nil {
			return err
		}
		out = keyOut{ID: k.ID, Role: role.String(), Name: k.Name, Key: secret, ExpiresAt: k.ExpiresAt}
	}
	if c.cfg.JSON {
		return c.printJSON(out)
	}
	fmt.Fprintf(c.io.out, "%s\n", out.Key)
	fmt.Fprintf(c.io.err, "hush: created %s key %s%s; this is the only time it is shown (hush keeps only its hash)\n", out.Role, out.ID, map[bool]string{true: " expiring " + *expires, false: ""}[*expires != ""])
	return nil
}

func keysLs(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("keys ls", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	var keys []keyOut
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		var resp struct {
			Keys []keyOut `json:"keys"`
		}
		if err := r.doJSON(ctx, "GET", "/v1/keys", nil, nil, &resp); err != nil {
			return err
		}
		keys = resp.Keys
	} else {
		e, closeFn, err := c.openEngine(ctx)
		if err != nil {
			return err
		}
		defer closeFn()
		for _, k := range e.Keys() {
			keys = append(keys, keyOut{ID: k.ID, Role: k.Role.String(), Name: k.Name, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy})
		}
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"keys": keys})
	}
	tw := tabwriter.NewWriter(c.io.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tNAME\tCREATED\tEXPIRES\tSTATE")
	now := c.cfg.Now().Unix()
	for _, k := range keys {
		state := "live"
		switch {
		case k.RevokedAt != 0:
			state = "revoked " + unixDate(k.RevokedAt)
		case k.ExpiresAt != 0 && now >= k.ExpiresAt:
			state = "expired"
		}
		exp := "never"
		if k.ExpiresAt != 0 {
			exp = unixDate(k.ExpiresAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, k.Name, unixDate(k.CreatedAt), exp, state)
	}
	return tw.Flush()
}

func unixDate(t int64) string {
	if t == 0 {
		return "-"
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}

func keysRevoke(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("keys revoke", "ID [--reason TEXT]")
	reason := fs.String("reason", "", "why (recorded in the journal)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return userErr("want exactly one key ID (see hush keys ls)")
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		if err := r.doJSON(ctx, "DELETE", "/v1/keys/"+url.PathEscape(pos[0]), url.Values{"reason": {*reason}}, nil, nil); err != nil {
			return err
		}
	} else {
		e, closeFn, err := c.openEngine(ctx)
		if err != nil {
			return err
		}
		defer closeFn()
		if err := e.RevokeKey(ctx, pos[0], *reason); err != nil {
			return &userError{err}
		}
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"revoked": pos[0]})
	}
	fmt.Fprintf(c.io.out, "revoked key %s\n", pos[0])
	return nil
}

type accessEntryOut struct {
	Seq     uint64 `json:"seq"`
	At      string `json:"at"`
	KeyID   string `json:"key_id"`
	Role    string `json:"role"`
	Action  string `json:"action"`
	Subject string `json:"subject"`
	Why     string `json:"why"`
	Detail  string `json:"detail,omitempty"`
	Hash    string `json:"hash"`
}

func runAccessLog(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("accesslog", "[--after SEQ] [--limit N]")
	after := fs.Uint64("after", 0, "only entries after this journal sequence number")
	limit := fs.Int("limit", 0, "at most this many entries (default all; with --server 1000)")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	var entries []accessEntryOut
	var head string
	var total uint64
	verified := false
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		q := url.Values{"after": {fmt.Sprint(*after)}}
		if *limit > 0 {
			q.Set("limit", fmt.Sprint(*limit))
		}
		var resp struct {
			Entries []accessEntryOut `json:"entries"`
			Head    string           `json:"head"`
			Total   uint64           `json:"total"`
		}
		if err := r.doJSON(ctx, "GET", "/v1/accesslog", q, nil, &resp); err != nil {
			return err
		}
		entries, head, total = resp.Entries, resp.Head, resp.Total
	} else {
		e, closeFn, err := c.openEngine(ctx)
		if err != nil {
			return err
		}
		defer closeFn()
		all, chain := e.AccessLog(0, 0)
		// Locally the whole chain is at hand: verify it end to end.
		if h, err := audit.Verify(all, [32]byte{}); err != nil {
			return err
		} else if h != chain.Head {
			return fmt.Errorf("%w: the entries end at %s, the chain's head is %s", audit.ErrBroken, audit.Hex(h), audit.Hex(chain.Head))
		}
		verified = true
		sel, _ := e.AccessLog(*after, *limit)
		for _, en := range sel {
			entries = append(entries, accessEntryOut{en.Seq, unixDate(en.At), en.KeyID, en.Role, en.Action, en.Subject, en.Why, en.Detail, audit.Hex(en.Hash)})
		}
		head, total = audit.Hex(chain.Head), chain.N
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"entries": entries, "head": head, "total": total, "verified": verified})
	}
	tw := tabwriter.NewWriter(c.io.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT\tKEY\tROLE\tACTION\tSUBJECT\tWHY\tDETAIL")
	for _, en := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", en.Seq, en.At, en.KeyID, en.Role, en.Action, en.Subject, en.Why, en.Detail)
	}
	tw.Flush()
	v := ""
	if verified {
		v = ", hash chain verified"
	}
	fmt.Fprintf(c.io.out, "%d of %d entries; head %s%s\n", len(entries), total, head, v)
	return nil
}

func runToken(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("token", "--campaign NAME --purpose P [--column email] [--base-url URL] [--out FILE] SENDFILE.csv")
	campaign := fs.String("campaign", "", "campaign the mails belong to (required)")
	purpose := fs.String("purpose", "direct_marketing", "purpose the recipient opts out of")
	column := fs.String("column", "email", "the email column, by header name or 1-based number")
	baseURL := fs.String("base-url", os.Getenv("HUSH_PUBLIC_URL"), "public URL of the hush server (links are BASE/u/TOKEN; env HUSH_PUBLIC_URL)")
	outPath := fs.String("out", "", "annotated send file (default SENDFILE.unsubscribe.csv)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *campaign == "" {
		return userErr("want --campaign NAME and exactly one send file")
	}
	if *outPath == "" {
		*outPath = strings.TrimSuffix(pos[0], ".csv") + ".unsubscribe.csv"
	}
	in, err := os.Open(pos[0])
	if err != nil {
		return &userError{err}
	}
	defer in.Close()
	out, err := createOut(*outPath)
	if err != nil {
		return err
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			out.discard()
			return err
		}
		q := url.Values{"campaign": {*campaign}, "purpose": {*purpose}, "column": {*column}}
		if *baseURL != "" {
			q.Set("base_url", *baseURL)
		}
		resp, err := r.do(ctx, "POST", "/v1/tokens", q, "text/csv", in)
		if err != nil {
			out.discard()
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(out, resp.Body); err != nil {
			out.discard()
			return fmt.Errorf("read answer: %w", err)
		}
		if err := out.commit(); err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "send file with List-Unsubscribe links: %s\n", *outPath)
		return nil
	}
	if *baseURL == "" {
		out.discard()
		return userErr("--base-url is required (the public URL of the hush server)")
	}
	n, err := c.normalizer()
	if err != nil {
		out.discard()
		return err
	}
	dj, err := c.openJournal()
	if err != nil {
		out.discard()
		return err
	}
	defer dj.j.Close()
	cnt, err := unsubscribe.AnnotateSendFile(in, out, unsubscribe.SendFileOptions{
		Column: *column, Purpose: *purpose, Campaign: *campaign, BaseURL: *baseURL, Issued: c.cfg.Now().Unix(),
		Secret: tokenSecret(dj.secret), Normalizer: n, Hasher: dj.hasher, CSV: csvio.Options{MaxRecordLines: 16}, Name: pos[0],
	})
	if err != nil {
		out.discard()
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"counts": cnt, "out": *outPath})
	}
	fmt.Fprintf(c.io.out, "%d rows: %d links minted, %d rows without a valid email (see hush_reason); written to %s\n", cnt.Rows, cnt.Minted, cnt.Rejected, *outPath)
	return nil
}
