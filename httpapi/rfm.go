package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/purchases"
	"github.com/hushcrm/hush/rfm"
)

// rfmReport answers GET /v1/rfm/report: the group-level report of the
// published scoring (the last refresh; the first request scores if none
// is published), or of a scoring as of ?as_of=DATE (not published). ?k
// raises the suppression threshold, never lowers it below the configured
// one. ?format=csv gives the segment table as CSV.
func (s *Server) rfmReport(c *gin.Context) {
	e := s.engine()
	k := s.cfg.RFMK
	if v := c.Query("k"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < k {
			s.fail(c, badRequest("k", "k %q: want a whole number of at least %d (the configured minimum)", v, k))
			return
		}
		k = n
	}
	var res *rfm.Result
	if v := c.Query("as_of"); v != "" {
		day, err := rfm.ParseDate([]byte(v), rfm.DateISO)
		if err != nil {
			s.fail(c, badRequest("as_of", "as_of %q: want YYYY-MM-DD", v))
			return
		}
		if res, err = scoreAsOf(c, e, day); err != nil {
			s.fail(c, err)
			return
		}
	} else if res = e.RFM(); res == nil {
		var err error
		if res, err = e.RefreshRFM(c, s.d.Now()); err != nil {
			s.fail(c, err)
			return
		}
	}
	rep := rfm.NewReport(res, k)
	if c.Query("format") == "csv" {
		var b bytes.Buffer
		w := csvio.NewWriter(&b)
		rec := func(ss ...string) {
			bs := make([][]byte, len(ss))
			for i, x := range ss {
				bs[i] = []byte(x)
			}
			w.WriteRecord(bs...)
		}
		rec("segment", "key", "customers", "share", "orders", "revenue", "revenue_share", "average_order_value")
		for _, sg := range rep.Segments {
			rec(sg.Name, sg.Key, sg.Customers.String(), fnum(sg.Share), inum(sg.Orders), str(sg.Revenue), fnum(sg.RevenueShare), str(sg.AvgOrder))
		}
		w.Flush()
		c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
		return
	}
	// PureJSON: suppressed counts read "<10", not "\u003c10".
	c.PureJSON(http.StatusOK, rep)
}

func fnum(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func inum(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func scoreAsOf(c *gin.Context, e *engine.Engine, day rfm.Day) (*rfm.Result, error) {
	var res *rfm.Result
	err := e.ReadPurchases(c, func(v engine.PurchaseView) error {
		l := v.Ledger
		if l.MaxDay() > day {
			l = v.Replay(rfm.LedgerConfig{Cutoff: day, WindowStart: rfm.NoWindow})[0]
		}
		cur := v.Currency
		if cur == "" {
			cur = "USD"
		}
		var err error
		res, err = rfm.Score(v.Customers, l, rfm.Options{AsOf: day, MoneyExponent: rfm.CurrencyExponent(cur)})
		return err
	})
	return res, err
}

// maxRejectDetails bounds the rejected rows a POST /v1/purchases answer
// lists one by one; the count is always exact.
const maxRejectDetails = 1000

// purchasesPost answers POST /v1/purchases: an NDJSON body of purchase
// events ({"customer":…, "date":…, "amount":…, "order":…, "currency":…,
// "return":…}; ?map=customer=cust,date=ts renames keys; ?currency=EUR),
// stored in batches; idempotent by order id. The answer counts rows,
// events stored, duplicates, and lists the rejected lines with reasons.
func (s *Server) purchasesPost(c *gin.Context) {
	e := s.engine()
	mapping, err := csvio.ParseMapping(c.Query("map"))
	if err != nil {
		s.fail(c, badRequest("map", "%v", err))
		return
	}
	for f := range mapping {
		if !containsStr(rfm.FieldNames, f) {
			s.fail(c, badRequest("map", "unknown field %q (want %s)", f, strings.Join(rfm.FieldNames, ", ")))
			return
		}
	}
	cur := strings.ToUpper(c.DefaultQuery("currency", "USD"))
	if len(cur) != 3 {
		s.fail(c, badRequest("currency", "currency %q: want an ISO 4217 code", cur))
		return
	}
	src := &purchases.Source{Path: "request body", NDJSON: true, Mapping: mapping,
		Parser:   rfm.RowParser{Amounts: rfm.AmountFormat{Exponent: rfm.CurrencyExponent(cur)}, Currency: cur},
		Exponent: rfm.CurrencyExponent(cur)}
	if c.GetHeader("Content-Encoding") == "gzip" {
		src.Path = "request body.gz"
	}
	var rej rejectCollector
	var total engine.PurchaseOutcome
	st, err := purchases.ReadFrom(c, c.Request.Body, src, &rej, true, nil, func(ch *purchases.Chunk) error {
		if len(ch.Events) == 0 {
			return nil
		}
		evs := make([]rfm.Event, len(ch.Events))
		copy(evs, ch.Events)
		out, err := e.AppendPurchases(c, engine.PurchaseBatch{Source: "POST /v1/purchases", Currency: cur, Events: evs})
		total.Applied += out.Applied
		total.Duplicates += out.Duplicates
		return err
	})
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			s.fail(c, newErr(http.StatusRequestEntityTooLarge, "body_too_large", "body exceeds %d bytes; %d events were stored before it", mbe.Limit, total.Applied))
		case errors.Is(err, engine.ErrCurrency):
			s.fail(c, newErr(http.StatusConflict, "currency_mismatch", "%v", err))
		default:
			s.fail(c, fmt.Errorf("%w (%d events were stored before the error; sending them again counts them once)", err, total.Applied))
		}
		return
	}
	rej.parse()
	rows := rej.rows
	if rows == nil {
		rows = []gin.H{}
	}
	c.JSON(http.StatusOK, gin.H{"rows": st.Rows, "applied": total.Applied, "duplicates": total.Duplicates,
		"rejected": st.Rejected, "rejects": rows, "rejects_truncated": rej.truncated})
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// rejectCollector keeps the rejected-row CSV the reader writes (header
// hush_line,hush_reason,raw), up to a bound, and turns it into JSON rows.
type rejectCollector struct {
	buf       bytes.Buffer
	rows      []gin.H
	truncated bool
}

func (r *rejectCollector) Write(p []byte) (int, error) {
	if r.buf.Len() < 4<<20 {
		r.buf.Write(p)
	} else {
		r.truncated = true
	}
	return len(p), nil
}

func (r *rejectCollector) parse() {
	cr, err := csvio.NewReader(bytes.NewReader(r.buf.Bytes()), "rejects", csvio.Options{Header: true, FieldsPerRecord: -1})
	if err != nil {
		return
	}
	for {
		row, err := cr.Read()
		if err != nil {
			return
		}
		if row.Err != nil || len(row.Fields) < 2 {
			continue
		}
		if len(r.rows) >= maxRejectDetails {
			r.truncated = true
			return
		}
		n, _ := strconv.ParseInt(string(row.Fields[0]), 10, 64)
		r.rows = append(r.rows, gin.H{"line": n, "reason": string(row.Fields[1])})
	}
}
