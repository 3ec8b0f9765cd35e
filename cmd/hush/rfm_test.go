package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const rfmOrders = "../../rfm/testdata/orders.csv"
const cdnowSample = "../../rfm/testdata/CDNOW_sample.txt"

func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(b), "\r\n", "\n")), "\n")
	slices.Sort(lines)
	return lines
}

// fileLines is a file's lines in order (CRLF read as LF).
func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(strings.ReplaceAll(string(b), "\r\n", "\n")), "\n")
}

// The R rfm package's file, row for row: its rows are sorted by
// customer_id, and so are --out's.
func TestRFMCompatMatchesGoldenFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "scores.csv")
	_, stderr, code := runCLI(t, "rfm", "--events", rfmOrders, "--map", "customer=customer_id,date=order_date,amount=revenue",
		"--as-of", "2006-12-31", "--compat", "r-rfm", "--out", out, "--rejected", filepath.Join(dir, "rej.csv"), "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, want := fileLines(t, out), fileLines(t, "../../rfm/testdata/expected_rfm.csv")
	if !slices.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("first difference:\n got %s\nwant %s", got[i], want[i])
			}
		}
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	if _, err := os.Stat(filepath.Join(dir, "rej.csv")); !os.IsNotExist(err) {
		t.Errorf("a rejected file was written with no rejected rows: %v", err)
	}
}

func cdnowArgs(extra ...string) []string {
	return append([]string{"--map", "customer=1,date=2,amount=4", "--delimiter", "whitespace", "--no-header"}, extra...)
}

func TestIngestThenStoredScoresEqualOneShot(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	rej := filepath.Join(dir, "rej.csv")
	args := append([]string{"ingest", "purchases", cdnowSample, "--data", data, "--rejected", rej, "--json"}, cdnowArgs()...)
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	var first struct{ Rows, Applied, Duplicates, Rejected int }
	if err := json.Unmarshal([]byte(stdout), &first); err != nil {
		t.Fatal(err, stdout)
	}
	if first.Rows != 6919 || first.Applied != 6919 || first.Rejected != 0 {
		t.Fatalf("first ingest %+v", first)
	}
	// The same file again: every row is a duplicate, counted once.
	stdout, stderr, code = runCLI(t, args...)
	if code != 0 {
		t.Fatalf("ingest again: exit %d: %s", code, stderr)
	}
	var again struct{ Applied, Duplicates int }
	json.Unmarshal([]byte(stdout), &again)
	if again.Applied != 0 || again.Duplicates != 6919 {
		t.Fatalf("second ingest %+v", again)
	}
	for _, extra := range [][]string{{"--as-of", "1998-06-30"}, {"--as-of", "1998-06-30", "--window", "180d", "--monetary", "mean"}, {"--as-of", "1997-12-31", "--compat", "r-rfm"}} {
		stored := filepath.Join(dir, "stored.csv")
		oneshot := filepath.Join(dir, "oneshot.csv")
		if _, e, code := runCLI(t, append([]string{"rfm", "--data", data, "--out", stored, "--format", "json"}, extra...)...); code != 0 {
			t.Fatalf("stored rfm %v: %d %s", extra, code, e)
		}
		if _, e, code := runCLI(t, append(append([]string{"rfm", "--events", cdnowSample, "--out", oneshot, "--format", "json", "--rejected", rej}, extra...), cdnowArgs()...)...); code != 0 {
			t.Fatalf("one-shot rfm %v: %d %s", extra, code, e)
		}
		// The same file, row for row (both in customer id order).
		if a, b := fileLines(t, stored), fileLines(t, oneshot); !slices.Equal(a, b) || len(a) < 100 {
			t.Fatalf("%v: stored and one-shot scores differ (%d vs %d lines)", extra, len(a), len(b))
		}
	}
	// After a snapshot and a restart the stored scores are the same.
	before := filepath.Join(dir, "before.csv")
	runCLI(t, "rfm", "--data", data, "--as-of", "1998-06-30", "--out", before, "--format", "json")
	if _, e, code := runCLI(t, "journal", "snapshot", "--data", data); code != 0 {
		t.Fatalf("snapshot: %d %s", code, e)
	}
	after := filepath.Join(dir, "after.csv")
	if _, e, code := runCLI(t, "rfm", "--data", data, "--as-of", "1998-06-30", "--out", after, "--format", "json"); code != 0 {
		t.Fatalf("rfm after snapshot: %d %s", code, e)
	}
	if !slices.Equal(fileLines(t, before), fileLines(t, after)) {
		t.Fatal("scores changed across a snapshot")
	}
	// Still idempotent after the snapshot (the order set was in it).
	stdout, _, _ = runCLI(t, args...)
	json.Unmarshal([]byte(stdout), &again)
	if again.Applied != 0 {
		t.Fatalf("after snapshot, re-ingest applied %d", again.Applied)
	}
}

func TestIngestRejectsWithLineAndReason(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "orders.csv")
	os.WriteFile(in, []byte("order_id,customer,date,amount,currency\n"+
		"1,a,2024-01-02,10.00,USD\n"+
		"2,,2024-01-02,10.00,USD\n"+
		"3,b,yesterday,10.00,USD\n"+
		"4,b,2024-01-02,\"1,200.00\",USD\n"+
		"5,b,2024-01-02,$5,USD\n"+
		"6,b,2024-01-02,5,EUR\n"+
		"7,b,2024-01-02\n"), 0o644)
	rej := filepath.Join(dir, "rej.csv")
	_, stderr, code := runCLI(t, "ingest", "purchases", in, "--map", "order=order_id", "--data", filepath.Join(dir, "data"), "--rejected", rej)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(rej)
	got := string(b)
	for _, want := range []string{
		"order_id,customer,date,amount,currency,hush_line,hush_reason",
		"2,,2024-01-02,10.00,USD,3,missing_customer",
		`3,b,yesterday,10.00,USD,4,"bad_date: ""yesterday"" is not ISO 8601, YYYYMMDD or Unix seconds"`,
		`5,b,2024-01-02,$5,USD,6,"bad_amount: ""$5"" has a currency symbol`,
		"6,b,2024-01-02,5,EUR,7,\"wrong_currency",
		`7,b,2024-01-02,8,"bad_row: wrong number of fields`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rejected file lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(got, `"4,b,2024-01-02,""1,200.00"",USD",5,"bad_amount`) && !strings.Contains(got, `4,b,2024-01-02,"1,200.00",USD,5,"bad_amount: ""1,200.00"" has a thousands separator`) {
		t.Errorf("thousands separator row: %s", got)
	}
	// With --thousands the same amount is read.
	os.WriteFile(in, []byte("order_id,customer,date,amount\n4,b,2024-01-02,\"1,200.00\"\n"), 0o644)
	stdout, stderr, code := runCLI(t, "ingest", "purchases", in, "--map", "order=order_id", "--thousands", ",", "--data", filepath.Join(dir, "data2"), "--json")
	if code != 0 || !strings.Contains(stdout, `"applied": 1`) {
		t.Fatalf("--thousands: %d %s %s", code, stdout, stderr)
	}
}

func TestRFMRulesCheckCLI(t *testing.T) {
	stdout, stderr, code := runCLI(t, "rfm", "rules", "check", "../../rfm/testdata/rules/eleven.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"unreachable rules (earlier rules take every cell): 4", "  New Customers\n", "  Promising\n", "  Can't Lose Them\n", "  Lost\n", "cells that fall to Others: 44", "444: Champions, Loyal Customers, Need Attention → Champions"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("- {name: Top, r: [4, 6], f: [4, 5], m: [4, 5]}\n"), 0o644)
	_, stderr, code = runCLI(t, "rfm", "rules", "check", bad)
	if code != exitUser || !strings.Contains(stderr, "rule 1 (Top): r range 4-6 is outside the scores 1..5") {
		t.Errorf("score 6: exit %d, %s", code, stderr)
	}
	os.WriteFile(bad, []byte("- {name: Top, r: [4, 5], m: [4, 5]}\n"), 0o644)
	_, stderr, code = runCLI(t, "rfm", "--events", rfmOrders, "--map", "customer=customer_id,date=order_date,amount=revenue", "--as-of", "2006-12-31", "--rules", bad)
	if code != exitUser || !strings.Contains(stderr, "rule 1 (Top): missing field f") {
		t.Errorf("missing f: exit %d, %s", code, stderr)
	}
}

func TestRFMEdgeInputsCLI(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	// Zero customers: a header only.
	empty := write("empty.csv", "customer,date,amount\n")
	stdout, stderr, code := runCLI(t, "rfm", "--events", empty, "--as-of", "2024-12-31", "--format", "json", "--rejected", filepath.Join(dir, "e.rej"))
	if code != 0 || !strings.Contains(stderr, "no customers to score") || !strings.Contains(stdout, `"customers": 0`) {
		t.Errorf("zero customers: %d %s %s", code, stdout, stderr)
	}
	// Every customer one order: frequency ties give a warning, not a crash.
	var sb strings.Builder
	sb.WriteString("customer,date,amount\n")
	for i := range 40 {
		fmt.Fprintf(&sb, "c%d,2024-%02d-%02d,%d.50\n", i, 1+i%12, 1+i%28, 10+i)
	}
	one := write("one.csv", sb.String())
	_, stderr, code = runCLI(t, "rfm", "--events", one, "--as-of", "2024-12-31", "--rejected", filepath.Join(dir, "one.rej"))
	if code != 0 || !strings.Contains(stderr, "frequency: score levels 2, 3, 4, 5 are empty") || !strings.Contains(stderr, "40 rows (0 rejected)") {
		t.Errorf("one order each: %d %s", code, stderr)
	}
	// One customer.
	solo := write("solo.csv", "customer,date,amount\nx,2024-03-01,10\nx,2024-06-01,20\n")
	stdout, _, code = runCLI(t, "rfm", "--events", solo, "--as-of", "2024-12-31", "--format", "json", "--rejected", filepath.Join(dir, "s.rej"))
	if code != 0 || !strings.Contains(stdout, `"customers": "<10"`) {
		t.Errorf("one customer: %d %s", code, stdout)
	}
	// NDJSON input, mapped keys, a return.
	nd := write("orders.ndjson", `{"cust":"a","ts":"2024-01-01T10:00:00Z","total":10.5,"order":"o1"}`+"\n"+
		`{"cust":"a","ts":1704153600,"total":"4","order":"o2"}`+"\n"+
		`{"cust":"a","ts":"2024-01-03","total":3,"order":"o2","return":true}`+"\n"+
		`not json`+"\n")
	out := filepath.Join(dir, "nd.csv")
	_, stderr, code = runCLI(t, "rfm", "--events", nd, "--map", "customer=cust,date=ts,amount=total,order=order", "--as-of", "2024-12-31",
		"--bins", "2", "--rules", write("all.yaml", "- {name: All, r: [1,2], f: [1,2], m: [1,2]}\n"), "--out", out, "--rejected", filepath.Join(dir, "nd.rej"))
	if code != 0 {
		t.Fatalf("ndjson: %d %s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "a,364,2,11.5,") {
		t.Errorf("ndjson scores: %s", b)
	}
	rb, _ := os.ReadFile(filepath.Join(dir, "nd.rej"))
	if !strings.Contains(string(rb), "4,bad_row: not a JSON object") {
		t.Errorf("ndjson rejects: %s", rb)
	}
}

func TestRFMLapsedAndMigrationCLI(t *testing.T) {
	base := []string{"--events", rfmOrders, "--map", "customer=customer_id,date=order_date,amount=revenue", "--format", "json"}
	stdout, stderr, code := runCLI(t, append([]string{"rfm", "lapsed", "--as-of", "2006-12-31", "--period", "3m", "--list", filepath.Join(t.TempDir(), "lapsed.csv")}, base...)...)
	if code != 0 {
		t.Fatalf("lapsed: %d %s", code, stderr)
	}
	var lp struct {
		DidNotBuy json.RawMessage `json:"did_not_buy"`
	}
	if err := json.Unmarshal([]byte(stdout), &lp); err != nil || len(lp.DidNotBuy) == 0 {
		t.Fatalf("lapsed json: %v %s", err, stdout)
	}
	stdout, stderr, code = runCLI(t, append([]string{"rfm", "migration", "--from", "2006-06-30", "--as-of", "2006-12-31"}, base...)...)
	if code != 0 || !strings.Contains(stdout, `"Champions"`) {
		t.Fatalf("migration: %d %s %s", code, stdout, stderr)
	}
}

// --out lists customers by customer id — numbers in numeric order, then
// other ids in byte order — whatever the order of the rows: the one-shot
// tally (numbers only), the Book it hands over to (names too), and the
// stored path all write the same file for the same orders.
func TestRFMOutInCustomerIDOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rows []string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("order_id,customer_id,order_date,amount\n"+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var numeric, mixed []string
	for i := range 3000 {
		cust := fmt.Sprint((i*7919)%997 + 1) // 1..997, first seen out of order
		numeric = append(numeric, fmt.Sprintf("%d,%s,2024-%02d-%02d,%d.%02d", i+1, cust, 1+i%12, 1+i%28, i%300, i%100))
		if i%3 == 0 {
			cust = []string{"b", "a", "B", "ab", "a b", "Zed", "0x1", "007", "10"}[i/3%9] + fmt.Sprint(i%5)
		}
		mixed = append(mixed, fmt.Sprintf("%d,%s,2024-%02d-%02d,%d.%02d", i+1, cust, 1+i%12, 1+i%28, i%300, i%100))
	}
	shuffle := func(rows []string) []string {
		out := slices.Clone(rows)
		slices.Reverse(out)
		for i := 0; i+2 < len(out); i += 3 {
			out[i], out[i+2] = out[i+2], out[i]
		}
		return out
	}
	score := func(in, name string) []string {
		out := filepath.Join(dir, name+".csv")
		if _, e, code := runCLI(t, "rfm", "--events", in, "--map", "order=order_id", "--as-of", "2024-12-31", "--out", out, "--format", "json", "--rejected", filepath.Join(dir, name+".rej")); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, e)
		}
		return fileLines(t, out)
	}
	for _, tc := range []struct {
		name string
		rows []string
	}{{"numeric", numeric}, {"mixed", mixed}} {
		got := score(write(tc.name+".in", tc.rows), tc.name)
		if again := score(write(tc.name+"-shuffled.in", shuffle(tc.rows)), tc.name+"-shuffled"); !slices.Equal(got, again) {
			t.Fatalf("%s: the same orders in another row order give another --out", tc.name)
		}
		var ids []string
		for _, l := range got[1:] {
			id, _, _ := strings.Cut(l, ",")
			ids = append(ids, id)
		}
		if len(ids) < 900 {
			t.Fatalf("%s: %d customers", tc.name, len(ids))
		}
		numbers := 0
		for numbers < len(ids) && isCanonical(ids[numbers]) {
			numbers++
		}
		for i := 1; i < len(ids); i++ {
			switch {
			case i < numbers && !(len(ids[i-1]) < len(ids[i]) || len(ids[i-1]) == len(ids[i]) && ids[i-1] < ids[i]):
				t.Fatalf("%s: number %s before %s", tc.name, ids[i-1], ids[i])
			case i > numbers && ids[i-1] >= ids[i]:
				t.Fatalf("%s: id %q before %q", tc.name, ids[i-1], ids[i])
			case i >= numbers && isCanonical(ids[i]):
				t.Fatalf("%s: number %s after the other ids", tc.name, ids[i])
			}
		}
		if tc.name == "mixed" {
			if numbers == len(ids) || !slices.Contains(ids, "0070") || !slices.Contains(ids, "a b1") || !slices.Contains(ids, "103") {
				t.Fatalf("mixed: %d numbers of %d ids: %v", numbers, len(ids), ids[numbers:])
			}
			// The stored path writes the same file.
			data := filepath.Join(dir, "data")
			if _, e, code := runCLI(t, "ingest", "purchases", write("mixed-ingest.in", shuffle(tc.rows)), "--map", "order=order_id", "--data", data, "--rejected", filepath.Join(dir, "ing.rej"), "--json"); code != 0 {
				t.Fatalf("ingest: %d %s", code, e)
			}
			stored := filepath.Join(dir, "stored.csv")
			if _, e, code := runCLI(t, "rfm", "--data", data, "--as-of", "2024-12-31", "--out", stored, "--format", "json"); code != 0 {
				t.Fatalf("stored rfm: %d %s", code, e)
			}
			if !slices.Equal(fileLines(t, stored), got) {
				t.Fatal("mixed: stored --out differs from one-shot")
			}
		}
	}
}

// isCanonical: a canonical decimal id ("42", not "042"), which --out
// orders by number.
func isCanonical(s string) bool {
	if s == "" || len(s) > 18 || s[0] == '0' && len(s) > 1 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
