package rfm

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

var usd = RowParser{Amounts: AmountFormat{Exponent: 2}, Currency: "USD"}

func score(t *testing.T, book *Book, opts Options) *Result {
	t.Helper()
	if opts.MoneyExponent == 0 {
		opts.MoneyExponent = 2
	}
	res, err := Score(book.Customers, book.Ledgers()[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func cutoff(d Day) LedgerConfig { return LedgerConfig{Cutoff: d, WindowStart: NoWindow} }

func TestRejectedRows(t *testing.T) {
	data := "order,customer,date,amount,currency,return\n" +
		"1,a,2024-01-01,10.00,USD,\n" + // 2 ok
		"2,,2024-01-01,10.00,USD,\n" + // 3 missing customer
		"3,b,2024-02-30,10.00,USD,\n" + // 4 bad date
		"4,b,2024-01-01,ten,USD,\n" + // 5 bad amount
		"5,b,2024-01-01,10.00,EUR,\n" + // 6 wrong currency
		"6,b,2024-01-01,\"1,000.00\",USD,\n" + // 7 thousands separator
		"7,b,2024-01-01,$10,USD,\n" + // 8 currency symbol
		",b,2024-01-01,10,USD,\n" + // 9 missing order
		"8,b,2024-01-01,10,USD,maybe\n" + // 10 bad return flag
		"1,a,2024-01-01,10.00,USD,\n" + // 11 duplicate: counted once
		"9,c,2025-01-01,10.00,USD,\n" + // 12 after as-of: excluded
		"10,d,2024-01-01,10.00,usd,\n" // 13 ok (currency case-insensitive)
	book, rej := loadString(t, data, "order,customer,date,amount,currency,return", usd, cutoff(mustDay(t, "2024-12-31")))
	want := map[int64]string{
		3: "missing_customer", 4: "bad_date", 5: "bad_amount", 6: "wrong_currency",
		7: "bad_amount: \"1,000.00\" has a thousands separator", 8: "bad_amount: \"$10\" has a currency symbol",
		9: "missing_order", 10: "bad_return_flag",
	}
	for line, reason := range want {
		if !strings.HasPrefix(rej[line], reason) {
			t.Errorf("line %d: rejected %q, want %q", line, rej[line], reason)
		}
	}
	if len(rej) != len(want) {
		t.Errorf("rejected %v", rej)
	}
	if book.Duplicates() != 1 {
		t.Errorf("duplicates %d, want 1", book.Duplicates())
	}
	l := book.Ledgers()[0]
	if l.Excluded() != 1 {
		t.Errorf("excluded %d, want 1", l.Excluded())
	}
	res := score(t, book, Options{AsOf: mustDay(t, "2024-12-31")})
	if res.Len() != 2 {
		t.Errorf("scored %d, want a and d", res.Len())
	}
	id, _ := book.Customers.Lookup("a")
	if cs, _ := res.Customer(id); cs.Frequency != 1 || cs.Revenue != 1000 {
		t.Errorf("a = %+v", cs)
	}
}

func TestAllCustomersOneOrder(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("customer,date,amount\n")
	for i := range 50 {
		sb.WriteString(strings.Join([]string{itoa(i), "2024-0" + itoa(1+i%9) + "-1" + itoa(i%10), itoa(10+i) + ".00"}, ","))
		sb.WriteString("\n")
	}
	book, rej := loadString(t, sb.String(), "customer,date,amount", usd, cutoff(mustDay(t, "2024-12-31")))
	if len(rej) != 0 {
		t.Fatal(rej)
	}
	for _, compat := range []bool{false, true} {
		res := score(t, book, Options{AsOf: mustDay(t, "2024-12-31"), CompatR: compat})
		if res.Len() != 50 {
			t.Fatalf("scored %d", res.Len())
		}
		warned := false
		for _, w := range res.Warnings {
			if strings.HasPrefix(w, "frequency: score levels 2, 3, 4, 5 are empty") {
				warned = true
			}
		}
		if !warned {
			t.Errorf("compat %v: warnings %q", compat, res.Warnings)
		}
		res.Each(func(cs CustomerScore) bool {
			if cs.F != 1 {
				t.Errorf("frequency score %d with one order each", cs.F)
			}
			return true
		})
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)))[func() int {
		if i < 10 {
			return 1
		}
		return 0
	}():]
}

func TestOneAndZeroCustomers(t *testing.T) {
	asOf := mustDay(t, "2024-12-31")
	book, _ := loadString(t, "customer,date,amount\nsolo,2024-12-01,5\nsolo,2024-06-01,7\n", "customer,date,amount", usd, cutoff(asOf))
	res := score(t, book, Options{AsOf: asOf})
	if res.Len() != 1 {
		t.Fatalf("scored %d", res.Len())
	}
	cs, _ := res.Customer(0)
	if cs.RecencyDays != 30 || cs.Frequency != 2 || cs.Revenue != 1200 {
		t.Errorf("%+v", cs)
	}
	if len(res.Warnings) != 3 {
		t.Errorf("one customer: warnings %q (want one per dimension)", res.Warnings)
	}
	rep := NewReport(res, 10)
	if rep.Customers.N != 1 || !rep.Customers.Suppressed || rep.Revenue != nil {
		t.Errorf("report customers %v", rep.Customers)
	}
	for _, s := range rep.Segments {
		if s.Customers.N == 1 && (!s.Customers.Suppressed || s.Revenue != nil || s.Recency != nil) {
			t.Errorf("a segment of one is not suppressed: %+v", s)
		}
	}

	empty, _ := loadString(t, "customer,date,amount\n", "customer,date,amount", usd, cutoff(asOf))
	res = score(t, empty, Options{AsOf: asOf})
	if res.Len() != 0 || len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "no customers") {
		t.Errorf("zero customers: %d, %q", res.Len(), res.Warnings)
	}
	if res.Segment("champions") == nil || res.Segment("champions").GetCardinality() != 0 {
		t.Error("empty champions bitmap missing")
	}
	if bsi := res.Attribute(AttrMonetary); bsi == nil || bsi.GetCardinality() != 0 {
		t.Error("empty monetary BSI missing")
	}
	NewReport(res, 10) // must not panic
}

func TestNegativeTotalsAfterReturns(t *testing.T) {
	asOf := mustDay(t, "2024-12-31")
	data := "order,customer,date,amount,return\n" +
		"1,a,2024-01-01,10.00,\n" +
		"1,a,2024-01-05,25.00,true\n" + // return of order 1, more than it cost (restocking refund)
		"2,b,2024-02-01,-4.00,\n" + // a negative amount is a return
		"3,b,2024-01-01,3.00,\n" +
		"4,c,2024-03-01,100.00,\n"
	book, rej := loadString(t, data, "order,customer,date,amount,return", usd, cutoff(asOf))
	if len(rej) != 0 {
		t.Fatal(rej)
	}
	res := score(t, book, Options{AsOf: asOf, Cuts: [3][]int64{{30, 60, 90, 120}, {1, 2, 3, 4}, {-500, 0, 500, 5000}}})
	get := func(name string) CustomerScore {
		id, _ := book.Customers.Lookup(name)
		cs, _ := res.Customer(id)
		return cs
	}
	if a := get("a"); a.Revenue != -1500 || a.Frequency != 1 || a.RecencyDays != int32(asOf-mustDay(t, "2024-01-01")) || a.M != 1 {
		t.Errorf("a = %+v", a)
	}
	if b := get("b"); b.Revenue != -100 || b.Frequency != 1 || b.M != 2 {
		t.Errorf("b = %+v (a return is not an order; it does not move recency)", b)
	}
	neg, err := res.Where(AttrMonetary, roaring64.LT, 0, 0)
	if err != nil || neg.GetCardinality() != 2 {
		t.Errorf("monetary < 0: %v, %v", neg, err)
	}
	if v, ok := res.Attribute(AttrMonetary).GetValue(0); !ok || v != -1500 {
		t.Errorf("BSI monetary of a = %d, %v", v, ok)
	}
}

// TestIndexesMatchScores checks every bitmap and bit-sliced index against
// the per-customer scores on random data with heavy ties and returns.
func TestIndexesMatchScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	asOf := Day(20000)
	book := NewBook(0, NewLedger(cutoff(asOf)))
	for i := range 20000 {
		c := uint64(rng.IntN(3000))
		e := Event{Order: uint64(i + 1), Customer: c, Day: asOf - Day(rng.IntN(900)), Amount: int64(rng.IntN(5) * 1000)}
		if rng.IntN(20) == 0 {
			e.Return, e.Amount = true, int64(rng.IntN(20000))
		}
		book.Add(&e)
	}
	for _, opts := range []Options{{AsOf: asOf}, {AsOf: asOf, CompatR: true}, {AsOf: asOf, MonetaryMean: true}} {
		res := score(t, book, opts)
		for _, attr := range AttributeNames {
			bsi := res.Attribute(attr)
			for _, probe := range []int64{-5000, 0, 1, 3, 5, 100, 4000} {
				ge, _ := res.Where(attr, roaring64.GE, probe, 0)
				want := 0
				res.Each(func(cs CustomerScore) bool {
					v := map[string]int64{AttrRecencyDays: int64(cs.RecencyDays), AttrFrequency: int64(cs.Frequency),
						AttrMonetary: cs.Monetary, AttrR: int64(cs.R), AttrF: int64(cs.F), AttrM: int64(cs.M)}[attr]
					if v >= probe {
						want++
						if !ge.Contains(cs.ID) {
							t.Fatalf("%s >= %d misses customer %d (%d)", attr, probe, cs.ID, v)
						}
					}
					if got, ok := bsi.GetValue(uint64(cs.ID)); !ok || got != v {
						t.Fatalf("%s of %d: BSI %d, score %d", attr, cs.ID, got, v)
					}
					return true
				})
				if int(ge.GetCardinality()) != want {
					t.Fatalf("%s >= %d: %d, want %d", attr, probe, ge.GetCardinality(), want)
				}
			}
		}
		total := uint64(0)
		for _, s := range res.Segments() {
			bm := res.Segment(s.Key())
			total += bm.GetCardinality()
			it := bm.Iterator()
			for it.HasNext() {
				id := it.Next()
				if cs, _ := res.Customer(id); cs.Segment.Slug != s.Slug {
					t.Fatalf("customer %d in %s bitmap, scored %s", id, s.Slug, cs.Segment.Slug)
				}
			}
		}
		if total != uint64(res.Len()) {
			t.Fatalf("segments hold %d customers, %d scored", total, res.Len())
		}
	}
}

func TestQuantilesNeverSplitTies(t *testing.T) {
	asOf := Day(1000)
	book := NewBook(0, NewLedger(cutoff(asOf)))
	// 100 customers; spend: 60 spend exactly 10.00, the rest 11..50.
	for i := range 100 {
		amt := int64(1000)
		if i >= 60 {
			amt = int64(1100 + (i-60)*100)
		}
		book.Add(&Event{Customer: uint64(i), Day: asOf - Day(i), Amount: amt})
	}
	res := score(t, book, Options{AsOf: asOf})
	seen := map[int64]int{}
	res.Each(func(cs CustomerScore) bool {
		if m, ok := seen[cs.Monetary]; ok && m != cs.M {
			t.Fatalf("monetary %d scored %d and %d", cs.Monetary, m, cs.M)
		}
		seen[cs.Monetary] = cs.M
		return true
	})
	found := false
	for _, w := range res.Warnings {
		if strings.HasPrefix(w, "monetary: score levels 2, 3 are empty") {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %q", res.Warnings)
	}
}

func TestWindowAndMean(t *testing.T) {
	asOf := mustDay(t, "2024-12-31")
	cfg := LedgerConfig{Cutoff: asOf, WindowStart: asOf - 364}
	data := "customer,date,amount\n" +
		"a,2022-01-01,100\n" + // outside the window: recency only... but a's last order is later
		"a,2024-06-01,10\n" +
		"a,2024-07-01,20\n" +
		"b,2023-01-01,50\n" // no order in the window: frequency 0, monetary 0
	book, _ := loadString(t, data, "customer,date,amount", usd, cfg)
	res := score(t, book, Options{AsOf: asOf, MonetaryMean: true, Bins: 2,
		Rules: &RuleTable{Name: "two", Rules: []Rule{{Name: "All", Slug: "all", R: Range{1, 2}, F: Range{1, 2}, M: Range{1, 2}}}}})
	a, _ := res.Customer(0)
	if a.Frequency != 2 || a.Monetary != 1500 || a.Revenue != 3000 {
		t.Errorf("a = %+v", a)
	}
	b, _ := res.Customer(1)
	if b.Frequency != 0 || b.Monetary != 0 || b.RecencyDays != int32(asOf-mustDay(t, "2023-01-01")) {
		t.Errorf("b = %+v", b)
	}
}

func TestOptionErrors(t *testing.T) {
	book := NewBook(0, NewLedger(LedgerConfig{Cutoff: NoCutoff, WindowStart: NoWindow}))
	book.Add(&Event{Customer: 1, Day: 500, Amount: 1})
	l := book.Ledgers()[0]
	if _, err := Score(book.Customers, l, Options{AsOf: 400}); err == nil {
		t.Error("as-of before the stored events accepted")
	}
	if _, err := Score(book.Customers, l, Options{AsOf: 600, Bins: 11}); err == nil {
		t.Error("11 bins accepted")
	}
	if _, err := Score(book.Customers, l, Options{AsOf: 600, Bins: 4}); err == nil || !strings.Contains(err.Error(), "give --rules") {
		t.Errorf("default rules with 4 bins: %v", err)
	}
	if _, err := Score(book.Customers, l, Options{AsOf: 600, Cuts: [3][]int64{{1, 2}}}); err == nil {
		t.Error("2 cuts for 5 bins accepted")
	}
	if _, err := Score(book.Customers, l, Options{AsOf: 600, Cuts: [3][]int64{{4, 3, 2, 1}}}); err == nil {
		t.Error("descending cuts accepted")
	}
}

func TestLapsedAndMigration(t *testing.T) {
	start, end := mustDay(t, "2024-12-01"), mustDay(t, "2024-12-31")
	before := NewLedger(cutoff(start - 1))
	after := NewLedger(cutoff(end))
	book := NewBook(0, before, after)
	add := func(c uint64, day string) { book.Add(&Event{Customer: c, Day: mustDay(t, day), Amount: 100}) }
	add(1, "2024-10-01") // gap 30 → expected 2024-11-30: should have bought; did
	add(1, "2024-10-31")
	add(1, "2024-12-10")
	add(2, "2024-09-01") // gap 40 → expected 2024-11-19: did not buy → lapsed
	add(2, "2024-10-11")
	add(3, "2024-01-01") // gap 300 → expected 2025-08: not expected
	add(3, "2024-10-27")
	add(4, "2024-11-01") // one order: no gap
	lp, err := FindLapsed(before, after, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if lp.Expected.GetCardinality() != 2 || !lp.Bought.Contains(0) || !lp.NotBought.Contains(1) || lp.NotBought.GetCardinality() != 1 {
		t.Errorf("expected %v bought %v not %v", lp.Expected, lp.Bought, lp.NotBought)
	}
	if _, err := FindLapsed(after, after, start, end); err == nil {
		t.Error("FindLapsed accepted a before-ledger covering the period")
	}

	rules := &RuleTable{Name: "t", Rules: []Rule{{Name: "Recent", Slug: "recent", R: Range{2, 2}, F: Range{1, 2}, M: Range{1, 2}}}}
	ra, err := Score(book.Customers, before, Options{AsOf: start - 1, Bins: 2, Rules: rules, MoneyExponent: 2})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Score(book.Customers, after, Options{AsOf: end, Bins: 2, Rules: rules, MoneyExponent: 2})
	if err != nil {
		t.Fatal(err)
	}
	mg, err := Migrate(ra, rb)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, row := range mg.Counts {
		for _, c := range row {
			sum += c
		}
	}
	if sum != 4 {
		t.Errorf("migration counts %v", mg.Counts)
	}
	rb = rb.WithSegment(LapsedSlug, lp.NotBought)
	if rb.Segment("rfm:lapsed").GetCardinality() != 1 {
		t.Error("lapsed segment missing")
	}
	rep := NewReport(rb, 2)
	got := 0
	for _, s := range rep.Segments {
		if s.Lapsed != nil {
			got += s.Lapsed.N
		}
	}
	if got != 1 && !strings.Contains(mustJSON(t, rep), `"lapsed":"<2"`) {
		t.Errorf("lapsed per segment: %s", mustJSON(t, rep))
	}
	mr := mg.Report(10)
	if len(mr.Rows) != 3 || len(mr.Cols) != 3 {
		t.Errorf("migration report %+v", mr)
	}
}

func TestSuppress(t *testing.T) {
	c := suppress([]int{100, 3, 0, 50, 20}, 10)
	if !c[1].Suppressed || c[2].Suppressed || c[0].Suppressed || !c[4].Suppressed || c[3].Suppressed {
		t.Errorf("%v", c)
	}
	if c[1].String() != "<10" || c[2].String() != "0" {
		t.Errorf("%v %v", c[1], c[2])
	}
	c = suppress([]int{100, 3, 5}, 10)
	if !c[1].Suppressed || !c[2].Suppressed || c[0].Suppressed {
		t.Errorf("%v", c)
	}
}

// A result with deferred indexes reports exactly what an eager one does,
// before and after its indexes are built, and builds them once however
// many goroutines ask first.
func TestDeferredIndexesEqualEager(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	asOf := Day(20000)
	book := NewBook(0, NewLedger(cutoff(asOf)))
	for i := range 30000 {
		e := Event{Order: uint64(i + 1), Customer: uint64(rng.IntN(4000)), Day: asOf - Day(rng.IntN(1200)), Amount: int64(rng.IntN(9000) - 500)}
		if rng.IntN(15) == 0 {
			e.Return, e.Amount = true, int64(rng.IntN(20000))
		}
		book.Add(&e)
	}
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"quantiles", Options{AsOf: asOf}},
		{"r-rfm", Options{AsOf: asOf, CompatR: true}},
		{"mean", Options{AsOf: asOf, MonetaryMean: true}},
		{"fixed cuts", Options{AsOf: asOf, Cuts: [3][]int64{{30, 90, 180, 365}, nil, {0, 1000, 5000, 20000}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eager := score(t, book, tc.opts)
			lazy := tc.opts
			lazy.DeferIndexes = true
			deferred := score(t, book, lazy)
			if got, want := mustJSON(t, NewReport(deferred, 2)), mustJSON(t, NewReport(eager, 2)); got != want {
				t.Fatalf("report with deferred indexes:\n%s\nwant\n%s", got, want)
			}
			// First use from several goroutines at once (run with -race).
			withLapsed := deferred.WithSegment("lapsed", eager.Scored())
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := deferred
					if g%2 == 1 {
						r = withLapsed
					}
					_ = r.Segment(r.Segments()[g%len(r.Segments())].Slug)
					_ = r.Attribute(AttributeNames[g])
				}()
			}
			wg.Wait()
			if deferred.Memory() != eager.Memory() {
				t.Fatalf("memory %+v, want %+v", deferred.Memory(), eager.Memory())
			}
			if !deferred.Scored().Equals(eager.Scored()) || !withLapsed.Scored().Equals(eager.Scored()) {
				t.Fatal("scored bitmaps differ")
			}
			for _, s := range eager.Segments() {
				if !deferred.Segment(s.Slug).Equals(eager.Segment(s.Slug)) || !withLapsed.Segment(s.Slug).Equals(eager.Segment(s.Slug)) {
					t.Fatalf("segment %s differs", s.Slug)
				}
			}
			for _, a := range AttributeNames {
				e, d := eager.Attribute(a), deferred.Attribute(a)
				if e.MinValue != d.MinValue || e.MaxValue != d.MaxValue || e.BitCount() != d.BitCount() || !e.GetExistenceBitmap().Equals(d.GetExistenceBitmap()) {
					t.Fatalf("attribute %s differs", a)
				}
				for _, id := range []uint64{0, 1, 17, 999, 3999} {
					ev, eok := e.GetValue(id)
					dv, dok := d.GetValue(id)
					if ev != dv || eok != dok {
						t.Fatalf("attribute %s of %d: %d %v, want %d %v", a, id, dv, dok, ev, eok)
					}
				}
			}
			if got, want := mustJSON(t, NewReport(deferred, 2)), mustJSON(t, NewReport(eager, 2)); got != want {
				t.Fatal("report changed once the indexes were built")
			}
		})
	}
}
