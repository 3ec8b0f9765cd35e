package csvio

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// ReadBatch reserves a batch's memory before filling it: after the first
// batch of a uniform file the rows, offsets and arena need no growth, and
// the rows read are the same as row-at-a-time reading gives.
func TestReadBatchReserves(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rows  int
		max   int
		field string
	}{
		{"short", 5000, 1000, "x"},
		{"long", 3000, 500, strings.Repeat("y", 300)},
		{"quoted", 2000, 700, `"a ""q"" b"`},
		{"one-batch", 10, 4096, "z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sb strings.Builder
			sb.WriteString("a,b,c\n")
			for i := range tc.rows {
				fmt.Fprintf(&sb, "%d,%s,%d\n", i, tc.field, i*7)
			}
			r, err := NewReader(strings.NewReader(sb.String()), "t.csv", Options{Header: true})
			if err != nil {
				t.Fatal(err)
			}
			var b Batch
			n, batches := 0, 0
			var caps [3]int
			for {
				err := r.ReadBatch(&b, tc.max)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if cap(b.rows) < min(tc.max, maxReserveRows) {
					t.Fatalf("rows reserved %d, want >= %d", cap(b.rows), tc.max)
				}
				now := [3]int{cap(b.rows), cap(b.offs), cap(b.arena)}
				if batches > 0 && now != caps {
					t.Fatalf("batch %d regrew: caps %v, before %v", batches, now, caps)
				}
				caps = now
				for i := range b.Len() {
					row := b.Row(i)
					if row.Err != nil || string(row.Field(0)) != fmt.Sprint(n) {
						t.Fatalf("row %d: %q %v", n, row.Field(0), row.Err)
					}
					n++
				}
				batches++
			}
			if n != tc.rows {
				t.Fatalf("%d rows, want %d", n, tc.rows)
			}
		})
	}
}
