package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/purchases"
	"github.com/hushcrm/hush/rfm"
)

func runIngest(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 && args[0] == "customers" {
		return runIngestCustomers(ctx, c, args[1:])
	}
	if len(args) == 0 || args[0] != "purchases" {
		return userErr("usage: hush ingest purchases FILE [--map ...] or hush ingest customers FILE [--map ...]")
	}
	fs := c.flags("ingest purchases", "FILE [--map customer=COL,date=COL,amount=COL,order=COL] [--delimiter whitespace] [--rejected FILE]")
	var pf purchaseFlags
	pf.register(fs)
	pos, err := c.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return userErr("want exactly one purchase FILE")
	}
	path := pos[0]
	src, err := pf.source(path)
	if err != nil {
		return err
	}
	if pf.rejected == "" {
		pf.rejected = defaultRejected(path)
	}
	in, err := os.Open(path)
	if err != nil {
		return &userError{err}
	}
	size := fileSize(in)
	in.Close()
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	rej := &lazyOut{path: pf.rejected}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	t0 := time.Now()
	bar := c.newProgress("ingest "+path, size)

	// One goroutine queues batches in file order (the first of two rows
	// with one order id is the one that counts) and keeps up to four in
	// flight, so fsyncs are shared and reading goes on meanwhile.
	type job struct{ events []rfm.Event }
	jobs := make(chan job, 2)
	waits := make(chan func() (engine.PurchaseOutcome, error), 4)
	var total engine.PurchaseOutcome
	errc := make(chan error, 1)
	var qerr error
	go func() {
		defer close(waits)
		for j := range jobs {
			if qerr != nil {
				continue
			}
			w, err := e.AppendPurchasesAsync(ctx, engine.PurchaseBatch{Source: path, Currency: src.Parser.Currency, Events: j.events})
			if err != nil {
				qerr = err
				continue
			}
			waits <- w
		}
	}()
	go func() {
		var ferr error
		for w := range waits {
			out, err := w()
			if err != nil && ferr == nil {
				ferr = err
			}
			total.Applied += out.Applied
			total.Duplicates += out.Duplicates
		}
		if ferr == nil {
			ferr = qerr
		}
		errc <- ferr
	}()
	const batchEvents = 1 << 16
	var pending []rfm.Event
	var names []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		// Names point into the reader's buffers: give the batch its own.
		arena := make([]byte, 0, len(names))
		evs := make([]rfm.Event, len(pending))
		copy(evs, pending)
		for i := range evs {
			if evs[i].CustomerName != nil {
				s := len(arena)
				arena = append(arena, evs[i].CustomerName...)
				evs[i].CustomerName = arena[s:len(arena):len(arena)]
			}
		}
		jobs <- job{evs}
		pending, names = pending[:0], names[:0]
	}
	st, rerr := purchases.Read(ctx, src, rej, true, bar.set, func(ch *purchases.Chunk) error {
		for i := range ch.Events {
			ev := ch.Events[i]
			if ev.CustomerName != nil {
				s := len(names)
				names = append(names, ev.CustomerName...)
				ev.CustomerName = names[s:len(names):len(names)]
			}
			pending = append(pending, ev)
		}
		if len(pending) >= batchEvents {
			flush()
		}
		select {
		case err := <-errc:
			errc <- err
			if err != nil {
				return err
			}
		default:
		}
		return nil
	})
	if rerr == nil {
		flush()
	}
	close(jobs)
	werr := <-errc
	bar.finish()
	if rerr != nil || werr != nil {
		rej.discard()
		if rerr != nil {
			return fmt.Errorf("%w (batches acknowledged before the error are stored; ingesting the file again counts them once)", rerr)
		}
		return werr
	}
	if err := rej.commit(); err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	if c.cfg.JSON {
		return c.printJSON(map[string]any{
			"file": path, "rows": st.Rows, "events": st.Events, "applied": total.Applied, "duplicates": total.Duplicates,
			"rejected": st.Rejected, "rejected_file": map[bool]string{true: pf.rejected}[rej.used()], "seconds": secs, "rows_per_second": float64(st.Rows) / max(secs, 1e-9),
		})
	}
	fmt.Fprintf(c.io.out, "%s: %d rows: %d events stored, %d duplicate orders counted once, %s in %s (%.0f rows/s)\n",
		path, st.Rows, total.Applied, total.Duplicates, rejectedNote(st.Rejected, pf.rejected), time.Duration(secs*float64(time.Second)).Round(time.Millisecond), float64(st.Rows)/max(secs, 1e-9))
	return nil
}
