//go:build peers

// The peer tests start PostgreSQL and install DuckDB's Node client, so they
// are kept out of the normal suite: go test -tags peers ./bench/peers/

package peers

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hushcrm/hush/bench"
)

// scenarioDir generates a small scenario in a directory the PostgreSQL
// server's OS user can read.
func scenarioDir(t *testing.T, sc bench.Scenario) string {
	t.Helper()
	root, err := os.MkdirTemp("", "hush-peers-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := bench.Generate(context.Background(), root, sc, 2, nil); err != nil {
		t.Fatal(err)
	}
	return root
}

func outputsIn(dir string) bench.Outputs {
	return bench.Outputs{Clean: filepath.Join(dir, "clean.csv"), Suppressed: filepath.Join(dir, "suppressed.csv"), Rejected: filepath.Join(dir, "rejected.csv")}
}

func TestPeersAgreeWithTheReference(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sc := bench.NewScenario(21, 10_000, 0.0005, bench.DefaultHit, 0.01)
	dir := scenarioDir(t, sc)

	refOut := outputsIn(filepath.Join(dir, "ref"))
	os.MkdirAll(filepath.Join(dir, "ref"), 0o755)
	referenceScrub(t, sc, dir, refOut)
	ref, err := bench.FingerprintOutputs(refOut, 4)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Counts.Suppressed < 2500 || ref.Counts.Rejected < 50 {
		t.Fatalf("reference %v: the scenario is too tame to test anything", ref.Counts)
	}
	campaign := filepath.Join(dir, sc.Campaign.File)

	t.Run("postgres", func(t *testing.T) {
		pg, err := StartPostgres(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := pg.Stop(); err != nil {
				t.Error(err)
			}
		}()
		pre, err := pg.Preload(ctx, sc, dir, filepath.Join(dir, "pg-preload.sql"))
		if err != nil {
			t.Fatal(err)
		}
		if len(pre.Steps) != 3*len(sc.Lists) {
			t.Errorf("preload timed %d steps, want %d: %+v", len(pre.Steps), 3*len(sc.Lists), pre.Steps)
		}
		rows, err := pg.Query(ctx, "SELECT count(*) FROM l_national_dnc")
		if err != nil || len(rows) != 1 || rows[0][0] != "20000" {
			t.Fatalf("national_dnc table: %v, %v", rows, err)
		}
		outDir := filepath.Join(dir, "pg")
		if err := pg.PrepareOutDir(outDir); err != nil {
			t.Fatal(err)
		}
		for run := range 2 { // a second run must work on a warm server too
			res, err := pg.Scrub(ctx, sc, campaign, outputsIn(outDir), filepath.Join(dir, "pg-scrub.sql"))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Steps) != 6 || res.Seconds <= 0 {
				t.Errorf("run %d: steps %+v in %.2f s", run, res.Steps, res.Seconds)
			}
			got, err := bench.FingerprintOutputs(outputsIn(outDir), 4)
			if err != nil {
				t.Fatal(err)
			}
			if err := bench.Compare("reference", ref, "postgres", got, 5); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("duckdb", func(t *testing.T) {
		duck, err := NewDuckDB(ctx, "", filepath.Join(dir, "duck.db"), 2)
		if err != nil {
			t.Fatal(err)
		}
		defer duck.Close()
		if _, err := duck.Preload(ctx, sc, dir, filepath.Join(dir, "duck-preload.sql")); err != nil {
			t.Fatal(err)
		}
		outDir := filepath.Join(dir, "duckdb")
		os.MkdirAll(outDir, 0o755)
		for run := range 2 {
			res, err := duck.Scrub(ctx, sc, campaign, outputsIn(outDir), filepath.Join(dir, "duck-scrub.sql"))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Steps) != 6 || res.Seconds <= 0 {
				t.Errorf("run %d: steps %+v in %.2f s", run, res.Steps, res.Seconds)
			}
			got, err := bench.FingerprintOutputs(outputsIn(outDir), 4)
			if err != nil {
				t.Fatal(err)
			}
			if err := bench.Compare("reference", ref, "duckdb", got, 5); err != nil {
				t.Fatal(err)
			}
		}
	})
}
