package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hushcrm/hush/bench"
)

type importReport struct {
	Machine   machine `json:"machine"`
	Numbers   int64   `json:"numbers"`
	File      string  `json:"file"`
	FileBytes int64   `json:"file_bytes"`
	// The import.
	Seconds      float64 `json:"seconds"` // wall time of `hush import`
	HushSeconds  float64 `json:"hush_seconds"`
	RowsPerS     float64 `json:"rows_per_second"`
	Unique       uint64  `json:"unique"`
	MaxRSS       int64   `json:"max_rss_bytes"`
	DataDirBytes int64   `json:"data_dir_bytes"`
	// The restart: `hush lists ls` loads the snapshot.
	RestartSeconds []float64 `json:"restart_seconds"`
	RestartMedian  float64   `json:"restart_median_seconds"`
	RestartMaxRSS  int64     `json:"restart_max_rss_bytes"`
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hushbench import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", filepath.Join(os.TempDir(), "hush-bench", "import"), "directory for the registry file, the data dir and results")
	numbers := fs.Int64("numbers", 250_000_000, "numbers in the registry file")
	seed := fs.Uint64("seed", bench.DefaultSeed, "seed of the registry file")
	hush := fs.String("hush", "", "hush binary (default: go build ./cmd/hush into a temp dir)")
	runs := fs.Int("runs", 3, "restarts to time")
	keep := fs.Bool("keep", false, "keep the data dir afterwards (it is as big as the snapshot)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *numbers < 1 || *runs < 1 {
		return errors.New("want flags only, -numbers >= 1 and -runs >= 1")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "hushbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := *hush
	if bin == "" {
		fmt.Fprintln(stderr, "building ./cmd/hush ...")
		if bin, err = buildHush(ctx, tmp); err != nil {
			return err
		}
	}
	rep := &importReport{Machine: describeMachine(ctx, bin), Numbers: *numbers}
	fmt.Fprintf(stderr, "machine: %d CPUs, load average %s, %s\n", rep.Machine.CPUs, rep.Machine.LoadAvg, rep.Machine.Hush)

	sc := bench.NewScenario(*seed, 0, 1, 0, 0)
	sc.Lists = sc.Lists[:1] // national_dnc, the registry
	sc.Lists[0].Entries = *numbers
	l := sc.Lists[0]
	rep.File = filepath.Join(*dir, "registry-"+strconv.FormatInt(*numbers, 10)+"-seed"+strconv.FormatUint(*seed, 10)+".txt")
	if rep.FileBytes, err = registryFile(ctx, sc, rep.File, stderr); err != nil {
		return err
	}

	data := filepath.Join(*dir, "hush-data")
	if err := os.RemoveAll(data); err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(data)
	}
	logf, err := os.Create(filepath.Join(*dir, "hush.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	h := hushCmd{bin: bin, data: data, region: "US", log: logf}
	var created map[string]any
	if _, err := h.runJSON(ctx, &created, "lists", "create", l.Name, "--kind", l.Kind, "--type", l.Type,
		"--channels", l.Channels, "--purposes", l.Purposes, "--source", l.Source); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "importing %d numbers ...\n", *numbers)
	var imp struct {
		Import struct {
			Rows, Rejected, Unique uint64
			Seconds                float64
		} `json:"import"`
	}
	res, err := h.runJSON(ctx, &imp, "import", "--list", l.Name, "--format", "registry", "--mode", "replace",
		"--rejected", filepath.Join(*dir, "rejected.csv"), rep.File)
	if err != nil {
		return err
	}
	if imp.Import.Rows != uint64(*numbers) || imp.Import.Rejected != 0 {
		return fmt.Errorf("hush read %d rows and rejected %d, want %d rows and none rejected", imp.Import.Rows, imp.Import.Rejected, *numbers)
	}
	rep.Seconds, rep.HushSeconds, rep.Unique, rep.MaxRSS = res.Wall, imp.Import.Seconds, imp.Import.Unique, res.MaxRSS
	rep.RowsPerS = float64(*numbers) / res.Wall
	if rep.DataDirBytes, err = dirSize(data); err != nil {
		return err
	}
	for i := range *runs {
		var ls map[string]any
		res, err := h.runJSON(ctx, &ls, "lists", "ls")
		if err != nil {
			return err
		}
		rep.RestartSeconds = append(rep.RestartSeconds, res.Wall)
		rep.RestartMaxRSS = max(rep.RestartMaxRSS, res.MaxRSS)
		fmt.Fprintf(stderr, "restart %d (hush lists ls): %.2f s, peak RSS %s\n", i+1, res.Wall, mb(res.MaxRSS))
	}
	rep.RestartMedian = median(rep.RestartSeconds)

	fmt.Fprintf(stdout, "\nregistry import of %d numbers (%.2f GB file, %d distinct) on %d CPUs, load average at start %s\n\n",
		*numbers, float64(rep.FileBytes)/1e9, rep.Unique, rep.Machine.CPUs, rep.Machine.LoadAvg)
	fmt.Fprintf(stdout, "  import          %.1f s wall (hush says %.1f s), %.2f M rows/s\n", rep.Seconds, rep.HushSeconds, rep.RowsPerS/1e6)
	fmt.Fprintf(stdout, "  peak RSS        %s\n", mb(rep.MaxRSS))
	fmt.Fprintf(stdout, "  data dir        %s\n", mb(rep.DataDirBytes))
	fmt.Fprintf(stdout, "  restart         %.2f s median of %d (`hush lists ls`), peak RSS %s\n", rep.RestartMedian, *runs, mb(rep.RestartMaxRSS))
	path := filepath.Join(*dir, "import-results.json")
	if err := writeJSON(path, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nfull results: %s\n", path)
	return nil
}

// registryFile writes the registry of sc's only list to path unless a
// complete one is there already (its .json sidecar says so).
func registryFile(ctx context.Context, sc bench.Scenario, path string, stderr io.Writer) (int64, error) {
	side := path + ".json"
	var done struct{ Bytes int64 }
	if b, err := os.ReadFile(side); err == nil && json.Unmarshal(b, &done) == nil {
		if st, err := os.Stat(path); err == nil && st.Size() == done.Bytes {
			fmt.Fprintf(stderr, "reusing %s\n", path)
			return done.Bytes, nil
		}
	}
	g, err := bench.NewGenerator(sc)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(stderr, "writing %s ...\n", path)
	t0 := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	n, err := g.WriteList(ctx, bw, 0, 0)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return 0, err
	}
	fmt.Fprintf(stderr, "wrote %.2f GB in %.1f s\n", float64(n)/1e9, time.Since(t0).Seconds())
	done.Bytes = n
	b, _ := json.Marshal(done)
	return n, os.WriteFile(side, b, 0o644)
}
