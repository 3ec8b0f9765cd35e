package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/suppression"
)

type bulkDefaults struct{ channels, purposes, source, evidence, at string }

type bulkReq struct {
	line int64
	req  engine.OptOutRequest
}

// optOutFromFile records many opt-outs (or opt-ins) read from a CSV file.
// Requests are submitted by 32 concurrent writers so they share fsyncs;
// each one is acknowledged (with --acks) only once it is durable. A row that
// cannot be read is reported with its line and does not stop the others.
func optOutFromFile(ctx context.Context, c *cli, path string, acks, optIn bool, def bulkDefaults) error {
	var in io.Reader = c.io.in
	name := "stdin"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return &userError{err}
		}
		defer f.Close()
		in, name = f, path
	}
	n, err := c.normalizer()
	if err != nil {
		return err
	}
	// Own the data dir before waiting on the input: a stream on stdin may
	// take its time, and another process must see the lock meanwhile.
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	cr, err := csvio.NewReader(in, name, csvio.Options{Delimiter: ',', Header: true})
	if err != nil {
		return err
	}
	cols := map[string]int{}
	for i, h := range cr.Header() {
		cols[h] = i
	}
	keyCols := 0
	for _, k := range []string{"phone", "email", "address", "customer"} {
		if _, ok := cols[k]; ok {
			keyCols++
		}
	}
	if keyCols == 0 {
		return &userError{fmt.Errorf("%s: %w: want a phone, email, address or customer column (header: %v)", name, csvio.ErrMissingColumn, cr.Header())}
	}

	var mu sync.Mutex // guards output and counters
	var ok, bad int
	report := func(line int64, msg string) {
		mu.Lock()
		defer mu.Unlock()
		if acks || msg != "" {
			if msg == "" {
				fmt.Fprintf(c.io.out, "ok %d\n", line)
			} else {
				fmt.Fprintf(c.io.out, "error %d %s\n", line, msg)
			}
		}
	}
	reqs := make(chan bulkReq, 64)
	var wg sync.WaitGroup
	var fatal error
	var fatalOnce sync.Once
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range reqs {
				_, err := e.RecordOptOut(ctx, r.req)
				if err != nil {
					if errors.Is(err, engine.ErrUnavailable) || errors.Is(err, engine.ErrClosed) {
						fatalOnce.Do(func() { fatal = err })
					}
					mu.Lock()
					bad++
					mu.Unlock()
					report(r.line, err.Error())
					continue
				}
				mu.Lock()
				ok++
				mu.Unlock()
				report(r.line, "")
			}
		}()
	}
	field := func(row *csvio.Row, name, dflt string) string {
		if i, ok := cols[name]; ok && i < len(row.Fields) && len(row.Fields[i]) > 0 {
			return string(row.Fields[i])
		}
		return dflt
	}
	var readErr error
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *csvio.RowError
			if errors.As(err, &re) {
				mu.Lock()
				bad++
				mu.Unlock()
				report(re.Line, re.Error())
				continue
			}
			readErr = err
			break
		}
		req, err := bulkRow(row, cols, field, n, e.Hasher(), optIn, def, c)
		if err != nil {
			mu.Lock()
			bad++
			mu.Unlock()
			report(row.Line, err.Error())
			continue
		}
		reqs <- bulkReq{line: row.Line, req: req}
	}
	close(reqs)
	wg.Wait()
	if readErr != nil {
		return readErr
	}
	if fatal != nil {
		return fatal
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"recorded": ok, "errors": bad})
	}
	fmt.Fprintf(c.io.err, "hush: %d requests recorded (durable), %d errors\n", ok, bad)
	if bad > 0 {
		return userErr("%d rows of %s could not be recorded (see the error lines)", bad, name)
	}
	return nil
}

func bulkRow(row *csvio.Row, cols map[string]int, field func(*csvio.Row, string, string) string, n *contactkey.Normalizer, h *contactkey.Hasher, optIn bool, def bulkDefaults, c *cli) (engine.OptOutRequest, error) {
	var req engine.OptOutRequest
	found := false
	for _, k := range []string{"phone", "email", "address", "customer"} {
		v := field(row, k, "")
		if v == "" {
			continue
		}
		if found {
			return req, fmt.Errorf("more than one key in the row: one subject key per row")
		}
		kind, _ := contactkey.ParseKind(k)
		key, err := n.Key(kind, []byte(v), h)
		if err != nil {
			return req, err
		}
		req.Key, found = key, true
	}
	if !found {
		return req, errors.New("no key in the row")
	}
	var err error
	if req.Channels, err = suppression.ParseChannels(field(row, "channels", def.channels)); err != nil {
		return req, err
	}
	if req.Purposes, err = suppression.ParsePurposes(field(row, "purposes", def.purposes)); err != nil {
		return req, err
	}
	req.Source = field(row, "source", def.source)
	req.Evidence = field(row, "evidence", def.evidence)
	req.OptIn = optIn
	if req.At, err = parseAt(field(row, "at", def.at), c.cfg.Now); err != nil {
		return req, err
	}
	return req, nil
}
