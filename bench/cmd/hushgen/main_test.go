package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hushcrm/hush/bench"
)

func TestHushgenWritesAScenario(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-dir", dir, "-rows", "2000", "-scale", "0.0001", "-seed", "3", "-hit", "0.4", "-invalid", "0.01"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	sc, err := bench.LoadScenario(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Rows != 2000 || sc.Seed != 3 || sc.Hit != 0.4 || sc.Invalid != 0.01 || sc.Lists[0].Entries != 4000 {
		t.Errorf("scenario.json: %+v", sc)
	}
	if !strings.Contains(out.String(), "2000 rows") || !strings.Contains(errb.String(), "national_dnc") {
		t.Errorf("output %q / %q", out.String(), errb.String())
	}
}

func TestHushgenUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-dir"}, {"-dir", "x", "extra"}, {"-dir", t.TempDir(), "-hit", "2"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code == 0 {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
