package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/wal"
)

func runJournal(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return userErr("want a subcommand: verify or snapshot")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "verify":
		fs := c.flags("journal verify", "")
		if _, err := c.parse(fs, args); err != nil {
			return err
		}
		rep, err := wal.Verify(c.cfg.DataDir)
		var ce *journal.CorruptionError
		if err != nil && !errors.As(err, &ce) {
			return err
		}
		if c.cfg.JSON {
			out := map[string]any{"ok": err == nil, "report": rep}
			if ce != nil {
				out["corruption"] = map[string]any{"file": ce.File, "offset": ce.Offset, "error": ce.Err.Error()}
			}
			if perr := c.printJSON(out); perr != nil {
				return perr
			}
		} else {
			printReport(c, rep)
		}
		if ce != nil {
			return &userError{fmt.Errorf("damage found: %w", ce)}
		}
		if !c.cfg.JSON {
			fmt.Fprintln(c.io.out, "journal OK")
		}
		return nil
	case "snapshot":
		fs := c.flags("journal snapshot", "")
		if _, err := c.parse(fs, args); err != nil {
			return err
		}
		e, closeFn, err := c.openEngine(ctx)
		if err != nil {
			return err
		}
		defer closeFn()
		if err := e.Snapshot(ctx); err != nil {
			return err
		}
		if c.cfg.JSON {
			return c.printJSON(map[string]any{"snapshot": e.Applied()})
		}
		fmt.Fprintf(c.io.out, "snapshot written at record %d\n", e.Applied())
		return nil
	}
	return userErr("unknown journal subcommand %q (want verify or snapshot)", sub)
}

func printReport(c *cli, rep wal.Report) {
	fmt.Fprintf(c.io.out, "journal %s: records %d..%d\n", rep.Dir, rep.FirstSeq, rep.LastSeq)
	for _, s := range rep.Segments {
		status := "ok"
		if s.Err != nil {
			status = "DAMAGED: " + s.Err.Error()
		} else if s.TornBytes > 0 {
			status = fmt.Sprintf("ok (torn tail of %d bytes will be cut on open)", s.TornBytes)
		}
		fmt.Fprintf(c.io.out, "  segment  %s  records %d..%d  %d bytes  %s\n", s.File, s.FirstSeq, s.LastSeq, s.Bytes, status)
	}
	for _, s := range rep.Snapshots {
		status := "ok"
		if s.Err != nil {
			status = "DAMAGED: " + s.Err.Error()
		}
		fmt.Fprintf(c.io.out, "  snapshot %s  covers 1..%d  %d bytes  %s\n", s.File, s.Seq, s.Bytes, status)
	}
}
