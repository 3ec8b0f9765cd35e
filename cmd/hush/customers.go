package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/customers"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/rfm"
)

// customerFields are the columns `hush ingest customers` reads.
var customerFields = []string{"id", "phone", "email", "address", "name", "region", "inquiry"}

// runIngestCustomers: hush ingest customers FILE.
func runIngestCustomers(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("ingest customers", "FILE [--map id=COL,phone=COL,email=COL,address=COL,name=COL,region=COL,inquiry=COL] [--rejected FILE]")
	mapSpec := fs.String("map", "", "columns by header name or 1-based number (default: headers named like the fields; id also as customer or customer_id)")
	rejPath := fs.String("rejected", "", "rejected rows: line,reason,raw (default FILE.rejected.csv in the current directory)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return userErr("want exactly one customer FILE")
	}
	path := pos[0]
	if *rejPath == "" {
		*rejPath = defaultRejected(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return &userError{err}
	}
	defer f.Close()
	r, err := csvio.NewReader(f, path, csvio.Options{Header: true, MaxRecordLines: 16})
	if err != nil {
		return err
	}
	mapping, err := csvio.ParseMapping(*mapSpec)
	if err != nil {
		return &userError{err}
	}
	header := r.Header()
	for _, alias := range []string{"id", "customer_id", "customer"} {
		if _, ok := mapping["id"]; ok {
			break
		}
		for _, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), alias) {
				mapping["id"] = h
				break
			}
		}
	}
	for _, fld := range customerFields[1:] {
		if _, ok := mapping[fld]; ok {
			continue
		}
		for _, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), fld) || (fld == "inquiry" && strings.EqualFold(strings.TrimSpace(h), "last_inquiry")) {
				mapping[fld] = h
			}
		}
	}
	if _, ok := mapping["id"]; !ok {
		return userErr("%s: no customer id column (name one with --map id=COL, or a header id, customer_id or customer)", path)
	}
	cols, err := r.ResolveColumns(mapping, customerFields)
	if err != nil {
		return err
	}
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	norm, err := c.normalizer()
	if err != nil {
		return err
	}
	regional := map[string]*contactkey.Normalizer{}
	h := e.Hasher()
	rej := &lazyOut{path: *rejPath}
	var rejW *csv.Writer
	reject := func(line int64, reason string, raw []byte) error {
		if rejW == nil {
			rejW = csv.NewWriter(rej)
			if err := rejW.Write([]string{"line", "reason", "raw"}); err != nil {
				return err
			}
		}
		return rejW.Write([]string{strconv.FormatInt(line, 10), reason, string(raw)})
	}
	t0 := time.Now()
	const batch = 50_000
	var rows []engine.CustomerRow
	var n, rejected, stored int64
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		if _, err := e.PutCustomers(ctx, path, rows); err != nil {
			return err
		}
		stored += int64(len(rows))
		rows = rows[:0]
		return nil
	}
	field := func(row *csvio.Row, name string) string {
		i, ok := cols[name]
		if !ok || i >= len(row.Fields) {
			return ""
		}
		return strings.TrimSpace(string(row.Fields[i]))
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if row == nil {
			rej.discard()
			return err
		}
		n++
		if row.Err != nil {
			rejected++
			if err := reject(row.Line, "bad_row: "+row.Err.Error(), row.Raw); err != nil {
				return err
			}
			continue
		}
		cr, reason := parseCustomerRow(row, field, norm, regional, h)
		if reason != "" {
			rejected++
			if err := reject(row.Line, reason, row.Raw); err != nil {
				return err
			}
			continue
		}
		rows = append(rows, cr)
		if len(rows) == batch {
			if err := flush(); err != nil {
				rej.discard()
				return fmt.Errorf("%w (batches acknowledged before the error are stored; ingesting the file again replaces them)", err)
			}
		}
	}
	if err := flush(); err != nil {
		rej.discard()
		return err
	}
	if rejW != nil {
		rejW.Flush()
		if err := rejW.Error(); err != nil {
			return err
		}
	}
	if err := rej.commit(); err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	dir := e.Campaigns().Directory
	out := map[string]any{"file": path, "rows": n, "stored": stored, "rejected": rejected, "customers": dir.Len(),
		"with_phone": dir.With(contactkey.KindPhone).GetCardinality(), "with_email": dir.With(contactkey.KindEmail).GetCardinality(),
		"with_address": dir.With(contactkey.KindAddress).GetCardinality(), "seconds": secs}
	if rej.used() {
		out["rejected_file"] = *rejPath
	}
	if c.cfg.JSON {
		return c.printJSON(out)
	}
	fmt.Fprintf(c.io.out, "%d rows: %d customers stored, %d rejected in %.1fs (%.0f rows/s); directory holds %d customers\n",
		n, stored, rejected, secs, float64(n)/max(secs, 1e-9), dir.Len())
	if rej.used() {
		fmt.Fprintf(c.io.out, "rejected rows: %s\n", *rejPath)
	}
	return nil
}

// parseCustomerRow normalises one row. A row whose id is missing or any
// of whose contact points cannot be read is rejected whole (reason
// returned): a customer stored without the contact point the file gave
// could be contacted where the file meant it to be checked.
func parseCustomerRow(row *csvio.Row, field func(*csvio.Row, string) string, norm *contactkey.Normalizer, regional map[string]*contactkey.Normalizer, h *contactkey.Hasher) (engine.CustomerRow, string) {
	id, err := contactkey.NormalizeCustomer(field(row, "id"))
	if err != nil {
		return engine.CustomerRow{}, "missing_id"
	}
	key, _ := rfm.KeyOf([]byte(id))
	subject, err := norm.Key(contactkey.KindCustomer, []byte(id), h)
	if err != nil {
		return engine.CustomerRow{}, "missing_id"
	}
	cr := engine.CustomerRow{ID: id, CustomerKey: key, SubjectKey: subject.V, Name: field(row, "name"),
		Region: strings.ToUpper(field(row, "region")), InquiryDay: customers.NoDay}
	n := norm
	if cr.Region != "" {
		rn, ok := regional[cr.Region]
		if !ok {
			var err error
			if rn, err = contactkey.NewNormalizer(cr.Region); err != nil {
				return cr, "invalid_region: " + cr.Region
			}
			regional[cr.Region] = rn
		}
		n = rn
	}
	for _, p := range splitMulti(field(row, "phone")) {
		v, err := n.Phone([]byte(p))
		if err != nil {
			return cr, "invalid_phone: " + reasonOf(err)
		}
		cr.Phones = append(cr.Phones, v)
	}
	for _, m := range splitMulti(field(row, "email")) {
		s, err := n.Normalize(contactkey.KindEmail, m)
		if err != nil {
			return cr, "invalid_email: " + reasonOf(err)
		}
		k, err := n.Key(contactkey.KindEmail, []byte(m), h)
		if err != nil {
			return cr, "invalid_email: " + reasonOf(err)
		}
		cr.Emails = append(cr.Emails, s)
		cr.EmailKeys = append(cr.EmailKeys, k.V)
	}
	if a := field(row, "address"); a != "" {
		k, err := n.Key(contactkey.KindAddress, []byte(a), h)
		if err != nil {
			return cr, "invalid_address: " + reasonOf(err)
		}
		cr.Address, cr.AddressKey = a, k.V
	}
	if d := field(row, "inquiry"); d != "" {
		t, err := time.Parse("2006-01-02", d)
		if err != nil {
			return cr, "invalid_inquiry_date: want YYYY-MM-DD"
		}
		cr.InquiryDay = int32(t.Unix() / 86400)
	}
	return cr, ""
}

func reasonOf(err error) string {
	var ke *contactkey.KeyError
	if errors.As(err, &ke) {
		return ke.Reason
	}
	return err.Error()
}

// splitMulti splits a field holding several contact points ("a; b").
func splitMulti(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
