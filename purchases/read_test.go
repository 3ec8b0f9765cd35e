package purchases

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		book := rfm.NewBook(0, rfm.NewLedger(rfm.LedgerConfig{Cutoff: rfm.NoCutoff, WindowStart: rfm.NoWindow}))
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

// TestBlocksMatchCSVIO reads one tricky file (several blocks: quoted
// fields with commas and newlines, CRLF, blank lines, ragged rows, bad
// values, a missing final newline) through the block reader and through
// csvio alone: same events, same rejects, same lines.
func TestBlocksMatchCSVIO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tricky.csv")
	f, _ := os.Create(path)
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "\ufefforder_id,customer,date,amount\r\n")
	for i := range 400_000 {
		k := i % 997
		if k == 1 && i > 100_000 && i < 300_000 {
			k = 0 // blocks without quotes in the middle, quoted ones around them
		}
		switch k {
		case 1:
			fmt.Fprintf(w, "%d,\"O'Brien, \"\"Pat\"\"\nsecond line\",2024-01-02,%d.25\n", i, i%300)
		case 2:
			fmt.Fprint(w, "\n  \n")
		case 3:
			fmt.Fprintf(w, "%d,short\n", i)
		case 4:
			fmt.Fprintf(w, "%d,c%d,2024-13-01,1\r\n", i, i)
		case 5:
			fmt.Fprintf(w, "%d,c%d,2024-01-01,\"1,000\"\n", i, i)
		case 6, 7, 8: // a repeated date (the parser remembers the last one)
			fmt.Fprintf(w, "%d,c%d,2024-03-03,%d\n", i, i%50, i%40)
		case 9, 10: // a repeated bad date: rejected every time
			fmt.Fprintf(w, "%d,c%d,2024-02-30,%d\n", i, i%50, i%40)
		default:
			fmt.Fprintf(w, "%d,c%d,2024-%02d-%02d,%d.%02d\r\n", i, i%5000, 1+i%12, 1+i%28, i%900, i%100)
		}
	}
	fmt.Fprint(w, "last,c1,2024-01-01,9")
	w.Flush()
	f.Close()
	type out struct {
		events  []string
		rejects []string
		st      Stats
	}
	read := func(noBlocks, noMap bool) out {
		src := source(path)
		src.noBlocks, src.noMap = noBlocks, noMap
		var o out
		var rej strings.Builder
		st, err := Read(context.Background(), src, &rej, false, nil, func(ch *Chunk) error {
			for _, e := range ch.Events {
				o.events = append(o.events, fmt.Sprintf("%d/%d/%s/%d/%d/%v", e.Order, e.Customer, e.CustomerName, e.Day, e.Amount, e.Return))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		o.rejects = strings.Split(rej.String(), "\n")
		o.st = st
		return o
	}
	slow := read(true, false)
	for _, noMap := range []bool{false, true} { // the file mapped, or read as a stream
		fast := read(false, noMap)
		sameRead(t, fast, slow)
	}
}

func sameRead(t *testing.T, fast, slow struct {
	events  []string
	rejects []string
	st      Stats
}) {
	t.Helper()
	if fast.st.Rows != slow.st.Rows || fast.st.Events != slow.st.Events || fast.st.Rejected != slow.st.Rejected {
		t.Fatalf("stats: blocks %+v, csvio %+v", fast.st, slow.st)
	}
	if len(fast.events) != len(slow.events) || len(fast.events) < 390_000 {
		t.Fatalf("%d vs %d events", len(fast.events), len(slow.events))
	}
	for i := range fast.events {
		if fast.events[i] != slow.events[i] {
			t.Fatalf("event %d: blocks %s, csvio %s", i, fast.events[i], slow.events[i])
		}
	}
	for i := range min(len(fast.rejects), len(slow.rejects)) {
		if fast.rejects[i] != slow.rejects[i] {
			t.Fatalf("reject %d: blocks %q, csvio %q", i, fast.rejects[i], slow.rejects[i])
		}
	}
	if len(fast.rejects) != len(slow.rejects) {
		t.Fatalf("%d vs %d reject lines", len(fast.rejects), len(slow.rejects))
	}
}

func TestSafeCut(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"a,b\nc,d\ne", 8},
		{"a,b", -1},
		{"a,\"b\nc\",d\ne", 10},
		{"a,\"b\nc", -1},
		{"x\n\"open\nstill", 2},
	} {
		if got := safeCut([]byte(tt.in)); got != tt.want {
			t.Errorf("safeCut(%q) = %d, want %d", tt.in, got, tt.want)
		}
		if got, free := quoteCut([]byte(tt.in)); got != tt.want || free != !strings.Contains(tt.in, "\"") {
			t.Errorf("quoteCut(%q) = %d, %v", tt.in, got, free)
		}
	}
}

func BenchmarkReadIntoBookCSVIO(b *testing.B) {
	path := writeOrders(b, 1_000_000)
	b.ReportAllocs()
	b.SetBytes(1_000_000)
	for b.Loop() {
		book := rfm.NewBook(0, rfm.NewLedger(rfm.LedgerConfig{Cutoff: rfm.NoCutoff, WindowStart: rfm.NoWindow}))
		src := source(path)
		src.noBlocks = true
		if _, err := Read(context.Background(), src, nil, false, nil, func(ch *Chunk) error {
			book.AddBatch(ch.Events)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// A mapped file cut short while it is read is an error, not a crash.
func TestMappedFileTruncatedIsAnError(t *testing.T) {
	path := writeOrders(t, 1_500_000)
	first := true
	_, err := Read(context.Background(), source(path), nil, false, nil, func(ch *Chunk) error {
		if first {
			first = false
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range ch.Events {
			_ = e.CustomerName
		}
		return nil
	})
	if !errors.Is(err, ErrFileChanged) {
		t.Fatalf("err %v, want ErrFileChanged", err)
	}
}
