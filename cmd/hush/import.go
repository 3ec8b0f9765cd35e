package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime/debug"
	"strings"

	"github.com/hushcrm/hush/importer"
	"github.com/hushcrm/hush/suppression"
)

func runImport(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("import", "--list NAME [--format csv|registry] [--column COL] [--mode replace|add|remove] [--rejected FILE] FILE")
	list := fs.String("list", "", "list to load into (required)")
	format := fs.String("format", "", "csv or registry (default: registry for .txt/.txt.gz files of phone lists, else csv)")
	column := fs.String("column", "", "CSV key column, by header name or 1-based number (default: the column named after the list's kind, else the first)")
	expires := fs.String("expires-column", "", "CSV column with a per-entry expiry (RFC 3339 or YYYY-MM-DD)")
	mode := fs.String("mode", "replace", "replace (full file: the list becomes exactly the file), add or remove (deltas)")
	rejectedPath := fs.String("rejected", "", "where rejected lines go, with line number and reason (default FILE.rejected.csv)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if *list == "" || len(pos) != 1 {
		return userErr("want --list NAME and exactly one FILE")
	}
	path := pos[0]
	m, err := suppression.ParseImportMode(*mode)
	if err != nil {
		return &userError{fmt.Errorf("--mode: %w", err)}
	}
	f := importer.CSV
	if *format == "" {
		base := strings.TrimSuffix(path, ".gz")
		if strings.HasSuffix(base, ".txt") {
			f = importer.Registry
		}
	} else if f, err = importer.ParseFormat(*format); err != nil {
		return &userError{fmt.Errorf("--format: %w", err)}
	}
	if *rejectedPath == "" {
		*rejectedPath = strings.TrimSuffix(path, ".gz") + ".rejected.csv"
	}
	if r, ok, err := c.remote(); ok {
		if err != nil {
			return err
		}
		q := url.Values{"mode": {*mode}, "column": {*column}, "expires_column": {*expires}, "format": {map[importer.Format]string{importer.CSV: "csv", importer.Registry: "registry"}[f]}}
		return remoteImport(ctx, c, r, *list, path, q, *rejectedPath)
	}
	n, err := c.normalizer()
	if err != nil {
		return err
	}
	in, err := os.Open(path)
	if err != nil {
		return &userError{err}
	}
	defer in.Close()
	if *rejectedPath == "" {
		*rejectedPath = strings.TrimSuffix(path, ".gz") + ".rejected.csv"
	}
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	rej, err := createOut(*rejectedPath)
	if err != nil {
		return err
	}
	// An import holds big pointer-free key arrays: collecting garbage at
	// every doubling of the heap only costs time, not memory worth having.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	bar := c.newProgress("import "+*list, fileSize(in))
	res, err := importer.Run(ctx, e, *list, in, rej.writer(), importer.Options{
		Format: f, Column: *column, ExpiresColumn: *expires, Mode: m, Normalizer: n, Source: path,
		Progress: func(b int64) { bar.set(b) },
	})
	bar.finish()
	if err != nil {
		rej.discard()
		return err
	}
	if err := rej.commit(); err != nil {
		return err
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"import": res, "rejected_file": *rejectedPath})
	}
	rate := float64(res.Rows) / max(res.Seconds, 1e-9)
	fmt.Fprintf(c.io.out, "imported %s into %q (%s): %d rows read, %d accepted, %d rejected, %d distinct keys\n",
		path, *list, m, res.Rows, res.Accepted, res.Rejected, res.Unique)
	fmt.Fprintf(c.io.out, "list now holds %d entries (+%d added, -%d removed, %d kept: customer-made entries are never undone by a file) at version %d\n",
		res.Applied.Total, res.Applied.Added, res.Applied.Removed, res.Applied.KeptSticky, res.Version)
	fmt.Fprintf(c.io.out, "%.2f s, %.0f rows/s; source sha256 %s\n", res.Seconds, rate, res.SHA256)
	if res.Rejected > 0 {
		fmt.Fprintf(c.io.out, "rejected lines with reasons: %s\n", *rejectedPath)
	}
	return nil
}
