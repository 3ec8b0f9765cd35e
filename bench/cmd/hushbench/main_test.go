package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hushcrm/hush/bench"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"scrub", "-peers", "oracle"}, 1, "unknown peer"},
		{[]string{"scrub", "-runs", "0"}, 1, "-runs"},
		{[]string{"import", "-numbers", "0"}, 1, "-numbers"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
}

func TestScenarioIsGeneratedOnceAndGuarded(t *testing.T) {
	dir := t.TempDir()
	f := scrubFlags{dir: dir, seed: 4, rows: 500, scale: 0.0001, hit: 0.3, invalid: 0.01, set: map[string]bool{"rows": true}}
	var log bytes.Buffer
	sc, err := scenario(context.Background(), f, &log)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Rows != 500 || sc.Generated == nil || !strings.Contains(log.String(), "generating") {
		t.Fatalf("first call: %+v, log %q", sc, log.String())
	}
	if _, err := os.Stat(filepath.Join(dir, sc.Campaign.File)); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	again, err := scenario(context.Background(), f, &log)
	if err != nil || again.Rows != 500 || strings.Contains(log.String(), "generating") {
		t.Fatalf("second call regenerated or failed: %v, log %q", err, log.String())
	}
	f.rows = 600
	if _, err := scenario(context.Background(), f, &log); err == nil || !strings.Contains(err.Error(), "-rows") {
		t.Fatalf("a different -rows on an existing scenario: %v", err)
	}
	f.set = map[string]bool{} // -rows not given: the scenario on disk wins
	if sc, err := scenario(context.Background(), f, &log); err != nil || sc.Rows != 500 {
		t.Fatalf("reuse without -rows: %v, %d rows", err, sc.Rows)
	}
}

func TestFinishChecksCountsAgainstFiles(t *testing.T) {
	dir := t.TempDir()
	o := outputsIn(dir)
	for path, body := range map[string]string{o.Clean: "a,b,c,d\n1,,,\n2,,,\n", o.Suppressed: "a,b,c,d,r\n3,,,,x\n", o.Rejected: "a,b,c,d\n"} {
		os.WriteFile(path, []byte(body), 0o644)
	}
	good := bench.Counts{Clean: 2, Suppressed: 1}
	tr, err := finish(&toolResult{Tool: "x", Outputs: o, Runs: []toolRun{{Seconds: 3}, {Seconds: 1, Counts: &good}}})
	if err != nil || tr.Median != 2 || tr.Counts != good {
		t.Fatalf("finish = %+v, %v", tr, err)
	}
	bad := bench.Counts{Clean: 3}
	if _, err := finish(&toolResult{Tool: "x", Outputs: o, Runs: []toolRun{{Seconds: 1, Counts: &bad}}}); err == nil {
		t.Fatal("finish accepted counts that disagree with the files")
	}
}

func TestDirSize(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "x"), make([]byte, 100), 0o644)
	os.WriteFile(filepath.Join(dir, "a", "b", "y"), make([]byte, 23), 0o644)
	if n, err := dirSize(dir); err != nil || n != 123 {
		t.Fatalf("dirSize = %d, %v", n, err)
	}
}
