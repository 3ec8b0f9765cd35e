package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// chunkRows is how many lines one worker generates at a time: big enough
// to amortise the hand-off, small enough to keep a few in flight cheaply.
const chunkRows = 1 << 15

// writeOrdered generates lines [0, n) in chunks on workers goroutines and
// writes them to w in order (workers <= 0: GOMAXPROCS). fill appends lines [from, to) to dst and counts
// into s; merge adds a chunk's counts to the total.
func writeOrdered[S any](ctx context.Context, w io.Writer, n int64, workers int, fill func(dst []byte, from, to int64, s *S) []byte, merge func(total, chunk *S)) (int64, S, error) {
	var total S
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	type result struct {
		k   int64
		buf []byte
		s   S
	}
	chunks := (n + chunkRows - 1) / chunkRows
	next := make(chan int64)
	results := make(chan *result, workers)
	free := make(chan []byte, 2*workers+2)
	for range cap(free) {
		free <- make([]byte, 0, chunkRows*64)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(next)
		for k := range chunks {
			select {
			case next <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// The buffer first, then the chunk: a worker holding the
				// lowest unwritten chunk must never wait for a buffer that
				// only later chunks hold.
				var buf []byte
				select {
				case buf = <-free:
				case <-ctx.Done():
					return
				}
				k, ok := <-next
				if !ok {
					return
				}
				from := k * chunkRows
				to := min(from+chunkRows, n)
				res := &result{k: k}
				res.buf = fill(buf[:0], from, to, &res.s)
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int64]*result{}
	var want, written int64
	var err error
	for res := range results {
		pending[res.k] = res
		for {
			r, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			want++
			if err == nil {
				var nw int
				nw, err = w.Write(r.buf)
				written += int64(nw)
				merge(&total, &r.s)
				if err != nil {
					cancel()
				}
			}
			free <- r.buf
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil && want != chunks {
		err = fmt.Errorf("bench: wrote %d of %d chunks", want, chunks)
	}
	return written, total, err
}

// WriteList writes list li's whole file (header included) to w.
func (g *Generator) WriteList(ctx context.Context, w io.Writer, li int, workers int) (int64, error) {
	h := g.ListHeader(li)
	if _, err := w.Write(h); err != nil {
		return 0, err
	}
	n, _, err := writeOrdered(ctx, w, g.lists[li].spec.Entries, workers,
		func(dst []byte, from, to int64, _ *struct{}) []byte {
			for j := from; j < to; j++ {
				dst = g.AppendListLine(dst, li, j)
			}
			return dst
		}, func(*struct{}, *struct{}) {})
	return n + int64(len(h)), err
}

// WriteCampaign writes the campaign file (header included) to w.
func (g *Generator) WriteCampaign(ctx context.Context, w io.Writer, workers int) (int64, CampaignStats, error) {
	if _, err := w.Write(g.header); err != nil {
		return 0, CampaignStats{}, err
	}
	n, st, err := writeOrdered(ctx, w, g.sc.Rows, workers,
		func(dst []byte, from, to int64, s *CampaignStats) []byte {
			var info RowInfo
			for i := from; i < to; i++ {
				dst, info = g.AppendRow(dst, i)
				s.add(g, info)
			}
			return dst
		}, func(t, c *CampaignStats) { t.merge(c) })
	return n + int64(len(g.header)), st, err
}

// FileReport is one generated file.
type FileReport struct {
	Name    string  `json:"name"`
	File    string  `json:"file"`
	Lines   int64   `json:"lines"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

// Report is what Generate did.
type Report struct {
	Workers  int           `json:"workers"`
	Seconds  float64       `json:"seconds"`
	Bytes    int64         `json:"bytes"`
	Files    []FileReport  `json:"files"`
	Campaign CampaignStats `json:"campaign"`
}

// ScenarioFile is the name of the scenario description in a scenario dir.
const ScenarioFile = "scenario.json"

// Generate writes every file of sc into dir, then scenario.json (last, so
// its presence means the scenario is complete). workers <= 0 means
// GOMAXPROCS. progress, if not nil, is called after each file.
func Generate(ctx context.Context, dir string, sc Scenario, workers int, progress func(FileReport)) (*Report, error) {
	g, err := NewGenerator(sc)
	if err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := os.MkdirAll(filepath.Join(dir, "lists"), 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	// A stale scenario.json must not describe half-rewritten files.
	if err := os.Remove(filepath.Join(dir, ScenarioFile)); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("bench: %w", err)
	}
	rep := &Report{Workers: workers}
	started := time.Now()
	write := func(name, rel string, lines int64, fn func(w io.Writer) (int64, error)) error {
		t0 := time.Now()
		path := filepath.Join(dir, rel)
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		n, err := fn(bw)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("bench: writing %s: %w", path, err)
		}
		fr := FileReport{Name: name, File: rel, Lines: lines, Bytes: n, Seconds: time.Since(t0).Seconds()}
		rep.Files = append(rep.Files, fr)
		rep.Bytes += n
		if progress != nil {
			progress(fr)
		}
		return nil
	}
	for li, l := range sc.Lists {
		if err := write(l.Name, l.File, l.Entries, func(w io.Writer) (int64, error) {
			return g.WriteList(ctx, w, li, workers)
		}); err != nil {
			return nil, err
		}
	}
	if err := write("campaign", sc.Campaign.File, sc.Rows, func(w io.Writer) (int64, error) {
		n, st, err := g.WriteCampaign(ctx, w, workers)
		rep.Campaign = st
		return n, err
	}); err != nil {
		return nil, err
	}
	rep.Seconds = time.Since(started).Seconds()
	sc.Generated = rep
	if err := WriteScenario(dir, sc); err != nil {
		return nil, err
	}
	return rep, nil
}

// WriteScenario writes sc as dir/scenario.json.
func WriteScenario(dir string, sc Scenario) error {
	b, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	tmp := filepath.Join(dir, ScenarioFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ScenarioFile)); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// LoadScenario reads dir/scenario.json.
func LoadScenario(dir string) (Scenario, error) {
	var sc Scenario
	b, err := os.ReadFile(filepath.Join(dir, ScenarioFile))
	if err != nil {
		return sc, fmt.Errorf("bench: %w", err)
	}
	if err := json.Unmarshal(b, &sc); err != nil {
		return sc, fmt.Errorf("bench: %s: %w", filepath.Join(dir, ScenarioFile), err)
	}
	if sc.Format != ScenarioFormat {
		return sc, fmt.Errorf("%w: %s has format %q, want %q", ErrInvalidScenario, ScenarioFile, sc.Format, ScenarioFormat)
	}
	return sc, sc.Validate()
}
