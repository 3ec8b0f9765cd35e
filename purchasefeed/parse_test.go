package purchasefeed

import (
	"strings"
	"testing"

	"github.com/hushcrm/hush/rfm"
)

func testFeed(t testing.TB) *Feed {
	f, err := New(nopSource{}, nopStore{}, Options{Stream: "orders", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseMessage(t *testing.T) {
	f := testFeed(t)
	ok := map[string]string{"order": "A-1", "customer": "42", "date": "2026-11-30T10:00:00Z", "amount": "12.50"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range ok {
			m[a] = b
		}
		if v == "\x00" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name   string
		fields map[string]string
		reason string // "" = accepted
		check  func(ev rfm.Event) bool
	}{
		{"ok", ok, "", func(ev rfm.Event) bool { return ev.Amount == 1250 && ev.Customer == 42 && !ev.Return && ev.Order != 0 }},
		{"time alias", with("date", "\x00"), rfm.ReasonMissingField, nil},
		{"time field", func() map[string]string { m := with("date", "\x00"); m["time"] = "1764496800"; return m }(), "", nil},
		{"named customer", with("customer", "cust-7"), "", func(ev rfm.Event) bool { return string(ev.CustomerName) == "cust-7" }},
		{"return flag", with("return", "yes"), "", func(ev rfm.Event) bool { return ev.Return }},
		{"negative amount is a return", with("amount", "-3.00"), "", func(ev rfm.Event) bool { return ev.Return && ev.Amount == 300 }},
		{"same currency", with("currency", "usd"), "", nil},
		{"other currency", with("currency", "EUR"), rfm.ReasonWrongCurrency, nil},
		{"no order", with("order", "\x00"), rfm.ReasonMissingOrder, nil},
		{"empty order", with("order", " "), rfm.ReasonMissingOrder, nil},
		{"no customer", with("customer", "\x00"), rfm.ReasonMissingField, nil},
		{"empty customer", with("customer", ""), rfm.ReasonMissingCustomer, nil},
		{"bad date", with("date", "yesterday"), rfm.ReasonBadDate, nil},
		{"bad amount", with("amount", "12,50"), rfm.ReasonBadAmount, nil},
		{"no amount", with("amount", "\x00"), rfm.ReasonMissingField, nil},
		{"bad return", with("return", "maybe"), rfm.ReasonBadReturn, nil},
		{"extra fields ignored", with("source", "web"), "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ev rfm.Event
			err := f.Parse(Message{ID: "1-0", Fields: tc.fields}, &ev)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if tc.check != nil && !tc.check(ev) {
					t.Fatalf("event %+v", ev)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.reason) {
				t.Fatalf("want reason %s, got %v", tc.reason, err)
			}
		})
	}
	// The same order id in a file and in the stream is one order.
	var a, b rfm.Event
	f.Parse(Message{Fields: ok}, &a)
	key, _ := rfm.KeyOf([]byte("A-1"))
	f.Parse(Message{Fields: with("amount", "99")}, &b)
	if a.Order != key || b.Order != key {
		t.Fatalf("order keys %x %x, want %x", a.Order, b.Order, key)
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add("A-1", "42", "2026-11-30", "12.50", "USD", "")
	f.Add("0", "cust", "20261130", "-1", "", "r")
	f.Add("", "", "", "", "", "")
	f.Add("x", "y", "1764496800", "1e9", "EUR", "maybe")
	feed := testFeed(f)
	f.Fuzz(func(t *testing.T, order, customer, date, amount, currency, ret string) {
		m := Message{ID: "1-0", Fields: map[string]string{"order": order, "customer": customer, "date": date, "amount": amount}}
		if currency != "" {
			m.Fields["currency"] = currency
		}
		if ret != "" {
			m.Fields["return"] = ret
		}
		var ev rfm.Event
		if err := feed.Parse(m, &ev); err == nil {
			if ev.Order == 0 || ev.Amount < 0 {
				t.Fatalf("accepted %+v as %+v", m.Fields, ev)
			}
		}
	})
}
