package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/bench"
)

// hushbench fleet: issue 6's targets for a fleet of hush instances on one
// Redis, end to end through the real binary and HTTP:
//
//   - checks: GET /v1/check throughput of one instance in Redis mode and
//     one in embedded mode, side by side in one run (checks never touch
//     Redis, so the ratio should be ~1; target within 10 %);
//   - bootstrap: a new instance starts on a Redis holding a list of
//     -bootstrap entries (snapshot + tail) and is ready (/readyz 200)
//     within 15 s;
//   - optout: three instances; an opt-out acknowledged by one is answered
//     as suppressed by the others; p99 of the delay over -optouts
//     opt-outs, target ≤ 50 ms.

type fleetFlags struct {
	dir, hush, redisServer string
	lists, entries         int
	conns                  int
	duration               time.Duration
	runs                   int
	serverCPU              string
	bootstrap              int64
	optouts                int
	instances              int
	seed                   uint64
	only                   string
	appendfsync            string
}

type fleetReport struct {
	Machine   machine            `json:"machine"`
	Flags     any                `json:"flags"`
	Checks    []httpRun          `json:"checks,omitempty"`
	Bootstrap *bootstrapResult   `json:"bootstrap,omitempty"`
	OptOut    *propagationResult `json:"optout,omitempty"`
	Summary   map[string]float64 `json:"summary"`
}

type bootstrapResult struct {
	Entries       int64     `json:"entries"`
	ImportSeconds float64   `json:"import_seconds"`
	ReadySeconds  []float64 `json:"ready_seconds"`
	Median        float64   `json:"median_ready_seconds"`
	// What the fleet's state costs in Redis after the import and its
	// snapshot (for the README's memory sizing).
	RedisUsedBytes int64 `json:"redis_used_memory_bytes"`
	Snapshots      int   `json:"snapshots"`
	SnapshotBytes  int64 `json:"snapshot_bytes"` // the newest
	StreamBytes    int64 `json:"stream_record_bytes"`
	StreamRecords  int64 `json:"stream_records"`
}

type propagationResult struct {
	OptOuts int `json:"optouts"`
	// From the writer's 2xx to the first suppressed answer of another
	// instance; and the write itself (POST to 2xx).
	PropagationMs         []float64 `json:"propagation_ms_percentiles"` // p50, p90, p99, max
	WriteMs               []float64 `json:"write_ms_percentiles"`       // p50, p90, p99, max
	PollsPerOptOutAverage float64   `json:"polls_per_optout"`
	// Redis memory the opt-outs took (used_memory after - before), per
	// opt-out: each is one stream entry of one record.
	RedisBytesPerOptOut float64 `json:"redis_bytes_per_optout"`
	RecordBytes         float64 `json:"record_bytes_per_optout"`
}

func usedMemory(ctx context.Context, rdb *redis.Client) int64 {
	info, err := rdb.InfoMap(ctx, "memory").Result()
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(info["Memory"]["used_memory"], 10, 64)
	return n
}

func runFleet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f fleetFlags
	fs := flag.NewFlagSet("hushbench fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.dir, "dir", filepath.Join(os.TempDir(), "hush-bench", "fleet"), "work directory")
	fs.StringVar(&f.hush, "hush", "", "hush binary (default: go build ./cmd/hush)")
	fs.StringVar(&f.redisServer, "redis-server", "redis-server", "redis-server binary")
	fs.IntVar(&f.lists, "lists", 10, "checks: phone lists to check against")
	fs.IntVar(&f.entries, "entries", 1_000_000, "checks: numbers per list")
	fs.IntVar(&f.conns, "conns", 32, "checks: keep-alive connections")
	fs.DurationVar(&f.duration, "duration", 8*time.Second, "checks: length of each measured load")
	fs.IntVar(&f.runs, "runs", 3, "rounds per test; medians are reported")
	fs.StringVar(&f.serverCPU, "server-cpu", "0", "checks: CPU list the two hush servers are pinned to (taskset)")
	fs.Int64Var(&f.bootstrap, "bootstrap", 50_000_000, "bootstrap: entries of the list a new instance loads from Redis")
	fs.IntVar(&f.optouts, "optouts", 10_000, "optout: opt-outs written on one instance and awaited on another")
	fs.IntVar(&f.instances, "instances", 3, "optout: instances on the one Redis")
	fs.Uint64Var(&f.seed, "seed", bench.DefaultSeed, "seed of the lists and queries")
	fs.StringVar(&f.only, "only", "", "run only these tests: comma-separated checks, bootstrap, optout (default: all)")
	fs.StringVar(&f.appendfsync, "appendfsync", "everysec", "Redis AOF fsync policy: always, everysec or no")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || f.lists < 1 || f.entries < 1 || f.runs < 1 || f.instances < 2 || f.optouts < 1 {
		return errors.New("want flags only; -lists, -entries, -runs, -optouts >= 1; -instances >= 2")
	}
	tests := map[string]bool{"checks": true, "bootstrap": true, "optout": true}
	if f.only != "" {
		tests = map[string]bool{}
		for _, t := range strings.Split(f.only, ",") {
			switch t = strings.TrimSpace(t); t {
			case "checks", "bootstrap", "optout":
				tests[t] = true
			default:
				return fmt.Errorf("-only %q: want checks, bootstrap or optout", t)
			}
		}
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(f.dir, "run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if f.hush == "" {
		fmt.Fprintln(stderr, "building ./cmd/hush ...")
		if f.hush, err = buildHush(ctx, tmp); err != nil {
			return err
		}
	}
	rep := &fleetReport{Machine: describeMachine(ctx, f.hush), Summary: map[string]float64{},
		Flags: map[string]any{"lists": f.lists, "entries": f.entries, "conns": f.conns, "duration": f.duration.String(), "runs": f.runs,
			"server_cpu": f.serverCPU, "bootstrap": f.bootstrap, "optouts": f.optouts, "instances": f.instances, "appendfsync": f.appendfsync}}
	fmt.Fprintf(stderr, "machine: %d CPUs, load average %s, %s\n", rep.Machine.CPUs, rep.Machine.LoadAvg, rep.Machine.Hush)
	logf, err := os.Create(filepath.Join(f.dir, "hush.log"))
	if err != nil {
		return err
	}
	defer logf.Close()

	// One Redis, set up the way the README says keeps acknowledged writes.
	sock := filepath.Join(tmp, "redis.sock")
	redisCmd := exec.CommandContext(ctx, f.redisServer, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "yes", "--appendfsync", f.appendfsync, "--maxmemory-policy", "noeviction",
		"--dir", tmp, "--daemonize", "no")
	redisCmd.Stdout, redisCmd.Stderr = logf, logf
	if err := redisCmd.Start(); err != nil {
		return fmt.Errorf("start redis-server (apt-get install redis-server): %w", err)
	}
	defer func() { redisCmd.Process.Kill(); redisCmd.Wait() }()
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: sock})
	defer rdb.Close()
	if err := waitFor(ctx, func() error { return rdb.Ping(ctx).Err() }); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	secret := filepath.Join(tmp, "secret.key")
	fleet := func(ns string) []string {
		return []string{"--redis", "unix://" + sock, "--redis-namespace", ns, "--secret", secret}
	}

	if tests["checks"] {
		if err := fleetChecks(ctx, f, rep, tmp, fleet("checks"), logf, stderr); err != nil {
			return fmt.Errorf("checks: %w", err)
		}
	}
	if tests["bootstrap"] {
		if err := fleetBootstrap(ctx, f, rep, tmp, fleet("boot"), rdb, logf, stderr); err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
	}
	if tests["optout"] {
		if err := fleetOptOut(ctx, f, rep, tmp, fleet("optout"), rdb, logf, stderr); err != nil {
			return fmt.Errorf("optout: %w", err)
		}
	}

	fmt.Fprintf(stdout, "\nfleet on one Redis (appendfsync %s), %d CPUs, load average at start %s\n\n", f.appendfsync, rep.Machine.CPUs, rep.Machine.LoadAvg)
	if tests["checks"] {
		fmt.Fprintf(stdout, "  GET /v1/check, %d lists x %d numbers, pinned to CPU %s: redis mode %.0f checks/s (p99 %.2f ms), embedded %.0f checks/s (p99 %.2f ms): ratio %.3f (per server CPU-second %.3f)\n",
			f.lists, f.entries, f.serverCPU, rep.Summary["redis checks/s"], rep.Summary["redis p99 ms"], rep.Summary["embedded checks/s"], rep.Summary["embedded p99 ms"],
			rep.Summary["ratio checks/s"], rep.Summary["ratio checks/cpu-s"])
	}
	if b := rep.Bootstrap; b != nil {
		fmt.Fprintf(stdout, "  bootstrap of a new instance, list of %d entries: ready in %.2f s (median of %d: %v); import took %.1f s; Redis used_memory %s, %d snapshots (newest %s, %.2f bytes/entry), stream %d records / %s\n",
			b.Entries, b.Median, len(b.ReadySeconds), b.ReadySeconds, b.ImportSeconds, mb(b.RedisUsedBytes), b.Snapshots, mb(b.SnapshotBytes), float64(b.SnapshotBytes)/float64(b.Entries), b.StreamRecords, mb(b.StreamBytes))
	}
	if o := rep.OptOut; o != nil {
		fmt.Fprintf(stdout, "  opt-out on one instance seen on another, %d opt-outs, %d instances: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (write p50 %.2f ms, p99 %.2f ms); Redis memory %.0f bytes per opt-out (record %.0f bytes)\n",
			o.OptOuts, f.instances, o.PropagationMs[0], o.PropagationMs[1], o.PropagationMs[2], o.PropagationMs[3], o.WriteMs[0], o.WriteMs[2], o.RedisBytesPerOptOut, o.RecordBytes)
	}
	path := filepath.Join(f.dir, "fleet-results.json")
	if err := writeJSON(path, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nfull results: %s\n", path)
	return nil
}

// loadLists creates the check lists through h (embedded or fleet).
func loadLists(ctx context.Context, h hushCmd, tmp string, names []string, lists [][]uint64) error {
	for i, name := range names {
		var out map[string]any
		if _, err := h.runJSON(ctx, &out, "lists", "create", name, "--kind", "phone", "--channels", "call,sms", "--purposes", "all", "--source", "national_registry"); err != nil {
			return err
		}
		path := filepath.Join(tmp, name+".txt")
		if err := writeNumbers(path, lists[i]); err != nil {
			return err
		}
		if _, err := h.runJSON(ctx, &out, "import", "--list", name, "--format", "registry", "--rejected", path+".rej", path); err != nil {
			return err
		}
		os.Remove(path)
	}
	return nil
}

func fleetChecks(ctx context.Context, f fleetFlags, rep *fleetReport, tmp string, state []string, logf, stderr io.Writer) error {
	lists := make([][]uint64, f.lists)
	names := make([]string, f.lists)
	for i := range lists {
		lists[i] = bench.RandomPhones(f.seed, uint64(100+i), f.entries)
		names[i] = fmt.Sprintf("list%d", i)
	}
	emb := hushCmd{bin: f.hush, data: filepath.Join(tmp, "embedded"), region: "US", log: logf}
	red := hushCmd{bin: f.hush, data: filepath.Join(tmp, "checks-instance"), region: "US", log: logf, state: state}
	fmt.Fprintf(stderr, "loading %d lists of %d numbers into an embedded data dir and into Redis ...\n", f.lists, f.entries)
	if err := loadLists(ctx, emb, tmp, names, lists); err != nil {
		return err
	}
	if err := loadLists(ctx, red, tmp, names, lists); err != nil {
		return err
	}
	embKey, err := createKey(ctx, emb, "agent")
	if err != nil {
		return err
	}
	redKey, err := createKey(ctx, red, "agent")
	if err != nil {
		return err
	}
	embAddr, embPid, stopEmb, err := startPinned(ctx, f.serverCPU, logf, f.hush, "serve", "--data", emb.data, "--listen", "127.0.0.1:0", "--json", "--quiet")
	if err != nil {
		return err
	}
	defer stopEmb()
	redAddr, redPid, stopRed, err := startPinned(ctx, f.serverCPU, logf, f.hush, append([]string{"serve", "--data", red.data, "--listen", "127.0.0.1:0", "--json", "--quiet"}, state...)...)
	if err != nil {
		return err
	}
	defer stopRed()
	const nq = 1 << 16
	phones := make([]uint64, nq)
	other := bench.RandomPhones(f.seed, 999, nq)
	for i := range phones {
		if i%2 == 0 {
			l := lists[i/2%len(lists)]
			phones[i] = l[(i*7919)%len(l)]
		} else {
			phones[i] = other[i]
		}
	}
	gets := func(addr, key string) [][]byte {
		reqs := make([][]byte, nq)
		for i, p := range phones {
			reqs[i] = bench.GetRequest(addr, "/v1/check?phone="+strconv.FormatUint(p, 10)+"&channel=call&purpose=direct_marketing", key)
		}
		return reqs
	}
	tools := []struct {
		name, addr string
		pid        int
		reqs       [][]byte
	}{{"embedded", embAddr, embPid, gets(embAddr, embKey)}, {"redis", redAddr, redPid, gets(redAddr, redKey)}}
	for _, tl := range tools {
		res, _ := (bench.Load{Addr: tl.addr, Conns: f.conns, Duration: 3 * time.Second, Requests: tl.reqs}).Run(ctx)
		fmt.Fprintf(stderr, "warm-up  %-8s %s\n", tl.name, res)
	}
	med := map[string][]float64{}
	for r := 0; r < f.runs; r++ {
		order := tools
		if r%2 == 1 { // alternate who goes first: drift on a shared machine hits both
			order = []struct {
				name, addr string
				pid        int
				reqs       [][]byte
			}{tools[1], tools[0]}
		}
		for _, tl := range order {
			cpu0 := cpuSeconds([]int{tl.pid})
			res, err := (bench.Load{Addr: tl.addr, Conns: f.conns, Duration: f.duration, Requests: tl.reqs}).Run(ctx)
			cpu := cpuSeconds([]int{tl.pid}) - cpu0
			if err != nil {
				return fmt.Errorf("%s: %w", tl.name, err)
			}
			if res.Non2xx > 0 || res.Errors > 0 {
				return fmt.Errorf("%s: %d non-2xx answers, %d errors (%s)", tl.name, res.Non2xx, res.Errors, res.FirstErr)
			}
			perCPU := float64(res.Requests) / max(cpu, 1e-9)
			rep.Checks = append(rep.Checks, httpRun{Tool: tl.name, Test: "GET /v1/check", Result: res, CPUSeconds: cpu, ChecksPerCPU: perCPU})
			fmt.Fprintf(stderr, "run %d %-8s %s; server CPU %.1f s = %.0f checks per CPU-second\n", r+1, tl.name, res, cpu, perCPU)
			med[tl.name+" checks/s"] = append(med[tl.name+" checks/s"], res.PerSecond)
			med[tl.name+" checks/cpu-s"] = append(med[tl.name+" checks/cpu-s"], perCPU)
			med[tl.name+" p99 ms"] = append(med[tl.name+" p99 ms"], float64(res.P99)/1e6)
		}
	}
	for k, v := range med {
		rep.Summary[k] = median(v)
	}
	rep.Summary["ratio checks/s"] = rep.Summary["redis checks/s"] / rep.Summary["embedded checks/s"]
	rep.Summary["ratio checks/cpu-s"] = rep.Summary["redis checks/cpu-s"] / rep.Summary["embedded checks/cpu-s"]
	return nil
}

func fleetBootstrap(ctx context.Context, f fleetFlags, rep *fleetReport, tmp string, state []string, rdb *redis.Client, logf, stderr io.Writer) error {
	h := hushCmd{bin: f.hush, data: filepath.Join(tmp, "boot-cli"), region: "US", log: logf, state: state}
	var out map[string]any
	if _, err := h.runJSON(ctx, &out, "lists", "create", "big_registry", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry"); err != nil {
		return err
	}
	sc := bench.NewScenario(f.seed, 0, 1, 0, 0)
	sc.Lists = sc.Lists[:1]
	sc.Lists[0].Entries = f.bootstrap
	file := filepath.Join(f.dir, "registry-"+strconv.FormatInt(f.bootstrap, 10)+"-seed"+strconv.FormatUint(f.seed, 10)+".txt")
	if _, err := registryFile(ctx, sc, file, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "importing %d numbers into Redis ...\n", f.bootstrap)
	res, err := h.runJSON(ctx, &out, "import", "--list", "big_registry", "--format", "registry", "--rejected", filepath.Join(tmp, "big.rej"), file)
	if err != nil {
		return err
	}
	b := &bootstrapResult{Entries: f.bootstrap, ImportSeconds: res.Wall}
	// A snapshot, so the new instance loads it and replays only the tail
	// (the import usually took one already: this one covers the rest).
	if _, err := h.runJSON(ctx, &out, "journal", "snapshot"); err != nil {
		return err
	}
	var ver struct {
		Report struct {
			Records   int64 `json:"records"`
			Bytes     int64 `json:"bytes"`
			Snapshots []struct {
				Bytes int64 `json:"bytes"`
			} `json:"snapshots"`
		} `json:"report"`
	}
	if _, err := h.runJSON(ctx, &ver, "journal", "verify"); err != nil {
		return err
	}
	b.StreamRecords, b.StreamBytes = ver.Report.Records, ver.Report.Bytes
	b.Snapshots = len(ver.Report.Snapshots)
	if len(ver.Report.Snapshots) > 0 {
		b.SnapshotBytes = ver.Report.Snapshots[0].Bytes
	}
	b.RedisUsedBytes = usedMemory(ctx, rdb)
	for r := 0; r < f.runs; r++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.CommandContext(ctx, f.hush, append([]string{"serve", "--data", filepath.Join(tmp, fmt.Sprintf("boot-%d", r)), "--listen", addr, "--quiet"}, state...)...)
		cmd.Stdout, cmd.Stderr = logf, logf
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		ready := false
		for time.Since(t0) < 5*time.Minute && !ready {
			if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				ready = res.StatusCode == http.StatusOK
			}
			if !ready {
				time.Sleep(5 * time.Millisecond)
			}
		}
		secs := time.Since(t0).Seconds()
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if !ready {
			return fmt.Errorf("instance on %s was not ready after %.0f s", addr, secs)
		}
		fmt.Fprintf(stderr, "run %d: new instance ready in %.2f s\n", r+1, secs)
		b.ReadySeconds = append(b.ReadySeconds, secs)
	}
	b.Median = median(b.ReadySeconds)
	rep.Bootstrap = b
	rep.Summary["bootstrap ready s"] = b.Median
	return nil
}

func fleetOptOut(ctx context.Context, f fleetFlags, rep *fleetReport, tmp string, state []string, rdb *redis.Client, logf, stderr io.Writer) error {
	h := hushCmd{bin: f.hush, data: filepath.Join(tmp, "optout-cli"), region: "US", log: logf, state: state}
	key, err := createKey(ctx, h, "marketer")
	if err != nil {
		return err
	}
	addrs := make([]string, f.instances)
	for i := range addrs {
		addr, _, stop, err := startPinned(ctx, "0-"+strconv.Itoa(max(0, rep.Machine.CPUs-1)), logf, f.hush,
			append([]string{"serve", "--data", filepath.Join(tmp, fmt.Sprintf("optout-%d", i)), "--listen", "127.0.0.1:0", "--json", "--quiet"}, state...)...)
		if err != nil {
			return err
		}
		defer stop()
		addrs[i] = addr
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: 10 * time.Second}
	do := func(method, url string, body []byte) (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, b, err
	}
	phones := bench.RandomPhones(f.seed, 4242, f.optouts)
	mem0 := usedMemory(ctx, rdb)
	var rec0 struct {
		Report struct{ Records, Bytes int64 } `json:"report"`
	}
	if _, err := h.runJSON(ctx, &rec0, "journal", "verify"); err != nil {
		return err
	}
	var prop, write []time.Duration
	polls := 0
	fmt.Fprintf(stderr, "%d opt-outs across %d instances ...\n", f.optouts, f.instances)
	for i, p := range phones {
		a, b := addrs[i%len(addrs)], addrs[(i+1)%len(addrs)]
		phone := strconv.FormatUint(p, 10)
		body := []byte(`{"phone":"` + phone + `","channels":["call"],"purposes":["direct_marketing"],"source":"customer_request","evidence":"bench"}`)
		t0 := time.Now()
		code, rb, err := do("POST", "http://"+a+"/v1/optouts", body)
		if err != nil || code/100 != 2 {
			return fmt.Errorf("opt-out %d on %s: %d %s %v", i, a, code, rb, err)
		}
		t1 := time.Now()
		for {
			polls++
			code, rb, err := do("GET", "http://"+b+"/v1/check?phone="+phone+"&channel=call&purpose=direct_marketing", nil)
			if err != nil || code != 200 {
				return fmt.Errorf("check %d on %s: %d %s %v", i, b, code, rb, err)
			}
			var ans struct {
				Allowed bool `json:"allowed"`
			}
			if err := json.Unmarshal(rb, &ans); err != nil {
				return fmt.Errorf("check answer %q: %w", rb, err)
			}
			if !ans.Allowed {
				break
			}
			if time.Since(t1) > 30*time.Second {
				return fmt.Errorf("opt-out %d written on %s not seen on %s after 30 s", i, a, b)
			}
		}
		prop = append(prop, time.Since(t1))
		write = append(write, t1.Sub(t0))
		if (i+1)%2000 == 0 {
			fmt.Fprintf(stderr, "  %d opt-outs\n", i+1)
		}
	}
	pct := func(ds []time.Duration) []float64 {
		slices.Sort(ds)
		at := func(q float64) float64 { return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))]) / 1e6 }
		return []float64{at(0.5), at(0.9), at(0.99), float64(ds[len(ds)-1]) / 1e6}
	}
	o := &propagationResult{OptOuts: f.optouts, PropagationMs: pct(prop), WriteMs: pct(write), PollsPerOptOutAverage: float64(polls) / float64(f.optouts),
		RedisBytesPerOptOut: float64(usedMemory(ctx, rdb)-mem0) / float64(f.optouts)}
	var rec1 struct {
		Report struct{ Records, Bytes int64 } `json:"report"`
	}
	if _, err := h.runJSON(ctx, &rec1, "journal", "verify"); err == nil && rec1.Report.Records > rec0.Report.Records {
		o.RecordBytes = float64(rec1.Report.Bytes-rec0.Report.Bytes) / float64(rec1.Report.Records-rec0.Report.Records)
	}
	rep.OptOut = o
	rep.Summary["optout propagation p99 ms"] = o.PropagationMs[2]
	return nil
}
