package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestWriteOrdersSkewAndDeterminism(t *testing.T) {
	sc := DefaultOrderScenario(200_000, 20_000)
	var a, b bytes.Buffer
	if _, err := WriteOrders(context.Background(), &a, sc, 2); err != nil {
		t.Fatal(err)
	}
	WriteOrders(context.Background(), &b, sc, 1)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("output depends on the worker count")
	}
	lines := strings.Split(strings.TrimSpace(a.String()), "\n")
	if lines[0] != strings.TrimSpace(ordersHeader) || len(lines) != 200_001 {
		t.Fatalf("header %q, %d lines", lines[0], len(lines))
	}
	per := map[string]int{}
	prevDate := ""
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 4 || f[2] < prevDate {
			t.Fatalf("line %q (dates must ascend)", l)
		}
		prevDate = f[2]
		per[f[1]]++
	}
	once, max := 0, 0
	for _, n := range per {
		if n == 1 {
			once++
		}
		if n > max {
			max = n
		}
	}
	if len(per) < 18_000 || len(per) > 20_000 {
		t.Errorf("%d customers, want about 20000", len(per))
	}
	if share := float64(once) / float64(len(per)); share < 0.4 || share > 0.6 {
		t.Errorf("one-time buyers %.2f of customers", share)
	}
	if max < 100 {
		t.Errorf("heaviest buyer has %d orders: no long tail", max)
	}
	if !strings.HasPrefix(lines[1], "1,") || !strings.Contains(lines[1], ",2019-") {
		t.Errorf("first line %q", lines[1])
	}
}
