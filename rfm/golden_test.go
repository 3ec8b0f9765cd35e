package rfm

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/hushcrm/hush/csvio"
)

// TestGoldenRCompat checks every row of the R rfm package's own result for
// its sample (testdata/expected_rfm.csv, see PROVENANCE.md).
func TestGoldenRCompat(t *testing.T) {
	asOf := mustDay(t, "2006-12-31")
	book, rejects := loadCSV(t, "testdata/orders.csv", csvio.Options{Header: true},
		"customer=customer_id,date=order_date,amount=revenue", RowParser{Amounts: AmountFormat{Exponent: 2}},
		LedgerConfig{Cutoff: asOf, WindowStart: NoWindow})
	if len(rejects) != 0 {
		t.Fatalf("rejects: %v", rejects)
	}
	res, err := Score(book.Customers, book.Ledgers()[0], Options{AsOf: asOf, Bins: 5, CompatR: true, MoneyExponent: 2})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/expected_rfm.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if res.Len() != len(rows)-1 {
		t.Fatalf("scored %d customers, golden has %d", res.Len(), len(rows)-1)
	}
	bad := 0
	for _, row := range rows[1:] {
		id, ok := book.Customers.Lookup(row[0])
		if !ok {
			t.Errorf("%s: not scored", row[0])
			continue
		}
		cs, _ := res.Customer(id)
		got := []string{row[0], fmt.Sprint(cs.RecencyDays), fmt.Sprint(cs.Frequency), FormatAmountTrim(cs.Revenue, 2),
			strconv.Itoa(cs.R), strconv.Itoa(cs.F), strconv.Itoa(cs.M), strconv.Itoa(cs.RFMScore()), cs.Segment.Name}
		if fmt.Sprint(got) != fmt.Sprint(row) {
			bad++
			if bad < 10 {
				t.Errorf("got  %v\nwant %v", got, row)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d rows differ; cuts %+v", bad, len(rows)-1, res.Dimensions())
	}
}
