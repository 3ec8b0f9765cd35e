package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/internal/hugepage"
	"github.com/hushcrm/hush/purchases"
	"github.com/hushcrm/hush/rfm"
)

// rfmFlags are the scoring flags shared by rfm, rfm report, lapsed and
// migration.
type rfmFlags struct {
	asOf, events, out, window, monetary, compat, rules, format string
	bins, k                                                    int
	cuts                                                       multiFlag
	purchase                                                   purchaseFlags
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func (f *rfmFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.asOf, "as-of", "", "analysis date YYYY-MM-DD (default today, UTC); orders after it are excluded and counted")
	fs.StringVar(&f.events, "events", "", "score this purchase file one-shot, without stored state (default: the data dir's purchases)")
	fs.StringVar(&f.out, "out", "", "per-customer CSV: customer_id,recency_days,transaction_count,amount,recency_score,frequency_score,monetary_score,rfm_score,segment")
	fs.IntVar(&f.bins, "bins", 5, "score levels per dimension, 2..10")
	fs.Var(&f.cuts, "cuts", "fixed cut points, e.g. recency=30,90,180,365 (repeat for frequency=, monetary= in currency units; ';' also separates)")
	fs.StringVar(&f.window, "window", "", "analysis window for frequency and monetary, e.g. 365d, 52w, 12m (default: all history)")
	fs.StringVar(&f.monetary, "monetary", "total", "total or mean (average order value)")
	fs.StringVar(&f.compat, "compat", "", "r-rfm: reproduce the R rfm package's scores exactly")
	fs.StringVar(&f.rules, "rules", "", "segment rule table, YAML or JSON (default: the ten-segment table)")
	fs.StringVar(&f.format, "format", "", "table, csv or json (default table; json with --json)")
	fs.IntVar(&f.k, "k", 10, "smallest group shown exactly in reports; smaller ones show as <k (env HUSH_RFM_K)")
	if v, err := strconv.Atoi(os.Getenv("HUSH_RFM_K")); err == nil {
		f.k = v
	}
	f.purchase.register(fs)
}

func (f *rfmFlags) outputFormat(c *cli) (string, error) {
	switch f.format {
	case "":
		if c.cfg.JSON {
			return "json", nil
		}
		return "table", nil
	case "table", "csv", "json":
		return f.format, nil
	}
	return "", userErr("--format %q: want table, csv or json", f.format)
}

func parseDay(s string, now func() time.Time) (rfm.Day, error) {
	if s == "" {
		return rfm.DayOf(now()), nil
	}
	d, err := rfm.ParseDate([]byte(s), rfm.DateAuto)
	if err != nil {
		return 0, err
	}
	return d, nil
}

// parseWindow reads 365d, 52w, 12m (30-day months are not calendar months:
// 12m = 360 days would surprise; m means calendar months back from the
// as-of date), 1y.
func parseWindow(s string, asOf rfm.Day) (rfm.Day, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || s == "all" {
		return rfm.NoWindow, nil
	}
	if len(s) < 2 {
		return 0, userErr("--window %q: want e.g. 365d, 52w, 12m or 1y", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 1 || n > 100000 {
		return 0, userErr("--window %q: want e.g. 365d, 52w, 12m or 1y", s)
	}
	t := asOf.Time()
	switch s[len(s)-1] {
	case 'd':
		return asOf - rfm.Day(n) + 1, nil
	case 'w':
		return asOf - rfm.Day(7*n) + 1, nil
	case 'm':
		return rfm.DayOf(t.AddDate(0, -n, 0)) + 1, nil
	case 'y':
		return rfm.DayOf(t.AddDate(-n, 0, 0)) + 1, nil
	}
	return 0, userErr("--window %q: want e.g. 365d, 52w, 12m or 1y", s)
}

// options turns the flags into scoring options (asOf given).
func (f *rfmFlags) options(asOf rfm.Day, exponent int) (rfm.Options, error) {
	// The CLI writes scores and a report; the bitmaps are built only if
	// something asks for them (a lapsed segment, the stored path).
	opts := rfm.Options{AsOf: asOf, Bins: f.bins, MoneyExponent: exponent, DeferIndexes: true}
	if f.bins < 2 || f.bins > 10 {
		return opts, userErr("--bins %d: want 2..10", f.bins)
	}
	switch f.monetary {
	case "total", "":
	case "mean", "average":
		opts.MonetaryMean = true
	default:
		return opts, userErr("--monetary %q: want total or mean", f.monetary)
	}
	switch f.compat {
	case "":
	case "r-rfm", "r", "rfm":
		opts.CompatR = true
	default:
		return opts, userErr("--compat %q: the only compatibility mode is r-rfm", f.compat)
	}
	var specs []string
	for _, c := range f.cuts {
		specs = append(specs, strings.Split(c, ";")...)
	}
	explicitBins := false
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		name, list, ok := strings.Cut(spec, "=")
		if !ok {
			return opts, userErr("--cuts %q: want dimension=v1,v2,...", spec)
		}
		d, err := rfm.ParseDimension(name)
		if err != nil {
			return opts, &userError{fmt.Errorf("--cuts: %w", err)}
		}
		var cuts []int64
		for _, v := range strings.Split(list, ",") {
			v = strings.TrimSpace(v)
			var x int64
			if d == rfm.Monetary {
				x, err = rfm.ParseAmount([]byte(v), rfm.AmountFormat{Exponent: exponent})
			} else {
				x, err = strconv.ParseInt(v, 10, 64)
			}
			if err != nil {
				return opts, userErr("--cuts %s: %q: %v", name, v, err)
			}
			cuts = append(cuts, x)
		}
		opts.Cuts[d] = cuts
		if !explicitBins && f.bins == 5 && len(cuts)+1 != 5 {
			opts.Bins = len(cuts) + 1
		}
		explicitBins = true
	}
	if f.rules != "" {
		data, err := os.ReadFile(f.rules)
		if err != nil {
			return opts, &userError{err}
		}
		t, err := rfm.ParseRules(data, f.rules)
		if err != nil {
			return opts, &userError{err}
		}
		opts.Rules = t
	}
	return opts, nil
}

func isRFMUserError(err error) bool {
	for _, e := range []error{rfm.ErrRules, rfm.ErrBins, rfm.ErrCuts, rfm.ErrAsOf, rfm.ErrBadDate, rfm.ErrBadAmount, rfm.ErrMoneyRange, purchases.ErrColumns, engine.ErrCurrency} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func runRFM(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "rules":
			return runRFMRules(ctx, c, args[1:])
		case "report":
			return runRFMScore(ctx, c, "rfm report", args[1:])
		case "lapsed":
			return runRFMLapsed(ctx, c, args[1:])
		case "migration":
			return runRFMMigration(ctx, c, args[1:])
		}
	}
	return runRFMScore(ctx, c, "rfm", args)
}

func runRFMRules(_ context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return userErr("usage: hush rfm rules check FILE [--bins N]")
	}
	fs := c.flags("rfm rules check", "FILE [--bins N]")
	bins := fs.Int("bins", 5, "score levels per dimension, 2..10")
	pos, err := c.parse(fs, args[1:])
	if err != nil {
		return err
	}
	var t *rfm.RuleTable
	switch len(pos) {
	case 0:
		t = rfm.DefaultRules()
	case 1:
		data, err := os.ReadFile(pos[0])
		if err != nil {
			return &userError{err}
		}
		if t, err = rfm.ParseRules(data, pos[0]); err != nil {
			return &userError{err}
		}
	default:
		return userErr("want one rule file")
	}
	rc, err := t.Check(*bins)
	if err != nil {
		return &userError{err}
	}
	if c.cfg.JSON {
		return printJSONPlain(c, rc)
	}
	w := c.io.out
	fmt.Fprintf(w, "rule table %s, %d score levels: %d cells\n\n", rc.Table, rc.Bins, rc.Cells)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "segment\tr\tf\tm\tcells won\t\n")
	for _, ru := range t.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t\n", ru.Name, ru.R, ru.F, ru.M, rc.CellsWon[ru.Name])
	}
	fmt.Fprintf(tw, "%s\t\t\t\t%d\t\n", rfm.OthersName, len(rc.Others))
	tw.Flush()
	fmt.Fprintf(w, "\nunreachable rules (earlier rules take every cell): %d\n", len(rc.Unreachable))
	for _, u := range rc.Unreachable {
		fmt.Fprintf(w, "  %s\n", u)
	}
	fmt.Fprintf(w, "\noverlaps (cells matched by more than one rule; the first wins): %d\n", len(rc.Overlaps))
	for _, o := range rc.Overlaps {
		fmt.Fprintf(w, "  %s: %s → %s\n", o.Cell, strings.Join(o.Rules, ", "), o.Winner)
	}
	fmt.Fprintf(w, "\ncells that fall to %s: %d\n", rfm.OthersName, len(rc.Others))
	if len(rc.Others) > 0 {
		var cells []string
		for _, cl := range rc.Others {
			cells = append(cells, cl.String())
		}
		fmt.Fprintf(w, "  %s\n", strings.Join(cells, " "))
	}
	return nil
}

// scoreRun is one scoring: its result plus what the input held.
type scoreRun struct {
	res      *rfm.Result
	read     purchases.Stats
	dups     int64
	excluded int64
	rejected string
}

// oneShot reads --events into a book feeding one ledger per config.
func (f *rfmFlags) oneShot(ctx context.Context, c *cli, cfgs ...rfm.LedgerConfig) (*rfm.Book, *purchases.Source, purchases.Stats, error) {
	src, err := f.purchase.source(f.events)
	if err != nil {
		return nil, nil, purchases.Stats{}, err
	}
	if f.purchase.rejected == "" {
		f.purchase.rejected = defaultRejected(f.events)
	}
	rej := &lazyOut{path: f.purchase.rejected}
	// A tally, not a book: one table access per order for numeric
	// customer ids; it hands over to a Book by itself for other ids.
	tally := rfm.NewTally(0, cfgs...)
	tally.UseTables(rfm.Tables{Aggregates: hugepage.Make[rfm.Aggregate], IDs: hugepage.Make[uint32], Rooms: hugepage.Make[uint64]})
	in, _ := os.Open(f.events)
	var size int64 = -1
	if in != nil {
		size = fileSize(in)
		in.Close()
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	bar := c.newProgress("read "+f.events, size)
	st, err := purchases.Read(ctx, src, rej, false, bar.set, func(ch *purchases.Chunk) error {
		tally.AddBatch(ch.Events)
		return nil
	})
	book := tally.Book()
	// The tally's tables (~240 MB at 10M customers) are garbage now:
	// collected here, their memory takes the scores' arrays, which would
	// otherwise be fresh pages the kernel zeroes on first touch.
	runtime.GC()
	bar.finish()
	if err != nil {
		rej.discard()
		return nil, nil, st, err
	}
	if err := rej.commit(); err != nil {
		return nil, nil, st, err
	}
	for _, l := range book.Ledgers() {
		l.Compact()
	}
	return book, src, st, nil
}

func runRFMScore(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name, "--as-of DATE [--events FILE] [--out FILE] [--bins N] [--cuts ...] [--window 365d] [--monetary mean] [--compat r-rfm] [--rules FILE] [--format table|csv|json]")
	var f rfmFlags
	f.register(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return userErr("unexpected argument %q (the purchase file goes in --events)", pos[0])
	}
	format, err := f.outputFormat(c)
	if err != nil {
		return err
	}
	asOf, err := parseDay(f.asOf, c.cfg.Now)
	if err != nil {
		return &userError{fmt.Errorf("--as-of: %w", err)}
	}
	ws, err := parseWindow(f.window, asOf)
	if err != nil {
		return err
	}
	t0 := time.Now()
	var run scoreRun
	if f.events != "" {
		book, src, st, err := f.oneShot(ctx, c, rfm.LedgerConfig{Cutoff: asOf, WindowStart: ws})
		if err != nil {
			return err
		}
		opts, err := f.options(asOf, src.Exponent)
		if err != nil {
			return err
		}
		l := book.Ledgers()[0]
		res, err := rfm.Score(book.Customers, l, opts)
		if err != nil {
			return &userError{err}
		}
		run = scoreRun{res: res, read: st, dups: book.Duplicates(), excluded: l.Excluded(), rejected: f.purchase.rejected}
	} else {
		var err error
		run, err = storedScore(ctx, c, &f, asOf, ws)
		if err != nil {
			return err
		}
	}
	// The report is made while the scores are written: both only read
	// the result.
	repc := make(chan *rfm.Report, 1)
	go func() { repc <- rfm.NewReport(run.res, f.k) }()
	if f.out != "" {
		if err := writeScores(f.out, run.res); err != nil {
			<-repc
			return err
		}
	}
	rep := <-repc
	secs := time.Since(t0).Seconds()
	for _, w := range run.res.Warnings {
		c.logf("warning: %s", w)
	}
	if f.events != "" {
		c.logf("%d rows (%s), %d duplicate orders, %d after the as-of date excluded; %d customers scored in %.2fs (%.0f rows/s)",
			run.read.Rows, rejectedNote(run.read.Rejected, run.rejected), run.dups, run.excluded, run.res.Len(), secs, float64(run.read.Rows)/max(secs, 1e-9))
	}
	return printRFMReport(c, format, rep, run)
}

// writeScores writes the per-customer CSV in the R rfm file's columns,
// in ascending customer id (rfm.Result.CustomerOrder). Blocks of
// customers are formatted on every core and written in order.
func writeScores(path string, res *rfm.Result) error {
	o, err := createOut(path)
	if err != nil {
		return err
	}
	if _, err := o.Write([]byte(rfm.CSVHeader)); err != nil {
		o.discard()
		return err
	}
	field := func(dst, f []byte) []byte { return csvio.AppendField(dst, f, ',') }
	const block = 1 << 16
	// nil: the dense ids are that order already (the one-shot tally's
	// numeric customers); blocks are id ranges. Otherwise blocks of the
	// sorted list.
	order := res.CustomerOrder()
	blocks := (res.IDSpace() + block - 1) / block
	if order != nil {
		blocks = (len(order) + block - 1) / block
	}
	par := max(1, runtime.GOMAXPROCS(0))
	out := make([]chan []byte, blocks)
	for i := range out {
		out[i] = make(chan []byte, 1)
	}
	next := make(chan int, blocks)
	for i := range blocks {
		next <- i
	}
	close(next)
	// At most 2·par formatted blocks wait for the writer; their buffers
	// go round (a row is at most ~90 bytes with a numeric id).
	slots := make(chan struct{}, 2*par)
	bufs := make(chan []byte, 2*par+1)
	for range 2*par + 1 {
		bufs <- make([]byte, 0, block*72)
	}
	stop := make(chan struct{})
	for range par {
		go func() {
			for bi := range next {
				select {
				case slots <- struct{}{}:
				case <-stop:
					return
				}
				var buf []byte
				select {
				case buf = <-bufs:
				case <-stop:
					return
				}
				if order != nil {
					out[bi] <- res.AppendCSVRowsOf(buf[:0], order[bi*block:min((bi+1)*block, len(order))], field)
				} else {
					out[bi] <- res.AppendCSVRows(buf[:0], bi*block, (bi+1)*block, field)
				}
			}
		}()
	}
	var werr error
	for _, ch := range out {
		buf := <-ch
		<-slots
		if _, werr = o.Write(buf); werr != nil {
			close(stop)
			break
		}
		bufs <- buf
	}
	if werr != nil {
		o.discard()
		return werr
	}
	return o.commit()
}

func ptrStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptrF(p *float64, pct bool) string {
	if p == nil {
		return ""
	}
	if pct {
		return fmt.Sprintf("%.1f%%", *p*100)
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func statStr(s *rfm.Stat) (string, string) {
	if s == nil {
		return "", ""
	}
	return strconv.FormatFloat(s.Mean, 'f', -1, 64), strconv.FormatFloat(s.Median, 'f', -1, 64)
}

func printRFMReport(c *cli, format string, rep *rfm.Report, run scoreRun) error {
	switch format {
	case "json":
		out := struct {
			*rfm.Report
			Input *struct {
				Rows       int64 `json:"rows"`
				Rejected   int64 `json:"rejected"`
				Duplicates int64 `json:"duplicate_orders"`
				Excluded   int64 `json:"excluded_after_as_of"`
			} `json:"input,omitempty"`
		}{Report: rep}
		if run.read.Rows > 0 || run.rejected != "" {
			out.Input = &struct {
				Rows       int64 `json:"rows"`
				Rejected   int64 `json:"rejected"`
				Duplicates int64 `json:"duplicate_orders"`
				Excluded   int64 `json:"excluded_after_as_of"`
			}{run.read.Rows, run.read.Rejected, run.dups, run.excluded}
		}
		return printJSONPlain(c, out)
	case "csv":
		return reportCSV(c.io.out, rep)
	}
	return reportTable(c.io.out, rep)
}

func segmentCells(s rfm.SegmentRow) []string {
	rm, rmed := statStr(s.Recency)
	fm, fmed := statStr(s.Frequency)
	mm, mmed := statStr(s.Monetary)
	orders := ""
	if s.Orders != nil {
		orders = strconv.FormatInt(*s.Orders, 10)
	}
	lapsed := ""
	if s.Lapsed != nil {
		lapsed = s.Lapsed.String()
	}
	return []string{s.Name, s.Key, s.Customers.String(), ptrF(s.Share, false), orders, ptrStr(s.Revenue), ptrF(s.RevenueShare, false),
		ptrStr(s.AvgOrder), rm, rmed, fm, fmed, mm, mmed, lapsed}
}

var segmentHeader = []string{"segment", "key", "customers", "share", "orders", "revenue", "revenue_share", "average_order_value",
	"recency_mean", "recency_median", "frequency_mean", "frequency_median", "monetary_mean", "monetary_median", "lapsed"}

func reportCSV(w io.Writer, rep *rfm.Report) error {
	cw := csvio.NewWriter(w)
	rec := func(ss []string) error {
		b := make([][]byte, len(ss))
		for i, s := range ss {
			b[i] = []byte(s)
		}
		return cw.WriteRecord(b...)
	}
	if err := rec(segmentHeader); err != nil {
		return err
	}
	for _, s := range rep.Segments {
		if err := rec(segmentCells(s)); err != nil {
			return err
		}
	}
	cw.Flush()
	fmt.Fprintln(w)
	rec([]string{"dimension", "method", "score", "min", "max", "customers"})
	for _, d := range rep.Dimensions {
		for _, l := range d.Levels {
			rec([]string{d.Dimension, d.Method, strconv.Itoa(l.Score), ptrStr(l.Min), ptrStr(l.Max), l.Customers.String()})
		}
	}
	cw.Flush()
	fmt.Fprintln(w)
	rec([]string{"r", "f", "customers", "mean_monetary"})
	for _, g := range rep.Grid {
		rec([]string{strconv.Itoa(g.R), strconv.Itoa(g.F), g.Customers.String(), ptrStr(g.MeanMonetary)})
	}
	return cw.Flush()
}

func reportTable(w io.Writer, rep *rfm.Report) error {
	orders := ""
	if rep.Orders != nil {
		orders = strconv.FormatInt(*rep.Orders, 10)
	}
	fmt.Fprintf(w, "RFM as of %s: %s customers, %s orders, revenue %s (monetary = %s; groups under %d shown as <%d)\n\n",
		rep.AsOf, rep.Customers, orders, ptrStr(rep.Revenue), rep.Monetary, rep.K, rep.K)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "segment\tcustomers\tshare\torders\trevenue\trev share\tavg order\trecency mean/median\tfrequency mean/median\tmonetary mean/median\tlapsed\t\n")
	for _, s := range rep.Segments {
		cells := segmentCells(s)
		share, rshare := ptrF(s.Share, true), ptrF(s.RevenueShare, true)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", cells[0], cells[2], share, cells[4], cells[5], rshare, cells[7],
			slash(cells[8], cells[9]), slash(cells[10], cells[11]), slash(cells[12], cells[13]), cells[14])
	}
	tw.Flush()
	fmt.Fprintf(w, "\nscore levels (values inclusive; recency in days, monetary in currency units)\n")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, d := range rep.Dimensions {
		fmt.Fprintf(tw, "%s (%s; cuts %s)\t", d.Dimension, d.Method, strings.Join(d.Cuts, ", "))
		for _, l := range d.Levels {
			lo, hi := ptrStr(l.Min), ptrStr(l.Max)
			if l.Min != nil && l.Max != nil && l.Customers.N == 0 && !l.Customers.Suppressed {
				fmt.Fprintf(tw, "%d: empty\t", l.Score)
				continue
			}
			if lo == "" {
				lo = "…"
			}
			if hi == "" {
				hi = "…"
			}
			fmt.Fprintf(tw, "%d: %s..%s (%s)\t", l.Score, lo, hi, l.Customers)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nR×F grid: customers (mean monetary)\n")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t")
	for f := 1; f <= rep.Bins; f++ {
		fmt.Fprintf(tw, "F=%d\t", f)
	}
	fmt.Fprintln(tw)
	for r := rep.Bins; r >= 1; r-- {
		fmt.Fprintf(tw, "R=%d\t", r)
		for f := 1; f <= rep.Bins; f++ {
			g := rep.Grid[(r-1)*rep.Bins+f-1]
			cell := g.Customers.String()
			if g.MeanMonetary != nil {
				cell += " (" + *g.MeanMonetary + ")"
			}
			fmt.Fprintf(tw, "%s\t", cell)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	for _, wn := range rep.Warnings {
		fmt.Fprintf(w, "\nwarning: %s", wn)
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	return nil
}

func slash(a, b string) string {
	if a == "" {
		return ""
	}
	return a + " / " + b
}

func rejectedNote(n int64, path string) string {
	if n == 0 {
		return "0 rejected"
	}
	return fmt.Sprintf("%d rejected → %s", n, path)
}

// printJSONPlain is printJSON without HTML escaping, so suppressed counts
// read "<10", not "\u003c10".
func printJSONPlain(c *cli, v any) error {
	enc := json.NewEncoder(c.io.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
