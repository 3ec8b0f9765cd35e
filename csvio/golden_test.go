package csvio

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestGolden(t *testing.T) {
	cases := []struct {
		file string
		opts Options
	}{
		{"messy.csv", Options{Header: true}},
		{"cdnow_head.txt", Options{Whitespace: true}},
		{"rfm_orders_head.csv", Options{Header: true}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			rows := readEveryWay(t, string(in), c.opts)
			r, _ := readAll(t, bytes.NewReader(in), c.opts)
			var b strings.Builder
			if c.opts.Header {
				fmt.Fprintf(&b, "header: %q\n", r.Header())
			}
			for _, row := range rows {
				b.WriteString(strings.ReplaceAll(row.String(), "t.csv:", c.file+":"))
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "stats: %+v\n", r.Stats())
			golden := filepath.Join("testdata", c.file+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, b.String())
			}
			headerLines := 0
			if c.opts.Header {
				headerLines = 1
			}
			checkTiling(t, in, c.opts, rows, r.Stats(), headerLines)
		})
	}
}

// Real data sets (copied into testdata from shared/data, see
// testdata/README.md) read whole, without a single row error.
func TestRealDataSets(t *testing.T) {
	cases := []struct {
		path   string
		opts   Options
		rows   int64
		fields int
	}{
		{"testdata/cdnow_sample.txt", Options{Whitespace: true}, 6_919, 5},
		{"testdata/rfm_orders.csv", Options{Header: true}, 4_906, 6},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			f, err := os.Open(c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, rows := readAllBatch(t, f, c.opts, 1000)
			for _, row := range rows {
				if row.Err != nil || len(row.Fields) != c.fields {
					t.Fatalf("%v", row)
				}
			}
			if st := r.Stats(); st.Rows != c.rows || st.Errors != 0 {
				t.Fatalf("stats %+v, want %d rows", st, c.rows)
			}
		})
	}
}
