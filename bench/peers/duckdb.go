package peers

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hushcrm/hush/bench"
)

// DuckDBPackage is the npm package and version the DuckDB peer installs
// (the plain 1.5.6 is refused by the registry this project reaches).
const DuckDBPackage = "@duckdb/node-api@1.5.6-r.1"

//go:embed duckdb/run.mjs
var runMJS []byte

// ErrNoNode: node or npm is not on PATH.
var ErrNoNode = errors.New("node and npm are needed for the DuckDB peer")

// DuckDB is a DuckDB database file driven through the Node client.
type DuckDB struct {
	Threads int
	dir     string // npm install dir, holds run.mjs
	db      string
	owned   bool // dir was made by us
}

// NewDuckDB installs the Node client into modules (a new temp dir when
// empty; an existing install there is reused) and uses db as the database
// file.
func NewDuckDB(ctx context.Context, modules, db string, threads int) (*DuckDB, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoNode, err)
	}
	d := &DuckDB{Threads: threads, dir: modules, db: db}
	if d.Threads <= 0 {
		d.Threads = 2
	}
	if d.dir == "" {
		dir, err := os.MkdirTemp("", "hush-bench-duckdb-")
		if err != nil {
			return nil, fmt.Errorf("peers: %w", err)
		}
		d.dir, d.owned = dir, true
	}
	if _, err := os.Stat(filepath.Join(d.dir, "node_modules", "@duckdb", "node-api")); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			d.Close()
			return nil, fmt.Errorf("%w: %w", ErrNoNode, err)
		}
		if err := os.WriteFile(filepath.Join(d.dir, "package.json"), []byte(`{"name":"hush-bench-duckdb","private":true,"type":"module"}`+"\n"), 0o644); err != nil {
			d.Close()
			return nil, fmt.Errorf("peers: %w", err)
		}
		cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", DuckDBPackage)
		cmd.Dir = d.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			d.Close()
			return nil, fmt.Errorf("peers: npm install %s: %w\n%s", DuckDBPackage, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(d.dir, "run.mjs"), runMJS, 0o644); err != nil {
		d.Close()
		return nil, fmt.Errorf("peers: %w", err)
	}
	return d, nil
}

// Close removes the install dir if NewDuckDB made it. The database file
// stays.
func (d *DuckDB) Close() error {
	if d.owned {
		return os.RemoveAll(d.dir)
	}
	return nil
}

// Run executes steps against the database and times it.
func (d *DuckDB) Run(ctx context.Context, steps []Step, scriptPath string) (*RunResult, error) {
	var b strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&b, "-- @step %s\n%s;\n", s.Name, s.SQL)
	}
	if err := os.WriteFile(scriptPath, []byte(b.String()), 0o644); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(d.dir, "run.mjs"), d.db, scriptPath, fmt.Sprint(d.Threads))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	res := &RunResult{Seconds: time.Since(t0).Seconds(), Log: stdout.String() + stderr.String()}
	if cmd.ProcessState != nil {
		res.CPUSeconds = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	if err != nil {
		return res, fmt.Errorf("peers: duckdb %s: %w\n%s", scriptPath, err, tail(stderr.String(), 4000))
	}
	var rep struct {
		Steps []StepTime `json:"steps"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &rep); err != nil {
		return res, fmt.Errorf("peers: duckdb output %q: %w", tail(stdout.String(), 400), err)
	}
	res.Steps = rep.Steps
	return res, nil
}

// Preload loads sc's lists (files under dir) into a fresh database file.
func (d *DuckDB) Preload(ctx context.Context, sc bench.Scenario, dir, scriptPath string) (*RunResult, error) {
	for _, suffix := range []string{"", ".wal"} {
		if err := os.Remove(d.db + suffix); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("peers: %w", err)
		}
	}
	return d.Run(ctx, DialectDuckDB.PreloadSteps(sc, dir), scriptPath)
}

// Scrub runs the timed scrub of campaign into out.
func (d *DuckDB) Scrub(ctx context.Context, sc bench.Scenario, campaign string, out bench.Outputs, scriptPath string) (*RunResult, error) {
	return d.Run(ctx, DialectDuckDB.ScrubSteps(sc, campaign, out), scriptPath)
}
