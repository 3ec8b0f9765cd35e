package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/record"
)

func runJournal(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return userErr("want a subcommand: verify, snapshot or migrate")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "verify":
		fs := c.flags("journal verify", "")
		if _, err := c.parse(fs, args); err != nil {
			return err
		}
		if c.cfg.Redis.Enabled() {
			return verifyRedis(ctx, c)
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
			if errors.Is(err, journal.ErrSnapshotBusy) {
				return userErr("another instance of the fleet is writing a snapshot right now; try again in a moment (%v)", err)
			}
			return err
		}
		if c.cfg.JSON {
			return c.printJSON(map[string]any{"snapshot": e.Applied()})
		}
		fmt.Fprintf(c.io.out, "snapshot written at record %d\n", e.Applied())
		return nil
	case "migrate":
		fs := c.flags("journal migrate", "")
		if _, err := c.parse(fs, args); err != nil {
			return err
		}
		return migrateToRedis(ctx, c)
	}
	return userErr("unknown journal subcommand %q (want verify, snapshot or migrate)", sub)
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

// sharedReport is what `journal verify` found in a fleet's log in Redis.
type sharedReport struct {
	Where     string       `json:"where"`
	FirstSeq  journal.Seq  `json:"first_seq"`
	LastSeq   journal.Seq  `json:"last_seq"`
	Records   int64        `json:"records"`
	Bytes     int64        `json:"bytes"`
	Snapshots []sharedSnap `json:"snapshots"`
}

type sharedSnap struct {
	Seq   journal.Seq `json:"seq"`
	Bytes int64       `json:"bytes"`
	Err   string      `json:"error,omitempty"`
}

// verifyRedis is `journal verify` in Redis mode: there are no segment
// files to check, so it reads what an instance bootstrapping would read —
// every snapshot to its end (their checksums), then every record of the
// stream through the record decoder — and reports damage with the stream
// position. It writes nothing.
func verifyRedis(ctx context.Context, c *cli) error {
	dj, err := c.openJournal()
	if err != nil {
		return err
	}
	defer dj.j.Close()
	rep := sharedReport{Where: dj.where, FirstSeq: dj.j.FirstSeq(), LastSeq: dj.j.LastSeq()}
	damage := []string{}
	snaps, err := dj.j.Snapshots()
	if err != nil {
		return fmt.Errorf("list snapshots in %s: %w", dj.where, err)
	}
	for _, seq := range snaps {
		s := sharedSnap{Seq: seq}
		r, err := dj.j.OpenSnapshot(seq)
		if err == nil {
			s.Bytes, err = io.Copy(io.Discard, r)
			r.Close()
		}
		if err != nil {
			s.Err = err.Error()
			damage = append(damage, fmt.Sprintf("snapshot %d: %v", seq, err))
		}
		rep.Snapshots = append(rep.Snapshots, s)
	}
	next := rep.FirstSeq
	err = dj.j.Replay(rep.FirstSeq-1, func(seq journal.Seq, b []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if seq != next {
			damage = append(damage, fmt.Sprintf("records %d..%d are missing from the stream", next, seq-1))
		}
		next = seq + 1
		rep.Records++
		rep.Bytes += int64(len(b))
		if _, err := record.Decode(b); err != nil {
			damage = append(damage, fmt.Sprintf("record %d: %v", seq, err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the log in %s: %w", dj.where, err)
	}
	if next-1 > rep.LastSeq {
		rep.LastSeq = next - 1
	}
	if c.cfg.JSON {
		if err := c.printJSON(map[string]any{"ok": len(damage) == 0, "report": rep, "damage": damage}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.io.out, "journal %s: records %d..%d (%d records, %d bytes in the stream)\n", rep.Where, rep.FirstSeq, rep.LastSeq, rep.Records, rep.Bytes)
		for _, s := range rep.Snapshots {
			status := "ok"
			if s.Err != "" {
				status = "DAMAGED: " + s.Err
			}
			fmt.Fprintf(c.io.out, "  snapshot covers 1..%d  %d bytes  %s\n", s.Seq, s.Bytes, status)
		}
	}
	if len(damage) > 0 {
		return userErr("damage found in %s: %s", dj.where, strings.Join(damage, "; "))
	}
	if !c.cfg.JSON {
		fmt.Fprintln(c.io.out, "journal OK")
	}
	return nil
}
