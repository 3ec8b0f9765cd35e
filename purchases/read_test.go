package purchases

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/rfm"
)

func writeOrders(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orders.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "order_id,customer_id,order_date,amount")
	for i := range n {
		fmt.Fprintf(w, "%d,%d,2024-%02d-%02d,%d.%02d\n", i+1, (i*7919)%(n/10+1)+1, 1+i%12, 1+i%28, 5+i%500, i%100)
	}
	w.Flush()
	f.Close()
	return path
}

func source(path string) *Source {
	return &Source{Path: path, CSV: csvio.Options{Header: true, Delimiter: ','},
		Mapping: map[string]string{}, Parser: rfm.RowParser{Amounts: rfm.AmountFormat{Exponent: 2}, Currency: "USD"}, Exponent: 2}
}

func TestReadKeepsFileOrderAndAliases(t *testing.T) {
	path := writeOrders(t, 50_000)
	var orders []uint64
	st, err := Read(context.Background(), source(path), nil, false, nil, func(ch *Chunk) error {
		for _, e := range ch.Events {
			orders = append(orders, e.Order)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 50_000 || st.Events != 50_000 || st.Rejected != 0 {
		t.Fatalf("%+v", st)
	}
	for i, o := range orders {
		if k, _ := rfm.KeyOf([]byte(fmt.Sprint(i + 1))); o != k {
			t.Fatalf("event %d has order key %d: out of file order", i, o)
		}
	}
}

func BenchmarkReadIntoBook(b *testing.B) {
	path := writeOrders(b, 1_000_000)
	b.ReportAllocs()
	b.SetBytes(1_000_000)
	for b.Loop() {
		book := rfm.NewBook(1_000_000, rfm.NewLedger(rfm.LedgerConfig{Cutoff: rfm.NoCutoff, WindowStart: rfm.NoWindow}))
		if _, err := Read(context.Background(), source(path), nil, false, nil, func(ch *Chunk) error {
			book.AddBatch(ch.Events)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadOnly(b *testing.B) {
	path := writeOrders(b, 1_000_000)
	b.ReportAllocs()
	b.SetBytes(1_000_000)
	for b.Loop() {
		if _, err := Read(context.Background(), source(path), nil, false, nil, func(ch *Chunk) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
