package rfm

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/hushcrm/hush/csvio"
)

// loadCSV feeds a CSV file (with header) through a RowParser into a new
// book with one ledger cut off at asOf; it returns the rejects by line.
func loadCSV(t testing.TB, path string, opts csvio.Options, mapping string, p RowParser, cfg LedgerConfig) (*Book, map[int64]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return loadReader(t, f, path, opts, mapping, p, cfg)
}

func loadString(t testing.TB, data, mapping string, p RowParser, cfg LedgerConfig) (*Book, map[int64]string) {
	t.Helper()
	return loadReader(t, strings.NewReader(data), "test.csv", csvio.Options{Header: true}, mapping, p, cfg)
}

func loadReader(t testing.TB, src io.Reader, name string, opts csvio.Options, mapping string, p RowParser, cfg LedgerConfig) (*Book, map[int64]string) {
	t.Helper()
	r, err := csvio.NewReader(src, name, opts)
	if err != nil {
		t.Fatal(err)
	}
	m, err := csvio.ParseMapping(mapping)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := r.ResolveColumns(m, FieldNames)
	if err != nil {
		t.Fatal(err)
	}
	get := func(k string) int {
		if i, ok := cols[k]; ok {
			return i
		}
		return -1
	}
	p.Cols = Columns{Customer: get("customer"), Date: get("date"), Amount: get("amount"),
		Order: get("order"), Currency: get("currency"), Return: get("return")}
	book := NewBook(0, NewLedger(cfg))
	rejects := map[int64]string{}
	var b csvio.Batch
	var e Event
	for {
		err := r.ReadBatch(&b, 0)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < b.Len(); i++ {
			row := b.Row(i)
			if row.Err != nil {
				rejects[row.Line] = row.Err.Error()
				continue
			}
			if err := p.Parse(row, &e); err != nil {
				rejects[row.Line] = err.Error()
				continue
			}
			book.Add(&e)
		}
	}
	return book, rejects
}

func mustDay(t testing.TB, s string) Day {
	t.Helper()
	d, err := ParseDate([]byte(s), DateAuto)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
