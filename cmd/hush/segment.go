package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/segments"
)

// runSegment: hush segment define|count|export|ls|rm.
func runSegment(ctx context.Context, c *cli, args []string) error {
	const usageText = "usage: hush segment define NAME EXPR | define NAME --file IDS.csv [--column COL] | count EXPR | export NAME [--out FILE] | ls | rm NAME"
	if len(args) == 0 {
		return userErr(usageText)
	}
	switch args[0] {
	case "define":
		return segmentDefine(ctx, c, args[1:])
	case "count":
		return segmentCount(ctx, c, args[1:])
	case "export":
		return segmentExport(ctx, c, args[1:])
	case "ls":
		return segmentList(ctx, c, args[1:])
	case "rm":
		return segmentRemove(ctx, c, args[1:])
	}
	return userErr("unknown segment command %q; %s", args[0], usageText)
}

func segmentDefine(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("segment define", "NAME EXPR | NAME --file IDS.csv [--column COL]")
	file := fs.String("file", "", "an uploaded list: a CSV of customer ids (header row) defines a fixed segment")
	column := fs.String("column", "", "the id column of --file (default: id, customer_id or customer, else the first)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return userErr("want a segment NAME")
	}
	name := pos[0]
	expr := strings.Join(pos[1:], " ")
	if (*file == "") == (expr == "") {
		return userErr("give either an expression or --file, not both or neither")
	}
	e, closeFn, err := c.openAudienceEngine(ctx, time.Now())
	if err != nil {
		return err
	}
	defer closeFn()
	var members *roaring64.Bitmap
	var unknown int
	if *file != "" {
		members, unknown, err = readIDList(e, *file, *column)
		if err != nil {
			return err
		}
		if unknown > 0 {
			return userErr("%s: %d customer ids are not in the directory or the purchase history (ingest them first); the segment was not defined", *file, unknown)
		}
	}
	seq, err := e.DefineSegment(ctx, name, expr, members, *file)
	if err != nil {
		return segErr(err)
	}
	sg := e.Campaigns().Segments[name]
	n, err := segmentSize(e, name)
	if err != nil {
		return segErr(err)
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"name": name, "expr": sg.Expr, "source": sg.Source, "customers": n, "version": seq})
	}
	desc := sg.Expr
	if desc == "" {
		desc = "uploaded from " + sg.Source
	}
	fmt.Fprintf(c.io.out, "segment %s defined (%s): %d customers now\n", name, desc, n)
	return nil
}

// segErr makes expression errors user errors.
func segErr(err error) error {
	var se *segments.SyntaxError
	var ne *segments.NameError
	var te *segments.TypeError
	if errors.As(err, &se) || errors.As(err, &ne) || errors.As(err, &te) || errors.Is(err, segments.ErrEmpty) ||
		errors.Is(err, engine.ErrUnknownSegment) || errors.Is(err, engine.ErrSegmentCycle) || errors.Is(err, engine.ErrUnknownCampaign) ||
		errors.Is(err, campaigns.ErrInvalidSpec) || errors.Is(err, campaigns.ErrBadSchedule) || errors.Is(err, campaigns.ErrRegistryStale) ||
		errors.Is(err, engine.ErrAlreadySent) {
		return &userError{err}
	}
	return err
}

func segmentSize(e *engine.Engine, name string) (uint64, error) {
	n, err := segments.Parse("segment:" + name)
	if err != nil {
		return 0, err
	}
	return segments.Count(n, e.SegmentResolver())
}

func readIDList(e *engine.Engine, path, column string) (*roaring64.Bitmap, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, &userError{err}
	}
	defer f.Close()
	r, err := csvio.NewReader(f, path, csvio.Options{Header: true, FieldsPerRecord: -1})
	if err != nil {
		return nil, 0, err
	}
	col := 0
	for i, h := range r.Header() {
		hh := strings.ToLower(strings.TrimSpace(h))
		if (column != "" && strings.TrimSpace(h) == column) || (column == "" && (hh == "id" || hh == "customer_id" || hh == "customer")) {
			col = i
			break
		}
	}
	ids := e.CustomerIDs()
	var out []uint64
	unknown := 0
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if row == nil {
			return nil, 0, err
		}
		if row.Err != nil || col >= len(row.Fields) {
			return nil, 0, userErr("%s:%d: cannot read the customer id", path, row.Line)
		}
		id, ok := ids(strings.TrimSpace(string(row.Fields[col])))
		if !ok {
			unknown++
			continue
		}
		out = append(out, uint64(id))
	}
	bm := roaring64.NewBitmap()
	bm.AddMany(out)
	return bm, unknown, nil
}

func segmentCount(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("segment count", "EXPR")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	expr := strings.Join(pos, " ")
	e, closeFn, err := c.openAudienceEngine(ctx, time.Now())
	if err != nil {
		return err
	}
	defer closeFn()
	res := e.SegmentResolver()
	n, err := segments.Compile(expr, res)
	if err != nil {
		return segErr(err)
	}
	t0 := time.Now()
	count, err := segments.Count(n, res)
	if err != nil {
		return segErr(err)
	}
	took := time.Since(t0)
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"expr": n.String(), "customers": count, "universe": res.Universe().GetCardinality(), "microseconds": took.Microseconds()})
	}
	fmt.Fprintf(c.io.out, "%d customers (%s)\n", count, n)
	return nil
}

func segmentExport(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("segment export", "NAME [--out FILE]")
	outPath := fs.String("out", "", "write the customer ids here (default stdout)")
	seg, err := c.parseName(fs, args, "segment")
	if err != nil {
		return err
	}
	e, closeFn, err := c.openAudienceEngine(ctx, time.Now())
	if err != nil {
		return err
	}
	defer closeFn()
	if _, ok := e.Campaigns().Segments[seg]; !ok {
		return &userError{fmt.Errorf("%w %q", engine.ErrUnknownSegment, seg)}
	}
	n, _ := segments.Parse("segment:" + seg)
	bm, err := segments.Eval(n, e.SegmentResolver())
	if err != nil {
		return segErr(err)
	}
	var w io.Writer = c.io.out
	var of *outFile
	if *outPath != "" {
		if of, err = createOut(*outPath); err != nil {
			return err
		}
		w = of
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintln(bw, "customer_id")
	name := e.CustomerName
	for it := bm.Iterator(); it.HasNext(); {
		fmt.Fprintln(bw, csvField(name(uint32(it.Next()))))
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if of != nil {
		if err := of.commit(); err != nil {
			return err
		}
		c.logf("%d customers of segment %s written to %s", bm.GetCardinality(), seg, *outPath)
	}
	return nil
}

func segmentList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("segment ls", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	e, closeFn, err := c.openAudienceEngine(ctx, time.Now())
	if err != nil {
		return err
	}
	defer closeFn()
	st := e.Campaigns()
	var names []string
	for n := range st.Segments {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []map[string]any
	for _, n := range names {
		sg := st.Segments[n]
		size, err := segmentSize(e, n)
		row := map[string]any{"name": n, "expr": sg.Expr, "source": sg.Source, "customers": size, "defined_by": sg.DefinedBy, "defined_at": time.Unix(sg.DefinedAt, 0).UTC().Format(time.RFC3339)}
		if err != nil {
			row["error"] = err.Error()
		}
		out = append(out, row)
	}
	if c.cfg.JSON {
		return c.printJSON(out)
	}
	for _, r := range out {
		def := r["expr"].(string)
		if def == "" {
			def = "uploaded: " + r["source"].(string)
		}
		fmt.Fprintf(c.io.out, "%-24s %10d  %s\n", r["name"], r["customers"], def)
	}
	return nil
}

func segmentRemove(ctx context.Context, c *cli, args []string) error {
	return removeNamed(ctx, c, args, "segment", "", (*engine.Engine).DeleteSegment)
}

// removeNamed is the body of `campaign rm` and `segment rm`: delete the
// named definition with remove, and say so (with note).
func removeNamed(ctx context.Context, c *cli, args []string, what, note string, remove func(*engine.Engine, context.Context, string) (journal.Seq, error)) error {
	name, err := c.parseName(c.flags(what+" rm", "NAME"), args, what)
	if err != nil {
		return err
	}
	e, closeFn, err := c.openAudienceEngine(ctx, time.Now())
	if err != nil {
		return err
	}
	defer closeFn()
	if _, err := remove(e, ctx, name); err != nil {
		return segErr(err)
	}
	fmt.Fprintf(c.io.out, "%s %s removed%s\n", what, name, note)
	return nil
}

// parseName parses the arguments of a command that takes exactly one
// NAME (of a what: campaign, segment).
func (c *cli) parseName(fs *flag.FlagSet, args []string, what string) (string, error) {
	pos, err := c.parse(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", userErr("want exactly one %s NAME", what)
	}
	return pos[0], nil
}

// csvField quotes a value for CSV output when it needs it.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// openAudienceEngine opens the engine and scores the stored purchases as
// of at (once per process), so rfm:… names and RFM attributes resolve.
func (c *cli) openAudienceEngine(ctx context.Context, at time.Time) (*engine.Engine, func() error, error) {
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := e.EnsureRFM(ctx, at); err != nil {
		closeFn()
		return nil, nil, fmt.Errorf("scoring the stored purchases: %w", err)
	}
	return e, closeFn, nil
}
