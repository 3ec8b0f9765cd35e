package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// listJSON is how the CLI prints a list (the digest as bare hex).
type listJSON = suppression.ListInfo

func describeList(l *suppression.List, withDigest bool) listJSON { return l.Info(withDigest) }

func runLists(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return userErr("want a subcommand: create, ls, show or rm")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		return listsCreate(ctx, c, args)
	case "ls", "list":
		return listsLs(ctx, c, args)
	case "show":
		return listsShow(ctx, c, args)
	case "rm", "delete":
		return listsRm(ctx, c, args)
	}
	return userErr("unknown lists subcommand %q (want create, ls, show or rm)", sub)
}

func listsCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("lists create", "NAME --kind phone|email|address|customer [--type deny|consent] --channels C --purposes P --source S")
	kind := fs.String("kind", "", "key kind: phone, email, address or customer (required)")
	typ := fs.String("type", "deny", "deny (suppress members) or consent (require membership)")
	channels := fs.String("channels", "all", "channels the list applies to: call,sms,email,mail,push or all")
	purposes := fs.String("purposes", "all", "purposes: direct_marketing,third_party_disclosure,automated_decision,sensitive_data, your own, or all")
	source := fs.String("source", "", "where entries come from: customer_request, national_registry, complaint, bounce, litigator, legal_hold, ... (required)")
	desc := fs.String("description", "", "free text")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return userErr("want exactly one list NAME")
	}
	if *kind == "" || *source == "" {
		return userErr("--kind and --source are required")
	}
	k, err := contactkey.ParseKind(*kind)
	if err != nil {
		return &userError{fmt.Errorf("--kind: %w", err)}
	}
	lt, err := suppression.ParseListType(*typ)
	if err != nil {
		return &userError{fmt.Errorf("--type: %w", err)}
	}
	ch, err := suppression.ParseChannels(*channels)
	if err != nil {
		return &userError{fmt.Errorf("--channels: %w", err)}
	}
	ps, err := suppression.ParsePurposes(*purposes)
	if err != nil {
		return &userError{fmt.Errorf("--purposes: %w", err)}
	}
	spec := suppression.ListSpec{Name: pos[0], Kind: k, Type: lt, Channels: ch, Purposes: ps, Source: *source, Description: *desc}
	if err := spec.Validate(); err != nil {
		return &userError{err}
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		return remoteLists(ctx, c, r, "create", pos, map[string]any{"name": spec.Name, "kind": *kind, "type": *typ,
			"channels": splitList(*channels), "purposes": splitList(*purposes), "source": *source, "description": *desc})
	}
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	seq, err := e.CreateList(ctx, spec)
	if err != nil {
		return err
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"created": spec.Name, "version": seq})
	}
	fmt.Fprintf(c.io.out, "created %s list %q (%s keys; channels %s; purposes %s; source %s) at version %d\n",
		lt, spec.Name, k, ch, ps, spec.Source, seq)
	return nil
}

func listsLs(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("lists ls", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		return remoteLists(ctx, c, r, "ls", nil, nil)
	}
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	var out []listJSON
	var version journal.Seq
	e.Read(func(st *suppression.Store, v journal.Seq) error {
		version = v
		for _, l := range st.Lists() {
			out = append(out, describeList(l, false))
		}
		return nil
	})
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"version": version, "lists": out})
	}
	tw := tabwriter.NewWriter(c.io.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tKIND\tCHANNELS\tPURPOSES\tSOURCE\tENTRIES\tVERSION")
	for _, l := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", l.Name, l.Type, l.Kind, l.Channels, l.Purposes, l.Source, l.Entries, l.Version)
	}
	tw.Flush()
	fmt.Fprintf(c.io.out, "%d lists at version %d\n", len(out), version)
	return nil
}

func listsShow(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("lists show", "NAME")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return userErr("want exactly one list NAME")
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		return remoteLists(ctx, c, r, "show", pos, nil)
	}
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	var out listJSON
	err = e.Read(func(st *suppression.Store, _ journal.Seq) error {
		l, ok := st.List(pos[0])
		if !ok {
			return fmt.Errorf("list %q: %w", pos[0], suppression.ErrUnknownList)
		}
		out = describeList(l, true)
		return nil
	})
	if err != nil {
		return err
	}
	if c.cfg.JSON {
		return c.printJSON(out)
	}
	tw := tabwriter.NewWriter(c.io.out, 2, 4, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"name", out.Name}, {"type", out.Type}, {"kind", out.Kind}, {"channels", out.Channels},
		{"purposes", out.Purposes}, {"source", out.Source}, {"description", out.Description},
		{"entries", fmt.Sprint(out.Entries)}, {"version", fmt.Sprint(out.Version)}, {"updated", out.UpdatedAt},
		{"digest", "sha256:" + out.Digest}, {"memory", fmt.Sprintf("%.1f MiB", float64(out.MemoryBytes)/(1<<20))},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	return tw.Flush()
}

func listsRm(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("lists rm", "NAME")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return userErr("want exactly one list NAME")
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		return remoteLists(ctx, c, r, "rm", pos, nil)
	}
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	seq, err := e.DeleteList(ctx, pos[0])
	if err != nil {
		return err
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"deleted": pos[0], "version": seq})
	}
	fmt.Fprintf(c.io.out, "deleted list %q at version %d\n", pos[0], seq)
	return nil
}
