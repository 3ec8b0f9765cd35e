package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/hushcrm/hush/bench"
	"github.com/hushcrm/hush/bench/peers"
)

type scrubFlags struct {
	dir, hush, peers, pgBin, nodeModules string
	seed                                 uint64
	rows                                 int64
	scale, hit, invalid                  float64
	runs                                 int
	set                                  map[string]bool
}

// toolRun is one timed scrub by one tool.
type toolRun struct {
	Seconds      float64          `json:"seconds"`                 // wall time of the process
	CPUSeconds   float64          `json:"cpu_seconds,omitempty"`   // user+system time of the process
	InnerSeconds float64          `json:"inner_seconds,omitempty"` // what the tool reports itself
	MaxRSS       int64            `json:"max_rss_bytes,omitempty"` // hush only
	Steps        []peers.StepTime `json:"steps,omitempty"`         // peers only
	Counts       *bench.Counts    `json:"counts,omitempty"`        // hush's own --json counts
}

// toolResult is everything about one tool.
type toolResult struct {
	Tool     string     `json:"tool"`
	Load     []loadStep `json:"load"` // untimed-in-the-scrub preparation
	LoadSecs float64    `json:"load_seconds"`
	Runs     []toolRun  `json:"runs"`
	Median   float64    `json:"median_seconds"`
	// MedianCPU is the median user+system time (rfm: a fairer ratio than
	// wall time on a machine shared with other jobs).
	MedianCPU float64       `json:"median_cpu_seconds,omitempty"`
	RowsPerS  float64       `json:"rows_per_second"`
	VsHush    float64       `json:"vs_hush"` // median / hush's median
	Counts    bench.Counts  `json:"counts"`
	Outputs   bench.Outputs `json:"outputs"`
	Agrees    *bool         `json:"agrees_with_hush,omitempty"`
	Mismatch  string        `json:"mismatch,omitempty"`
	fp        *bench.Fingerprint
}

type loadStep struct {
	Name    string  `json:"name"`
	Rows    int64   `json:"rows,omitempty"`
	Seconds float64 `json:"seconds"`
	MaxRSS  int64   `json:"max_rss_bytes,omitempty"`
	Note    string  `json:"note,omitempty"`
}

type scrubReport struct {
	Machine  machine        `json:"machine"`
	Scenario bench.Scenario `json:"scenario"`
	Runs     int            `json:"runs"`
	Tools    []*toolResult  `json:"tools"`
}

func runScrub(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f scrubFlags
	fs := flag.NewFlagSet("hushbench scrub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.dir, "dir", filepath.Join(os.TempDir(), "hush-bench", "scrub"), "scenario directory (generated there if it has no scenario.json); outputs go to DIR/out")
	fs.Uint64Var(&f.seed, "seed", bench.DefaultSeed, "seed, when generating")
	fs.Int64Var(&f.rows, "rows", bench.DefaultRows, "campaign rows, when generating")
	fs.Float64Var(&f.scale, "scale", 1, "list sizes relative to the target scenario (60M entries), when generating")
	fs.Float64Var(&f.hit, "hit", bench.DefaultHit, "share of rows made to hit a list, when generating")
	fs.Float64Var(&f.invalid, "invalid", bench.DefaultInvalid, "share of rows with an invalid key, when generating")
	fs.StringVar(&f.hush, "hush", "", "hush binary (default: go build ./cmd/hush into a temp dir)")
	fs.StringVar(&f.peers, "peers", "pg,duckdb", "peers to run: pg, duckdb, both, or none")
	fs.IntVar(&f.runs, "runs", 3, "timed scrubs per tool")
	fs.StringVar(&f.pgBin, "pgbin", peers.DefaultPGBin, "directory of PostgreSQL's initdb, pg_ctl and psql")
	fs.StringVar(&f.nodeModules, "node-modules", "", "directory with @duckdb/node-api installed, or to install it into (default: a temp dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || f.runs < 1 {
		return errors.New("want flags only, and -runs >= 1")
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	var peerNames []string
	for _, p := range strings.Split(f.peers, ",") {
		switch p = strings.TrimSpace(p); p {
		case "", "none":
		case "pg", "postgres", "postgresql":
			peerNames = append(peerNames, "pg")
		case "duckdb", "duck":
			peerNames = append(peerNames, "duckdb")
		default:
			return fmt.Errorf("-peers: unknown peer %q (want pg, duckdb or none)", p)
		}
	}

	sc, err := scenario(ctx, f, stderr)
	if err != nil {
		return err
	}
	out := filepath.Join(f.dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "hushbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := f.hush
	if bin == "" {
		fmt.Fprintln(stderr, "building ./cmd/hush ...")
		if bin, err = buildHush(ctx, tmp); err != nil {
			return err
		}
	}
	rep := &scrubReport{Machine: describeMachine(ctx, bin), Scenario: sc, Runs: f.runs}
	fmt.Fprintf(stderr, "machine: %d CPUs, load average %s, %s\n", rep.Machine.CPUs, rep.Machine.LoadAvg, rep.Machine.Hush)

	hr, err := scrubHush(ctx, f, sc, bin, out, stderr)
	if err != nil {
		return err
	}
	rep.Tools = append(rep.Tools, hr)
	var failures []string
	for _, p := range peerNames {
		var pr *toolResult
		switch p {
		case "pg":
			pr, err = scrubPostgres(ctx, f, sc, out, stderr)
		case "duckdb":
			pr, err = scrubDuckDB(ctx, f, sc, out, stderr)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		agrees := true
		if err := bench.Compare("hush", hr.fp, pr.Tool, pr.fp, 5); err != nil {
			agrees = false
			pr.Mismatch = err.Error()
			failures = append(failures, err.Error())
			fmt.Fprintf(stderr, "\n!!! %s DISAGREES WITH HUSH !!!\n%v\n\n", pr.Tool, err)
		}
		pr.Agrees = &agrees
		rep.Tools = append(rep.Tools, pr)
	}
	for _, t := range rep.Tools {
		t.RowsPerS = float64(sc.Rows) / t.Median
		t.VsHush = t.Median / hr.Median
	}
	printScrubReport(stdout, rep)
	resultsPath := filepath.Join(out, "results.json")
	if err := writeJSON(resultsPath, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nfull results: %s\n", resultsPath)
	if len(failures) > 0 {
		return fmt.Errorf("%d peer(s) disagree with hush: the timings above compare different work", len(failures))
	}
	return nil
}

// scenario loads DIR's scenario, or generates it.
func scenario(ctx context.Context, f scrubFlags, stderr io.Writer) (bench.Scenario, error) {
	sc, err := bench.LoadScenario(f.dir)
	if err == nil {
		for name, differs := range map[string]bool{
			"rows": sc.Rows != f.rows, "seed": sc.Seed != f.seed, "scale": sc.Scale != f.scale,
			"hit": sc.Hit != f.hit, "invalid": sc.Invalid != f.invalid,
		} {
			if f.set[name] && differs {
				return sc, fmt.Errorf("%s already holds a scenario with other -%s (rows %d, seed %d, scale %g, hit %g, invalid %g): pick another -dir or remove it",
					f.dir, name, sc.Rows, sc.Seed, sc.Scale, sc.Hit, sc.Invalid)
			}
		}
		fmt.Fprintf(stderr, "scenario %s: %d rows, %d list entries\n", f.dir, sc.Rows, sc.TotalEntries())
		return sc, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return sc, err
	}
	sc = bench.NewScenario(f.seed, f.rows, f.scale, f.hit, f.invalid)
	fmt.Fprintf(stderr, "generating %s: %d rows, %d list entries ...\n", f.dir, sc.Rows, sc.TotalEntries())
	rep, err := bench.Generate(ctx, f.dir, sc, 0, func(fr bench.FileReport) {
		fmt.Fprintf(stderr, "  %-16s %11d lines %7.1f s\n", fr.Name, fr.Lines, fr.Seconds)
	})
	if err != nil {
		return sc, err
	}
	fmt.Fprintf(stderr, "generated %.2f GB in %.1f s\n", float64(rep.Bytes)/1e9, rep.Seconds)
	sc.Generated = rep
	return sc, nil
}

func outputsIn(dir string) bench.Outputs {
	return bench.Outputs{Clean: filepath.Join(dir, "clean.csv"), Suppressed: filepath.Join(dir, "suppressed.csv"), Rejected: filepath.Join(dir, "rejected.csv")}
}

// scrubHush creates and imports the lists into a fresh data dir, then
// scrubs -runs times.
func scrubHush(ctx context.Context, f scrubFlags, sc bench.Scenario, bin, out string, stderr io.Writer) (*toolResult, error) {
	data := filepath.Join(out, "hush-data")
	if err := os.RemoveAll(data); err != nil {
		return nil, err
	}
	outDir := filepath.Join(out, "hush")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(out, "hush.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	h := hushCmd{bin: bin, data: data, region: sc.Campaign.Region, log: logf}
	tr := &toolResult{Tool: "hush", Outputs: outputsIn(outDir)}
	for _, l := range sc.Lists {
		var created map[string]any
		if _, err := h.runJSON(ctx, &created, "lists", "create", l.Name, "--kind", l.Kind, "--type", l.Type,
			"--channels", l.Channels, "--purposes", l.Purposes, "--source", l.Source); err != nil {
			return nil, err
		}
		args := []string{"import", "--list", l.Name, "--format", l.Format, "--mode", "replace",
			"--rejected", filepath.Join(out, "hush-import-"+l.Name+".rejected.csv")}
		if l.Column != "" {
			args = append(args, "--column", l.Column)
		}
		var imp struct {
			Import struct {
				Rows, Accepted, Rejected, Unique uint64
				Seconds                          float64
			} `json:"import"`
		}
		res, err := h.runJSON(ctx, &imp, append(args, filepath.Join(f.dir, l.File))...)
		if err != nil {
			return nil, err
		}
		if imp.Import.Rejected > 0 || imp.Import.Rows != uint64(l.Entries) {
			return nil, fmt.Errorf("hush import of %s read %d rows and rejected %d: want %d rows, none rejected (see %s)",
				l.Name, imp.Import.Rows, imp.Import.Rejected, l.Entries, filepath.Join(out, "hush-import-"+l.Name+".rejected.csv"))
		}
		st := loadStep{Name: "import " + l.Name, Rows: int64(imp.Import.Rows), Seconds: res.Wall, MaxRSS: res.MaxRSS,
			Note: fmt.Sprintf("%d distinct keys, hush reports %.2f s", imp.Import.Unique, imp.Import.Seconds)}
		tr.Load = append(tr.Load, st)
		tr.LoadSecs += res.Wall
		fmt.Fprintf(stderr, "hush: %s: %d rows in %.1f s (%.2f M rows/s), peak RSS %s\n", st.Name, st.Rows, st.Seconds, float64(st.Rows)/st.Seconds/1e6, mb(st.MaxRSS))
	}
	o := tr.Outputs
	for i := range f.runs {
		var js struct {
			Rows, Clean, Suppressed, Rejected int64
			Seconds                           float64
		}
		res, err := h.runJSON(ctx, &js, "scrub", "--channel", sc.Campaign.Channel, "--purpose", sc.Campaign.Purpose,
			"--map", sc.Campaign.Map, "--out", o.Clean, "--suppressed", o.Suppressed, "--rejected", o.Rejected,
			"--manifest", filepath.Join(outDir, "manifest.json"), filepath.Join(f.dir, sc.Campaign.File))
		if err != nil {
			return nil, err
		}
		c := bench.Counts{Clean: js.Clean, Suppressed: js.Suppressed, Rejected: js.Rejected}
		if c.Rows() != js.Rows || js.Rows != sc.Rows {
			return nil, fmt.Errorf("hush scrub run %d: %v add up to %d, it read %d rows, the campaign has %d", i+1, c, c.Rows(), js.Rows, sc.Rows)
		}
		tr.Runs = append(tr.Runs, toolRun{Seconds: res.Wall, InnerSeconds: js.Seconds, MaxRSS: res.MaxRSS, Counts: &c})
		fmt.Fprintf(stderr, "hush: scrub run %d: %.2f s (hush says %.2f s), peak RSS %s: %v\n", i+1, res.Wall, js.Seconds, mb(res.MaxRSS), c)
	}
	return finish(tr)
}

// finish takes the median and fingerprints the last run's outputs.
func finish(tr *toolResult) (*toolResult, error) {
	var secs []float64
	for _, r := range tr.Runs {
		secs = append(secs, r.Seconds)
	}
	tr.Median = median(secs)
	fp, err := bench.FingerprintOutputs(tr.Outputs, 4)
	if err != nil {
		return nil, err
	}
	tr.fp, tr.Counts = fp, fp.Counts
	if last := tr.Runs[len(tr.Runs)-1].Counts; last != nil && *last != fp.Counts {
		return nil, fmt.Errorf("%s says %v but its output files hold %v", tr.Tool, *last, fp.Counts)
	}
	return tr, nil
}

func peerRuns(ctx context.Context, tr *toolResult, runs int, stderr io.Writer, scrub func(i int) (*peers.RunResult, error)) error {
	for i := range runs {
		res, err := scrub(i)
		if err != nil {
			return err
		}
		tr.Runs = append(tr.Runs, toolRun{Seconds: res.Seconds, Steps: res.Steps})
		fmt.Fprintf(stderr, "%s: scrub run %d: %.2f s (%s)\n", tr.Tool, i+1, res.Seconds, stepsString(res.Steps))
	}
	return nil
}

func stepsString(steps []peers.StepTime) string {
	var parts []string
	for _, s := range steps {
		parts = append(parts, fmt.Sprintf("%s %.2f", s.Name, s.Seconds))
	}
	return strings.Join(parts, ", ")
}

func scrubPostgres(ctx context.Context, f scrubFlags, sc bench.Scenario, out string, stderr io.Writer) (tr *toolResult, err error) {
	fmt.Fprintln(stderr, "postgres: starting a private cluster ...")
	pg, err := peers.StartPostgres(ctx, f.pgBin)
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := pg.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	outDir := filepath.Join(out, "pg")
	if err := pg.PrepareOutDir(outDir); err != nil {
		return nil, err
	}
	tr = &toolResult{Tool: "postgres", Outputs: outputsIn(outDir)}
	pre, err := pg.Preload(ctx, sc, f.dir, filepath.Join(outDir, "preload.sql"))
	if err != nil {
		return nil, err
	}
	tr.LoadSecs = pre.Seconds
	for _, s := range pre.Steps {
		tr.Load = append(tr.Load, loadStep{Name: s.Name, Seconds: s.Seconds})
	}
	fmt.Fprintf(stderr, "postgres: lists preloaded in %.1f s\n", pre.Seconds)
	campaign := filepath.Join(f.dir, sc.Campaign.File)
	if err := peerRuns(ctx, tr, f.runs, stderr, func(int) (*peers.RunResult, error) {
		return pg.Scrub(ctx, sc, campaign, tr.Outputs, filepath.Join(outDir, "scrub.sql"))
	}); err != nil {
		return nil, err
	}
	return finish(tr)
}

func scrubDuckDB(ctx context.Context, f scrubFlags, sc bench.Scenario, out string, stderr io.Writer) (*toolResult, error) {
	outDir := filepath.Join(out, "duckdb")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "duckdb: installing %s ...\n", peers.DuckDBPackage)
	duck, err := peers.NewDuckDB(ctx, f.nodeModules, filepath.Join(outDir, "lists.duckdb"), 2)
	if err != nil {
		return nil, err
	}
	defer duck.Close()
	tr := &toolResult{Tool: "duckdb", Outputs: outputsIn(outDir)}
	pre, err := duck.Preload(ctx, sc, f.dir, filepath.Join(outDir, "preload.sql"))
	if err != nil {
		return nil, err
	}
	tr.LoadSecs = pre.Seconds
	for _, s := range pre.Steps {
		tr.Load = append(tr.Load, loadStep{Name: s.Name, Seconds: s.Seconds})
	}
	fmt.Fprintf(stderr, "duckdb: lists preloaded in %.1f s\n", pre.Seconds)
	campaign := filepath.Join(f.dir, sc.Campaign.File)
	if err := peerRuns(ctx, tr, f.runs, stderr, func(int) (*peers.RunResult, error) {
		return duck.Scrub(ctx, sc, campaign, tr.Outputs, filepath.Join(outDir, "scrub.sql"))
	}); err != nil {
		return nil, err
	}
	return finish(tr)
}

func printScrubReport(w io.Writer, rep *scrubReport) {
	sc := rep.Scenario
	fmt.Fprintf(w, "\nscrub of %d campaign rows (%s / %s) against %d lists holding %d entries; %d runs each; load average at start %s\n\n",
		sc.Rows, sc.Campaign.Channel, sc.Campaign.Purpose, len(sc.Lists), sc.TotalEntries(), rep.Runs, rep.Machine.LoadAvg)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "tool\tmedian s\tmin s\tmax s\trows/s\tvs hush\tclean\tsuppressed\trejected\tsame rows as hush\t")
	for _, t := range rep.Tools {
		lo, hi := t.Runs[0].Seconds, t.Runs[0].Seconds
		for _, r := range t.Runs {
			lo, hi = min(lo, r.Seconds), max(hi, r.Seconds)
		}
		same := "—"
		if t.Agrees != nil {
			same = map[bool]string{true: "yes", false: "NO"}[*t.Agrees]
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.0f\t%.2fx\t%d\t%d\t%d\t%s\t\n", t.Tool, t.Median, lo, hi, t.RowsPerS, t.VsHush,
			t.Counts.Clean, t.Counts.Suppressed, t.Counts.Rejected, same)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nlist loading, before the scrubs (not in the times above):\n\n")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "tool\tseconds\tentries/s\t")
	total := float64(sc.TotalEntries())
	for _, t := range rep.Tools {
		fmt.Fprintf(tw, "%s\t%.1f\t%.0f\t\n", t.Tool, t.LoadSecs, total/t.LoadSecs)
	}
	tw.Flush()
}
