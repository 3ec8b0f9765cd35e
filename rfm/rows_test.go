package rfm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/hushcrm/hush/csvio"
)

// appendRowsEach is the per-customer CSV as Each gives it: the
// reference AppendCSVRows must match byte for byte.
func appendRowsEach(res *Result) []byte {
	var buf []byte
	field := func(b []byte) { buf = csvio.AppendField(buf, b, ',') }
	res.Customers().Names(func(appendName func([]byte, uint32) []byte) {
		res.Each(func(cs CustomerScore) bool {
			field(appendName(nil, cs.ID))
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(cs.RecencyDays), 10)
			buf = append(buf, ',')
			buf = strconv.AppendUint(buf, uint64(cs.Frequency), 10)
			buf = append(buf, ',')
			buf = AppendAmountTrim(buf, cs.Monetary, res.Exponent)
			buf = append(buf, ',')
			for _, v := range [3]int{cs.R, cs.F, cs.M} {
				buf = strconv.AppendInt(buf, int64(v), 10)
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, int64(cs.RFMScore()), 10)
			buf = append(buf, ',')
			field([]byte(cs.Segment.Name))
			buf = append(buf, '\n')
			return true
		})
	})
	return buf
}

func TestAppendCSVRowsEqualsEach(t *testing.T) {
	field := func(dst, f []byte) []byte { return csvio.AppendField(dst, f, ',') }
	names := []string{"a,b", `x"y`, "plain", "007", " sp", "é"}
	for _, tc := range []struct {
		bins, exp int
		mean      bool
		named     bool
	}{{5, 2, false, false}, {10, 2, false, true}, {5, 0, true, true}, {3, 3, false, true}, {10, 0, true, false}} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.bins), uint64(tc.exp)))
			asOf := mustDay(t, "2026-12-01")
			book := NewBook(0, NewLedger(LedgerConfig{Cutoff: asOf, WindowStart: NoWindow}))
			for i := range 30_000 {
				e := Event{Order: uint64(i + 1), Day: asOf - Day(r.IntN(400)), Amount: int64(r.IntN(100_000))}
				id := strconv.Itoa(1 + r.IntN(5000))
				if tc.named && r.IntN(3) == 0 {
					id = names[r.IntN(len(names))] + strconv.Itoa(r.IntN(50))
				}
				e.Customer, _ = KeyOf([]byte(id))
				if e.Customer&(1<<63) != 0 {
					e.CustomerName = []byte(id)
				}
				e.Return = r.IntN(20) == 0
				book.Add(&e)
			}
			opts := Options{AsOf: asOf, Bins: tc.bins, MoneyExponent: tc.exp, MonetaryMean: tc.mean, DeferIndexes: true}
			if tc.bins != DefaultRulesBins {
				// A segment name the CSV must quote; the rest are Others.
				rules, err := ParseRules([]byte(fmt.Sprintf(`[{name: "Top, \"best\"", r: [%d, %d], f: [1, %d], m: [1, %d]}]`, tc.bins, tc.bins, tc.bins, tc.bins)), "test")
				if err != nil {
					t.Fatal(err)
				}
				opts.Rules = rules
			}
			res, err := Score(book.Customers, book.Ledgers()[0], opts)
			if err != nil {
				t.Fatal(err)
			}
			// CustomerOrder: numbers ascending, then names in byte order
			// (a Book's ids are in first-seen order: it must sort them).
			order := res.CustomerOrder()
			if order == nil {
				t.Fatal("CustomerOrder: nil for ids in first-seen order")
			}
			if len(order) != res.Len() {
				t.Fatalf("CustomerOrder: %d ids for %d customers", len(order), res.Len())
			}
			for i := 1; i < len(order); i++ {
				a, b := book.Customers.Key(order[i-1]), book.Customers.Key(order[i])
				an, bn := a&(1<<63) == 0, b&(1<<63) == 0
				if an && bn && a >= b || !an && bn || !an && !bn && book.Customers.Name(order[i-1]) >= book.Customers.Name(order[i]) {
					t.Fatalf("CustomerOrder: %q before %q", book.Customers.Name(order[i-1]), book.Customers.Name(order[i]))
				}
			}
			want := appendRowsEach(res)
			for _, block := range []int{64, 1 << 10, 1 << 16} {
				var got []byte
				for lo := 0; lo < res.IDSpace(); lo += block {
					got = res.AppendCSVRows(got, lo, lo+block, field)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("blocks of %d: rows differ from Each's\ngot  %.300q\nwant %.300q", block, got, want)
				}
			}
			if bytes.Count(want, []byte{'\n'}) != res.Len() {
				t.Fatalf("%d rows for %d customers", bytes.Count(want, []byte{'\n'}), res.Len())
			}
		})
	}
}
