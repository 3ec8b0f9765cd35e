package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hushcrm/hush/bench"
	"github.com/hushcrm/hush/bench/peers"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/internal/hugepage"
	"github.com/hushcrm/hush/purchases"
	"github.com/hushcrm/hush/rfm"
)

// rfmReport is what `hushbench rfm` measures.
type rfmReport struct {
	Machine   machine             `json:"machine"`
	Scenario  bench.OrderScenario `json:"scenario"`
	File      string              `json:"file"`
	FileBytes int64               `json:"file_bytes"`
	AsOf      string              `json:"as_of"`
	// In-process: the purchases reader feeding a Book, then Score.
	InProcess *inProcess `json:"in_process,omitempty"`
	// Stored ingest: `hush ingest purchases` into a fresh data dir.
	Stored *toolResult    `json:"stored_ingest,omitempty"`
	Tools  []*toolResult  `json:"tools"` // end to end: hush rfm --events, DuckDB, pandas
	Sample *sampleCompare `json:"sample,omitempty"`
}

type inProcess struct {
	Orders          int64      `json:"orders"`
	Customers       int        `json:"customers"`
	IngestSeconds   float64    `json:"ingest_seconds"`
	IngestCPU       float64    `json:"ingest_cpu_seconds"` // user+system of this process during the ingest
	OrdersPerSecond float64    `json:"ingest_orders_per_second"`
	ScoreSeconds    []float64  `json:"rescore_seconds"` // Score: values, cut points, scores, segments, BSIs
	ScoreMedian     float64    `json:"rescore_median_seconds"`
	Memory          rfm.Memory `json:"result_memory"`
	AggregateBytes  int        `json:"aggregate_bytes"`
	OrderSetBytes   int        `json:"order_set_bytes"`
	DictionaryBytes int        `json:"dictionary_bytes"`
	PerCustomer     float64    `json:"aggregates_and_indexes_bytes_per_customer"`
	PerOrder        float64    `json:"idempotency_bytes_per_order"`
	Warnings        []string   `json:"warnings"`
}

type sampleCompare struct {
	Every    int            `json:"every"`
	Compared int            `json:"compared"`
	Differ   map[string]int `json:"differ"` // tool → customers whose scores differ from hush's
	Examples []string       `json:"examples,omitempty"`
}

func runRFMBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hushbench rfm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", filepath.Join(os.TempDir(), "hush-bench", "rfm"), "directory for the order file, outputs and results")
	orders := fs.Int64("orders", 100_000_000, "orders in the file")
	customers := fs.Int64("customers", 10_000_000, "customers in the file")
	hush := fs.String("hush", "", "hush binary (default: go build ./cmd/hush into a temp dir)")
	peerList := fs.String("peers", "duckdb,pandas", "peers to run side by side: duckdb, pandas (empty: none)")
	runs := fs.Int("runs", 3, "runs of each end-to-end tool")
	every := fs.Int("sample", 1000, "compare the scores of every N-th customer id")
	inproc := fs.Bool("inprocess", true, "also measure ingest and re-scoring in this process")
	stored := fs.Bool("stored", true, "also measure `hush ingest purchases` into a data dir")
	nodeModules := fs.String("node-modules", "", "where @duckdb/node-api is installed (default: a temp dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *orders < 1 || *customers < 1 || *runs < 1 {
		return errors.New("want flags only, -orders, -customers, -runs >= 1")
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
	sc := bench.DefaultOrderScenario(*orders, *customers)
	asOf := rfm.Day(sc.AsOfDay()).String()
	rep := &rfmReport{Machine: describeMachine(ctx, bin), Scenario: sc, AsOf: asOf}
	fmt.Fprintf(stderr, "machine: %d CPUs, load average %s, %s\n", rep.Machine.CPUs, rep.Machine.LoadAvg, rep.Machine.Hush)
	rep.File = filepath.Join(*dir, fmt.Sprintf("orders-%d-%d.csv", *orders, *customers))
	if rep.FileBytes, err = ordersFile(ctx, sc, rep.File, stderr); err != nil {
		return err
	}
	if *inproc {
		if rep.InProcess, err = rfmInProcess(ctx, rep.File, asOf, *orders, stderr); err != nil {
			return err
		}
		runtime.GC()
		debug.FreeOSMemory()
	}
	if *stored {
		data := filepath.Join(*dir, "hush-data")
		os.RemoveAll(data)
		h := hushCmd{bin: bin, data: data, region: "US", log: stderr}
		fmt.Fprintln(stderr, "hush ingest purchases ...")
		var out struct {
			Rows    int64   `json:"rows"`
			Seconds float64 `json:"seconds"`
		}
		pr, err := h.runJSON(ctx, &out, "ingest", "purchases", rep.File, "--map", "order=order_id", "--quiet", "--rejected", filepath.Join(*dir, "ingest.rejected.csv"))
		if err != nil {
			return err
		}
		tr := &toolResult{Tool: "hush ingest purchases", Runs: []toolRun{{Seconds: pr.Wall, InnerSeconds: out.Seconds, MaxRSS: pr.MaxRSS}}}
		tr.Median, tr.RowsPerS = pr.Wall, float64(out.Rows)/pr.Wall
		rep.Stored = tr
		os.RemoveAll(data)
	}
	// End to end, file → per-customer scores, each tool once per round,
	// rounds interleaved so that a noisy stretch of the shared machine hits
	// every tool alike.
	outs := map[string]string{}
	type runner struct {
		tr  *toolResult
		run func() (toolRun, error)
	}
	hushOut := filepath.Join(*dir, "hush-scores.csv")
	ht := &toolResult{Tool: "hush rfm --events"}
	runners := []runner{{ht, func() (toolRun, error) {
		pr, err := runProc(ctx, stderr, bin, "rfm", "--events", rep.File, "--map", "order=order_id", "--as-of", asOf, "--out", hushOut,
			"--format", "json", "--quiet", "--rejected", filepath.Join(*dir, "hush.rejected.csv"))
		if err != nil {
			return toolRun{}, err
		}
		return toolRun{Seconds: pr.Wall, CPUSeconds: pr.CPU, MaxRSS: pr.MaxRSS}, nil
	}}}
	outs[ht.Tool] = hushOut
	for _, p := range splitList(*peerList) {
		var rn runner
		switch p {
		case "duckdb":
			tr, run, closeFn, err := rfmDuckDB(ctx, rep.File, asOf, *dir, *nodeModules)
			if err != nil {
				return err
			}
			defer closeFn()
			rn = runner{tr, run}
		case "pandas":
			tr, run, err := rfmPandas(ctx, rep.File, asOf, *dir, stderr)
			if err != nil {
				return err
			}
			rn = runner{tr, run}
		default:
			return fmt.Errorf("unknown peer %q (want duckdb or pandas)", p)
		}
		outs[rn.tr.Tool] = filepath.Join(*dir, p+"-scores.csv")
		runners = append(runners, rn)
	}
	for i := range *runs {
		for _, rn := range runners {
			fmt.Fprintf(stderr, "%s, round %d ...\n", rn.tr.Tool, i+1)
			r, err := rn.run()
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "  %.2fs wall, %.2fs CPU\n", r.Seconds, r.CPUSeconds)
			rn.tr.Runs = append(rn.tr.Runs, r)
		}
	}
	for _, rn := range runners {
		rep.Tools = append(rep.Tools, medianOf(rn.tr, *orders))
	}
	for _, tr := range rep.Tools {
		tr.VsHush = tr.Median / rep.Tools[0].Median
	}
	if len(rep.Tools) > 1 {
		if rep.Sample, err = compareSample(outs, ht.Tool, *every); err != nil {
			return err
		}
	}
	printRFMReport(stdout, rep)
	return writeJSON(filepath.Join(*dir, "rfm-report.json"), rep)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func medianOf(tr *toolResult, orders int64) *toolResult {
	var s, c []float64
	for _, r := range tr.Runs {
		s = append(s, r.Seconds)
		c = append(c, r.CPUSeconds)
	}
	slices.Sort(s)
	slices.Sort(c)
	tr.Median = s[len(s)/2]
	tr.MedianCPU = c[len(c)/2]
	tr.RowsPerS = float64(orders) / tr.Median
	return tr
}

func ordersFile(ctx context.Context, sc bench.OrderScenario, path string, stderr io.Writer) (int64, error) {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size(), nil
	}
	fmt.Fprintf(stderr, "generating %s ...\n", path)
	t0 := time.Now()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 4<<20)
	n, err := bench.WriteOrders(ctx, bw, sc, 0)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	fmt.Fprintf(stderr, "  %d bytes in %.1fs\n", n, time.Since(t0).Seconds())
	return n, nil
}

// rfmInProcess reads the file into a Book through the purchases reader and
// times Score a few times.
func rfmInProcess(ctx context.Context, path, asOf string, orders int64, stderr io.Writer) (*inProcess, error) {
	fmt.Fprintln(stderr, "in-process ingest ...")
	day, _ := rfm.ParseDate([]byte(asOf), rfm.DateAuto)
	src := &purchases.Source{Path: path, CSV: csvio.Options{Header: true, Delimiter: ','}, Mapping: map[string]string{"order": "order_id"},
		Parser: rfm.RowParser{Amounts: rfm.AmountFormat{Exponent: 2}, Currency: "USD"}, Exponent: 2}
	// What `hush rfm --events` does: a Tally, made into a Book at the end.
	tally := rfm.NewTally(0, rfm.LedgerConfig{Cutoff: day, WindowStart: rfm.NoWindow})
	tally.UseTables(rfm.Tables{Aggregates: hugepage.Make[rfm.Aggregate], IDs: hugepage.Make[uint32], Rooms: hugepage.Make[uint64]})
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	cpu0 := selfCPU()
	t0 := time.Now()
	st, err := purchases.Read(ctx, src, nil, false, nil, func(ch *purchases.Chunk) error {
		tally.AddBatch(ch.Events)
		return nil
	})
	if err != nil {
		return nil, err
	}
	book := tally.Book()
	l := book.Ledgers()[0]
	ip := &inProcess{Orders: st.Events, Customers: book.Customers.Len()}
	ip.IngestSeconds = time.Since(t0).Seconds()
	ip.IngestCPU = selfCPU() - cpu0
	ip.OrdersPerSecond = float64(st.Events) / ip.IngestSeconds
	fmt.Fprintf(stderr, "  %d orders in %.2fs (%.0f/s), %.2fs CPU; re-scoring ...\n", st.Events, ip.IngestSeconds, ip.OrdersPerSecond, ip.IngestCPU)
	var res *rfm.Result
	for range 3 {
		runtime.GC()
		t := time.Now()
		res, err = rfm.Score(book.Customers, l, rfm.Options{AsOf: day, Bins: 5, MoneyExponent: 2})
		if err != nil {
			return nil, err
		}
		ip.ScoreSeconds = append(ip.ScoreSeconds, time.Since(t).Seconds())
		fmt.Fprintf(stderr, "  re-score %.3fs\n", ip.ScoreSeconds[len(ip.ScoreSeconds)-1])
	}
	s := slices.Clone(ip.ScoreSeconds)
	slices.Sort(s)
	ip.ScoreMedian = s[len(s)/2]
	ip.Memory = res.Memory()
	ip.AggregateBytes, ip.OrderSetBytes, ip.DictionaryBytes = l.Bytes(), book.Orders().Bytes(), book.Customers.Bytes()
	ip.PerCustomer = float64(ip.AggregateBytes+ip.Memory.Scores+ip.Memory.Segments+ip.Memory.Indexes) / float64(ip.Customers)
	ip.PerOrder = float64(ip.OrderSetBytes) / float64(ip.Orders)
	ip.Warnings = res.Warnings
	return ip, nil
}

// The peers compute the same thing: per customer recency (days), frequency
// (orders), monetary (cents), and scores from the type-7 quantiles at
// 0.2..0.8, "above cut i scores above level i" (recency reversed). The
// generated file has unique order ids, so the peers count rows (hush still
// checks every order id).
const duckRFMSQL = `-- @step load
CREATE OR REPLACE TABLE o AS SELECT * FROM read_csv('%[1]s', header = true,
  columns = {'order_id': 'BIGINT', 'customer_id': 'BIGINT', 'order_date': 'DATE', 'amount': 'DECIMAL(18,2)'});
-- @step aggregate
CREATE OR REPLACE TABLE c AS SELECT customer_id, (DATE '%[2]s' - max(order_date))::BIGINT AS recency_days,
  count(*) AS frequency, (sum(amount) * 100)::BIGINT AS monetary FROM o GROUP BY customer_id;
-- @step score
COPY (
  WITH q AS (SELECT quantile_cont(recency_days, [0.2, 0.4, 0.6, 0.8]) AS r, quantile_cont(frequency, [0.2, 0.4, 0.6, 0.8]) AS f,
                    quantile_cont(monetary, [0.2, 0.4, 0.6, 0.8]) AS m FROM c)
  SELECT customer_id, recency_days, frequency, monetary,
    5 - ((recency_days > r[1])::INT + (recency_days > r[2])::INT + (recency_days > r[3])::INT + (recency_days > r[4])::INT) AS r_score,
    1 + (frequency > f[1])::INT + (frequency > f[2])::INT + (frequency > f[3])::INT + (frequency > f[4])::INT AS f_score,
    1 + (monetary > m[1])::INT + (monetary > m[2])::INT + (monetary > m[3])::INT + (monetary > m[4])::INT AS m_score
  FROM c, q
) TO '%[3]s' (HEADER, DELIMITER ',')`

func rfmDuckDB(ctx context.Context, file, asOf, dir, modules string) (*toolResult, func() (toolRun, error), func(), error) {
	db := filepath.Join(dir, "rfm.duckdb")
	d, err := peers.NewDuckDB(ctx, modules, db, 2)
	if err != nil {
		return nil, nil, nil, err
	}
	out := filepath.Join(dir, "duckdb-scores.csv")
	sql := fmt.Sprintf(duckRFMSQL, file, asOf, out)
	var steps []peers.Step
	for _, part := range strings.Split(sql, "-- @step ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		steps = append(steps, peers.Step{Name: name, SQL: strings.TrimSuffix(strings.TrimSpace(body), ";")})
	}
	tr := &toolResult{Tool: "DuckDB (SQL, 2 threads)"}
	run := func() (toolRun, error) {
		os.Remove(db)
		os.Remove(db + ".wal")
		res, err := d.Run(ctx, steps, filepath.Join(dir, "rfm-duckdb.sql"))
		if err != nil {
			return toolRun{}, err
		}
		os.Remove(db)
		return toolRun{Seconds: res.Seconds, CPUSeconds: res.CPUSeconds, Steps: res.Steps}, nil
	}
	return tr, run, func() { d.Close() }, nil
}

const pandasRFM = `import sys, time
import numpy as np, pandas as pd
path, as_of, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.time()
o = pd.read_csv(path, dtype={'order_id': 'int64', 'customer_id': 'int64', 'amount': 'float64'}, parse_dates=['order_date'], infer_datetime_format=True)
o['cents'] = (o['amount'] * 100).round().astype('int64')
c = o.groupby('customer_id').agg(last=('order_date', 'max'), frequency=('order_id', 'size'), monetary=('cents', 'sum'))
c['recency_days'] = (pd.Timestamp(as_of) - c['last']).dt.days
p = [0.2, 0.4, 0.6, 0.8]
def score(v, rev=False):
    q = np.quantile(v.to_numpy(), p)
    s = 1 + sum((v > x).astype('int64') for x in q)
    return 6 - s if rev else s
c['r_score'] = score(c['recency_days'], True)
c['f_score'] = score(c['frequency'])
c['m_score'] = score(c['monetary'])
c[['recency_days', 'frequency', 'monetary', 'r_score', 'f_score', 'm_score']].to_csv(out)
print(time.time() - t0)
`

func rfmPandas(ctx context.Context, file, asOf, dir string, stderr io.Writer) (*toolResult, func() (toolRun, error), error) {
	py := "/usr/bin/python3"
	script := filepath.Join(dir, "rfm_pandas.py")
	if err := os.WriteFile(script, []byte(pandasRFM), 0o644); err != nil {
		return nil, nil, err
	}
	if err := exec.CommandContext(ctx, py, "-c", "import pandas").Run(); err != nil {
		return nil, nil, fmt.Errorf("pandas peer: %s cannot import pandas (apt-get install python3-pandas): %w", py, err)
	}
	out := filepath.Join(dir, "pandas-scores.csv")
	tr := &toolResult{Tool: "pandas"}
	run := func() (toolRun, error) {
		pr, err := runProc(ctx, stderr, py, script, file, asOf, out)
		if err != nil {
			return toolRun{}, err
		}
		inner, _ := strconv.ParseFloat(strings.TrimSpace(string(pr.Stdout)), 64)
		return toolRun{Seconds: pr.Wall, CPUSeconds: pr.CPU, InnerSeconds: inner, MaxRSS: pr.MaxRSS}, nil
	}
	return tr, run, nil
}

// compareSample reads every tool's per-customer scores for the customers
// whose id is a multiple of every, and counts differences from hush's.
func compareSample(outs map[string]string, hushTool string, every int) (*sampleCompare, error) {
	read := func(path string) (map[string]string, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		r.ReuseRecord = true
		if _, err := r.Read(); err != nil {
			return nil, err
		}
		m := map[string]string{}
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				return m, nil
			}
			if err != nil {
				return nil, err
			}
			id, err := strconv.Atoi(rec[0])
			if err != nil || id%every != 0 {
				continue
			}
			// hush: customer_id,recency_days,transaction_count,amount,r,f,m,rfm,segment
			// peers: customer_id,recency_days,frequency,monetary(cents),r,f,m
			var key string
			if len(rec) == 9 {
				cents, _ := rfm.ParseAmount([]byte(rec[3]), rfm.AmountFormat{Exponent: 2})
				key = strings.Join([]string{rec[1], rec[2], strconv.FormatInt(cents, 10), rec[4], rec[5], rec[6]}, ",")
			} else {
				key = strings.Join(rec[1:7], ",")
			}
			m[rec[0]] = key
		}
	}
	base, err := read(outs[hushTool])
	if err != nil {
		return nil, err
	}
	sc := &sampleCompare{Every: every, Compared: len(base), Differ: map[string]int{}}
	for tool, path := range outs {
		if tool == hushTool {
			continue
		}
		other, err := read(path)
		if err != nil {
			return nil, err
		}
		n := 0
		for id, v := range base {
			if other[id] != v {
				n++
				if len(sc.Examples) < 5 {
					sc.Examples = append(sc.Examples, fmt.Sprintf("%s: customer %s hush %s, %s %q", tool, id, v, tool, other[id]))
				}
			}
		}
		if len(other) != len(base) {
			n += abs(len(other) - len(base))
		}
		sc.Differ[tool] = n
	}
	return sc, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func printRFMReport(w io.Writer, rep *rfmReport) {
	fmt.Fprintf(w, "RFM of %s (%d orders, %d customers, %.1f GB), as of %s\n\n", filepath.Base(rep.File), rep.Scenario.Orders, rep.Scenario.Customers, float64(rep.FileBytes)/1e9, rep.AsOf)
	if ip := rep.InProcess; ip != nil {
		fmt.Fprintf(w, "in process: ingest %d orders in %.2fs = %.2fM orders/s (%.1fs CPU); re-score %d customers + segments + 6 BSIs: median %.3fs %v\n",
			ip.Orders, ip.IngestSeconds, ip.OrdersPerSecond/1e6, ip.IngestCPU, ip.Customers, ip.ScoreMedian, ip.ScoreSeconds)
		fmt.Fprintf(w, "memory: aggregates %d B + result %+v = %.1f B/customer; idempotency %.1f B/order; id dictionary %.1f B/customer\n\n",
			ip.AggregateBytes, ip.Memory, ip.PerCustomer, ip.PerOrder, float64(ip.DictionaryBytes)/float64(ip.Customers))
	}
	if s := rep.Stored; s != nil {
		fmt.Fprintf(w, "stored: hush ingest purchases %.2fs = %.2fM rows/s, peak RSS %d MB\n\n", s.Median, s.RowsPerS/1e6, s.Runs[0].MaxRSS>>20)
	}
	fmt.Fprintf(w, "%-28s %10s %14s %8s %12s %8s %s\n", "end to end (file → scores)", "median s", "orders/s", "× hush", "median CPU s", "× hush", "runs (wall/CPU s)")
	for _, t := range rep.Tools {
		var rs []string
		for _, r := range t.Runs {
			rs = append(rs, fmt.Sprintf("%.1f/%.1f", r.Seconds, r.CPUSeconds))
		}
		cpuRatio := 0.0
		if h := rep.Tools[0].MedianCPU; h > 0 {
			cpuRatio = t.MedianCPU / h
		}
		fmt.Fprintf(w, "%-28s %10.2f %14.0f %8.2f %12.2f %8.2f %s\n", t.Tool, t.Median, t.RowsPerS, t.VsHush, t.MedianCPU, cpuRatio, strings.Join(rs, " "))
	}
	if s := rep.Sample; s != nil {
		fmt.Fprintf(w, "\nsame scores on a sample (every %d-th customer id, %d customers): differing %v\n", s.Every, s.Compared, s.Differ)
		for _, e := range s.Examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

// selfCPU is this process's user+system seconds so far.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
