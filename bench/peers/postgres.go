package peers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hushcrm/hush/bench"
)

// DefaultPGBin is where Debian installs PostgreSQL 15's programs.
const DefaultPGBin = "/usr/lib/postgresql/15/bin"

// ErrNoPostgres: the PostgreSQL programs are not where they were looked for.
var ErrNoPostgres = errors.New("PostgreSQL programs not found")

// PGSettings are what a team tunes on a 2-core, 24 GiB box before a bulk
// job: memory for sorts, hashes and temp tables, no WAL for the lists.
var PGSettings = []string{
	"shared_buffers = '4GB'",
	"work_mem = '1GB'",
	"maintenance_work_mem = '2GB'",
	"max_worker_processes = 4",
	"max_parallel_workers = 2",
	"max_parallel_workers_per_gather = 2",
	"max_parallel_maintenance_workers = 2",
	// The planner prices regexp functions like additions and would run the
	// normalisation on one core; cheap parallelism halves it.
	"parallel_setup_cost = 10",
	"parallel_tuple_cost = 0.001",
	"wal_level = minimal",
	"max_wal_senders = 0",
	"max_wal_size = '16GB'",
	"checkpoint_timeout = '30min'",
}

// Postgres is a private PostgreSQL cluster: its own data directory and a
// unix socket in a temp dir, no TCP listener.
type Postgres struct {
	Bin  string // directory of initdb, pg_ctl, postgres
	Psql string
	dir  string // temp dir: data/ and the socket
	port int
	user string // OS user the server runs as ("" = us)
	log  string
}

// StartPostgres initdbs a cluster in a new temp dir and starts it. As root
// it runs the server as the postgres user (PostgreSQL refuses root), so the
// scenario files must be readable by that user.
func StartPostgres(ctx context.Context, bin string) (*Postgres, error) {
	if bin == "" {
		bin = DefaultPGBin
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		return nil, fmt.Errorf("%w in %s: %w", ErrNoPostgres, bin, err)
	}
	psql := filepath.Join(bin, "psql")
	if _, err := os.Stat(psql); err != nil {
		if psql, err = exec.LookPath("psql"); err != nil {
			return nil, fmt.Errorf("%w: no psql: %w", ErrNoPostgres, err)
		}
	}
	dir, err := os.MkdirTemp("", "hush-bench-pg-")
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	pg := &Postgres{Bin: bin, Psql: psql, dir: dir, log: filepath.Join(dir, "server.log")}
	if os.Geteuid() == 0 {
		pg.user = "postgres"
		if err := chownTo(dir, pg.user); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if pg.port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := pg.asServer(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("peers: initdb: %w\n%s", err, out)
	}
	conf := append([]string{
		"listen_addresses = ''",
		"unix_socket_directories = " + quote(dir),
		"port = " + strconv.Itoa(pg.port),
		"fsync = on",
	}, PGSettings...)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("\n# hush bench\n" + strings.Join(conf, "\n") + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("peers: %w", err)
	}
	if out, err := pg.asServer(ctx, filepath.Join(bin, "pg_ctl"), "-D", data, "-l", pg.log, "-w", "-t", "120", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(pg.log)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("peers: pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return pg, nil
}

// Stop stops the server and removes its directory.
func (pg *Postgres) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := pg.asServer(ctx, filepath.Join(pg.Bin, "pg_ctl"), "-D", filepath.Join(pg.dir, "data"), "-m", "fast", "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("peers: pg_ctl stop: %w\n%s", err, out)
	}
	return os.RemoveAll(pg.dir)
}

// asServer runs a server program as the cluster's OS user.
func (pg *Postgres) asServer(ctx context.Context, prog string, args ...string) *exec.Cmd {
	if pg.user == "" {
		return exec.CommandContext(ctx, prog, args...)
	}
	return exec.CommandContext(ctx, "runuser", append([]string{"-u", pg.user, "--", prog}, args...)...)
}

// CanAccess reports whether the server can read path (or write it, for a
// directory it must write into), so callers fail early with a clear error
// instead of a COPY error minutes in.
func (pg *Postgres) CanAccess(ctx context.Context, path string, write bool) error {
	flag := "-r"
	if write {
		flag = "-w"
	}
	if err := pg.asServer(ctx, "test", flag, path).Run(); err != nil {
		who := pg.user
		if who == "" {
			who = "this user"
		}
		return fmt.Errorf("peers: the PostgreSQL server (running as %s) cannot %s %s: make it and its parent directories accessible", who, map[bool]string{false: "read", true: "write"}[write], path)
	}
	return nil
}

// PrepareOutDir creates dir writable by the server (server-side COPY TO
// writes as the server's user).
func (pg *Postgres) PrepareOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	if pg.user != "" {
		return chownTo(dir, pg.user)
	}
	return nil
}

// StepTime is how long one step of a script took.
type StepTime struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// RunResult is one timed script run.
type RunResult struct {
	Seconds float64 `json:"seconds"` // wall time of the client process
	// CPUSeconds is the client process's user+system time (DuckDB: the
	// whole engine, which runs in the node process; PostgreSQL: psql only).
	CPUSeconds float64    `json:"cpu_seconds,omitempty"`
	Steps      []StepTime `json:"steps"`
	Log        string     `json:"-"`
}

// Run executes steps in one psql session (server-side COPY) and times it.
// The script is kept in scriptPath for people to read.
func (pg *Postgres) Run(ctx context.Context, steps []Step, scriptPath string) (*RunResult, error) {
	var b strings.Builder
	b.WriteString("\\set ON_ERROR_STOP on\n\\timing on\n")
	for _, s := range steps {
		fmt.Fprintf(&b, "\\echo '@step %s'\n%s;\n", strings.ReplaceAll(s.Name, "'", ""), s.SQL)
	}
	if err := os.WriteFile(scriptPath, []byte(b.String()), 0o644); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	cmd := exec.CommandContext(ctx, pg.Psql, "-X", "-q", "-h", pg.dir, "-p", strconv.Itoa(pg.port), "-U", "postgres", "-d", "postgres", "-f", scriptPath)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	t0 := time.Now()
	err := cmd.Run()
	res := &RunResult{Seconds: time.Since(t0).Seconds(), Log: out.String()}
	if err != nil {
		return res, fmt.Errorf("peers: psql %s: %w\n%s", scriptPath, err, tail(out.String(), 4000))
	}
	res.Steps = parseTimings(out.String())
	return res, nil
}

// parseTimings adds up psql's "Time: N ms" lines per "@step NAME" marker.
func parseTimings(out string) []StepTime {
	var steps []StepTime
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "@step "); ok {
			steps = append(steps, StepTime{Name: name})
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Time: "); ok && len(steps) > 0 {
			f := strings.Fields(rest)
			if len(f) >= 2 && f[1] == "ms" {
				if ms, err := strconv.ParseFloat(f[0], 64); err == nil {
					steps[len(steps)-1].Seconds += ms / 1000
				}
			}
		}
	}
	return steps
}

// Preload loads sc's lists (files under dir) into tables with indexes.
func (pg *Postgres) Preload(ctx context.Context, sc bench.Scenario, dir, scriptPath string) (*RunResult, error) {
	for _, l := range sc.Lists {
		if err := pg.CanAccess(ctx, joinPath(dir, l.File), false); err != nil {
			return nil, err
		}
	}
	return pg.Run(ctx, DialectPostgres.PreloadSteps(sc, dir), scriptPath)
}

// Scrub runs the timed scrub of campaign into out (whose directory must
// have been made with PrepareOutDir).
func (pg *Postgres) Scrub(ctx context.Context, sc bench.Scenario, campaign string, out bench.Outputs, scriptPath string) (*RunResult, error) {
	if err := pg.CanAccess(ctx, campaign, false); err != nil {
		return nil, err
	}
	for _, f := range []string{out.Clean, out.Suppressed, out.Rejected} {
		if err := pg.CanAccess(ctx, filepath.Dir(f), true); err != nil {
			return nil, err
		}
		os.Remove(f) // an old file may belong to another user
	}
	return pg.Run(ctx, DialectPostgres.ScrubSteps(sc, campaign, out), scriptPath)
}

// Query runs one statement and returns its unaligned, tab-separated rows.
func (pg *Postgres) Query(ctx context.Context, sql string) ([][]string, error) {
	cmd := exec.CommandContext(ctx, pg.Psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", pg.dir, "-p", strconv.Itoa(pg.port), "-U", "postgres", "-d", "postgres", "-c", sql)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("peers: psql: %w\n%s", err, stderr.String())
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows, nil
}

func chownTo(path, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("peers: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
