package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/rfm"
)

// runRFMLapsed: who should have bought in the period ending at --as-of,
// and did not.
func runRFMLapsed(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("rfm lapsed", "--as-of DATE (--period 30d|13w|3m | --from DATE) [--events FILE] [--list FILE] [scoring flags]")
	var f rfmFlags
	f.register(fs)
	period := fs.String("period", "", "the period ending at --as-of: e.g. 30d, 13w, 1m, 3m (a quarter)")
	from := fs.String("from", "", "first day of the period (instead of --period)")
	list := fs.String("list", "", "write the did-not-buy list (customer_id,segment,orders,last_order,expected_next) to this CSV")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return userErr("unexpected argument %q", pos[0])
	}
	format, err := f.outputFormat(c)
	if err != nil {
		return err
	}
	end, err := parseDay(f.asOf, c.cfg.Now)
	if err != nil {
		return &userError{fmt.Errorf("--as-of: %w", err)}
	}
	var start rfm.Day
	switch {
	case *from != "" && *period == "":
		if start, err = parseDay(*from, c.cfg.Now); err != nil {
			return &userError{fmt.Errorf("--from: %w", err)}
		}
	case *period != "" && *from == "":
		if start, err = parseWindow(*period, end); err != nil {
			return userErr("--period %q: want e.g. 30d, 13w, 3m", *period)
		}
	default:
		return userErr("give one of --period or --from")
	}
	if start > end {
		return userErr("the period %s..%s is empty", start, end)
	}
	ws, err := parseWindow(f.window, end)
	if err != nil {
		return err
	}
	var before, after *rfm.Ledger
	var cust *rfm.Customers
	exponent := 2
	if f.events != "" {
		book, src, _, err := f.oneShot(ctx, c, rfm.LedgerConfig{Cutoff: end, WindowStart: ws}, rfm.LedgerConfig{Cutoff: start - 1, WindowStart: rfm.NoWindow})
		if err != nil {
			return err
		}
		after, before, cust, exponent = book.Ledgers()[0], book.Ledgers()[1], book.Customers, src.Exponent
	} else {
		var closeFn func() error
		book, closeFn, err := storedBooks(ctx, c, rfm.LedgerConfig{Cutoff: end, WindowStart: ws}, rfm.LedgerConfig{Cutoff: start - 1, WindowStart: rfm.NoWindow})
		if err != nil {
			return err
		}
		defer closeFn()
		after, before, cust, exponent = book.Ledgers()[0], book.Ledgers()[1], book.Customers, book.exponent
	}
	opts, err := f.options(end, exponent)
	if err != nil {
		return err
	}
	res, err := rfm.Score(cust, after, opts)
	if err != nil {
		return &userError{err}
	}
	lp, err := rfm.FindLapsed(before, after, start, end)
	if err != nil {
		return &userError{err}
	}
	res = res.WithSegment(rfm.LapsedSlug, lp.NotBought)
	if *list != "" {
		if err := writeLapsedList(*list, res, before, lp); err != nil {
			return err
		}
	}
	k := f.k
	counts := rfm.NewReport(res, k)
	expected := suppressOne(int(lp.Expected.GetCardinality()), k)
	bought := suppressOne(int(lp.Bought.GetCardinality()), k)
	not := suppressOne(int(lp.NotBought.GetCardinality()), k)
	if format == "json" {
		return printJSONPlain(c, map[string]any{
			"period":   map[string]string{"from": start.String(), "to": end.String()},
			"expected": expected, "bought": bought, "did_not_buy": not, "key": "rfm:" + rfm.LapsedSlug,
			"report": counts,
		})
	}
	w := c.io.out
	fmt.Fprintf(w, "who should have bought between %s and %s (customers with 2+ orders whose last order + mean gap fell by %s)\n\n", start, end, end)
	fmt.Fprintf(w, "expected to buy: %s\nbought:          %s\ndid not buy:     %s  (segment rfm:%s)\n\n", expected, bought, not, rfm.LapsedSlug)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "segment\tcustomers\tdid not buy\t\n")
	for _, s := range counts.Segments {
		l := ""
		if s.Lapsed != nil {
			l = s.Lapsed.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", s.Name, s.Customers, l)
	}
	tw.Flush()
	if format == "csv" {
		return reportCSV(w, counts)
	}
	return nil
}

func suppressOne(n, k int) rfm.Count {
	if k < 2 {
		k = 10
	}
	return rfm.Count{N: n, K: k, Suppressed: n > 0 && n < k}
}

func writeLapsedList(path string, res *rfm.Result, before *rfm.Ledger, lp *rfm.Lapsed) error {
	o, err := createOut(path)
	if err != nil {
		return err
	}
	w := csvio.NewWriter(o)
	rec := func(ss ...string) error {
		b := make([][]byte, len(ss))
		for i, s := range ss {
			b[i] = []byte(s)
		}
		return w.WriteRecord(b...)
	}
	err = rec("customer_id", "segment", "orders", "last_order", "expected_next")
	it := lp.NotBought.Iterator()
	for err == nil && it.HasNext() {
		id := it.Next()
		a := before.Aggregate(id)
		gap := float64(a.Last-a.First) / float64(a.AllOrders-1)
		seg := ""
		if cs, ok := res.Customer(id); ok {
			seg = cs.Segment.Name
		}
		next := a.Last + rfm.Day(gap+0.5)
		err = rec(res.Customers().Name(id), seg, strconv.Itoa(int(a.AllOrders)), a.Last.String(), next.String())
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		o.discard()
		return err
	}
	return o.commit()
}

// runRFMMigration: segment-to-segment counts between two as-of dates.
func runRFMMigration(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("rfm migration", "--from DATE --as-of DATE [--events FILE] [scoring flags]")
	var f rfmFlags
	f.register(fs)
	from := fs.String("from", "", "the earlier as-of date (required)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return userErr("unexpected argument %q", pos[0])
	}
	format, err := f.outputFormat(c)
	if err != nil {
		return err
	}
	if *from == "" {
		return userErr("--from DATE is required")
	}
	d0, err := parseDay(*from, c.cfg.Now)
	if err != nil {
		return &userError{fmt.Errorf("--from: %w", err)}
	}
	d1, err := parseDay(f.asOf, c.cfg.Now)
	if err != nil {
		return &userError{fmt.Errorf("--as-of: %w", err)}
	}
	if d0 >= d1 {
		return userErr("--from %s must be before --as-of %s", d0, d1)
	}
	w0, err := parseWindow(f.window, d0)
	if err != nil {
		return err
	}
	w1, _ := parseWindow(f.window, d1)
	var l0, l1 *rfm.Ledger
	var cust *rfm.Customers
	exponent := 2
	cfg0, cfg1 := rfm.LedgerConfig{Cutoff: d0, WindowStart: w0}, rfm.LedgerConfig{Cutoff: d1, WindowStart: w1}
	if f.events != "" {
		book, src, _, err := f.oneShot(ctx, c, cfg0, cfg1)
		if err != nil {
			return err
		}
		l0, l1, cust, exponent = book.Ledgers()[0], book.Ledgers()[1], book.Customers, src.Exponent
	} else {
		book, closeFn, err := storedBooks(ctx, c, cfg0, cfg1)
		if err != nil {
			return err
		}
		defer closeFn()
		l0, l1, cust, exponent = book.Ledgers()[0], book.Ledgers()[1], book.Customers, book.exponent
	}
	opts0, err := f.options(d0, exponent)
	if err != nil {
		return err
	}
	opts1, _ := f.options(d1, exponent)
	r0, err := rfm.Score(cust, l0, opts0)
	if err != nil {
		return &userError{err}
	}
	r1, err := rfm.Score(cust, l1, opts1)
	if err != nil {
		return &userError{err}
	}
	mg, err := rfm.Migrate(r0, r1)
	if err != nil {
		return err
	}
	rep := mg.Report(f.k)
	switch format {
	case "json":
		return printJSONPlain(c, rep)
	case "csv":
		w := csvio.NewWriter(c.io.out)
		hdr := [][]byte{[]byte("from \\ to")}
		for _, col := range rep.Cols {
			hdr = append(hdr, []byte(col))
		}
		w.WriteRecord(hdr...)
		for i, row := range rep.Cells {
			rec := [][]byte{[]byte(rep.Rows[i])}
			for _, cell := range row {
				rec = append(rec, []byte(cell.String()))
			}
			w.WriteRecord(rec...)
		}
		return w.Flush()
	}
	fmt.Fprintf(c.io.out, "segment migration %s → %s (rows: segment on %s; columns: on %s; cells under %d shown as <%d)\n\n", rep.From, rep.To, rep.From, rep.To, rep.K, rep.K)
	tw := tabwriter.NewWriter(c.io.out, 2, 4, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\t\n", strings.Join(rep.Cols, "\t"))
	for i, row := range rep.Cells {
		cells := make([]string, len(row))
		for j, cell := range row {
			cells[j] = cell.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", rep.Rows[i], strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
