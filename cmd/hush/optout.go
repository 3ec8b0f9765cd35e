package main

import (
	"context"
	"fmt"

	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/suppression"
)

func runOptOut(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return userErr("want a subcommand: add or remove")
	}
	sub, args := args[0], args[1:]
	var optIn bool
	switch sub {
	case "add":
	case "remove", "rm":
		optIn = true
	default:
		return userErr("unknown optout subcommand %q (want add or remove)", sub)
	}
	fs := c.flags("optout "+sub, "--phone|--email|--address|--customer VALUE --channels C --purposes P [--source S] [--evidence TEXT]")
	subj := addSubjectFlags(fs)
	channels := fs.String("channels", "all", "channels: call,sms,email,mail,push or all")
	purposes := fs.String("purposes", "all", "purposes: direct_marketing,third_party_disclosure,... or all")
	source := fs.String("source", "customer_request", "how the request came: customer_request, complaint, ...")
	evidence := fs.String("evidence", "", "what shows the customer asked (required to opt back in): letter ref, call recording id, form id")
	atFlag := fs.String("at", "", "when the customer asked (RFC 3339 or date; default now)")
	from := fs.String("from", "", "read many requests from a CSV file ('-' for stdin) with columns phone|email|address|customer and optional channels, purposes, source, evidence, at")
	acks := fs.Bool("acks", false, "with --from: print one line per request as soon as it is durable")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		if *from != "" {
			return userErr("--from reads a file into the local data dir; with --server, send opt-outs one by one (POST /v1/optouts)")
		}
		return remoteOptOut(ctx, c, r, optIn, subj, *channels, *purposes, *source, *evidence, *atFlag)
	}
	if *from != "" {
		return optOutFromFile(ctx, c, *from, *acks, optIn, bulkDefaults{channels: *channels, purposes: *purposes, source: *source, evidence: *evidence, at: *atFlag})
	}
	keys := subj.given()
	if len(keys) != 1 {
		return userErr("%v (exactly one)", errNoSubject)
	}
	ch, err := suppression.ParseChannels(*channels)
	if err != nil {
		return &userError{fmt.Errorf("--channels: %w", err)}
	}
	ps, err := suppression.ParsePurposes(*purposes)
	if err != nil {
		return &userError{fmt.Errorf("--purposes: %w", err)}
	}
	if optIn && *evidence == "" {
		return userErr("opting back in needs --evidence of the customer's wish: %w", suppression.ErrEvidenceRequired)
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
	key, err := n.Key(keys[0].kind, []byte(keys[0].raw), e.Hasher())
	if err != nil {
		return &userError{fmt.Errorf("--%s: %w", keys[0].kind, err)}
	}
	seq, err := e.RecordOptOut(ctx, engine.OptOutRequest{Key: key, Channels: ch, Purposes: ps, Source: *source, Evidence: *evidence, OptIn: optIn, At: at})
	if err != nil {
		return err
	}
	what := "opt-out recorded"
	if optIn {
		what = "opt-in recorded"
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"result": what, "key": displayKey(n, keys[0]), "channels": ch.String(), "purposes": ps.String(), "version": seq})
	}
	fmt.Fprintf(c.io.out, "%s for %s (channels %s, purposes %s, source %s) at version %d — durable\n", what, displayKey(n, keys[0]), ch, ps, *source, seq)
	return nil
}
