package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/rfm"
)

func purchase(order string, cust string, day rfm.Day, amount int64, ret bool) rfm.Event {
	o, _ := rfm.KeyOf([]byte(order))
	c, numeric := rfm.KeyOf([]byte(cust))
	e := rfm.Event{Order: o, Customer: c, Day: day, Amount: amount, Return: ret}
	if !numeric {
		e.CustomerName = []byte(cust)
	}
	return e
}

// TestPurchasesSurviveSnapshotAndReplay: aggregates, idempotency (numeric
// and hashed order ids, returns) and names are the same after a replay of
// the log and after a snapshot.
func TestPurchasesSurviveSnapshotAndReplay(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	batch := []rfm.Event{
		purchase("1001", "42", 20000, 1500, false),
		purchase("1002", "42", 20010, 2500, false),
		purchase("1002", "42", 20011, 1000, true), // a return of order 1002
		purchase("A-7", "Abbey O'Reilly", 20005, 999, false),
		purchase("1001", "42", 20000, 1500, false), // duplicate
	}
	out, err := h.e.AppendPurchases(ctx, PurchaseBatch{Source: "t", Currency: "USD", Events: batch})
	if err != nil {
		t.Fatal(err)
	}
	if out.Applied != 4 || out.Duplicates != 1 {
		t.Fatalf("outcome %+v", out)
	}
	if _, err := h.e.AppendPurchases(ctx, PurchaseBatch{Source: "t", Currency: "EUR", Events: batch[:1]}); !errors.Is(err, ErrCurrency) {
		t.Fatalf("another currency: %v", err)
	}
	check := func(when string) {
		t.Helper()
		err := h.e.ReadPurchases(ctx, func(v PurchaseView) error {
			id, ok := v.Customers.Lookup("42")
			if !ok {
				t.Fatalf("%s: customer 42 unknown", when)
			}
			a := v.Ledger.Aggregate(id)
			if a.Orders != 2 || a.Total != 3000 || a.Last != 20010 || a.First != 20000 {
				t.Fatalf("%s: aggregate %+v", when, a)
			}
			if aid, ok := v.Customers.Lookup("Abbey O'Reilly"); !ok || v.Customers.Name(aid) != "Abbey O'Reilly" {
				t.Fatalf("%s: named customer lost", when)
			}
			if v.Events != 4 {
				t.Fatalf("%s: %d stored events", when, v.Events)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.e.AppendPurchases(ctx, PurchaseBatch{Source: "t", Currency: "USD", Events: batch})
		if err != nil || out.Applied != 0 || out.Duplicates != 5 {
			t.Fatalf("%s: re-append %+v %v", when, out, err)
		}
		res, err := h.e.RefreshRFM(ctx, rfm.Day(20030).Time())
		if err != nil {
			t.Fatal(err)
		}
		if h.e.RFM() != res || res.Len() != 2 || res.Segment("rfm:lapsed") == nil {
			t.Fatalf("%s: published %v", when, res)
		}
		if ge, _ := res.Where(rfm.AttrMonetary, roaring64.GE, 3000, 0); ge.GetCardinality() != 1 {
			t.Fatalf("%s: monetary >= 30.00: %v", when, ge)
		}
	}
	check("live")
	h.reopen()
	check("after replay")
	if err := h.e.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	check("after snapshot")
}
