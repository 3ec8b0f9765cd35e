package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/bench"
)

// hushbench http: the live check service against the do-it-yourself peer
// (gin + Redis sets), side by side in one run, plus check latency while a
// big import runs. Run it pinned to one core (taskset -c 1 hushbench
// http ...): it pins the servers to -server-cpu itself.

type httpFlags struct {
	dir, hush, peer   string
	lists, entries    int
	conns, batchConns int
	batch             int
	duration          time.Duration
	runs              int
	serverCPU         string
	importNumbers     int64
	seed              uint64
	redisServer       string
	only              string
}

type httpRun struct {
	Tool   string           `json:"tool"`
	Test   string           `json:"test"`
	Result bench.LoadResult `json:"result"`
	// CPUSeconds is the CPU the server side used during the run (hush; the
	// gin peer plus Redis), from /proc: on a shared machine, checks per
	// CPU-second compare the implementations whatever share each got.
	CPUSeconds   float64 `json:"server_cpu_seconds"`
	ClientCPU    float64 `json:"load_generator_cpu_seconds"`
	ChecksPerCPU float64 `json:"checks_per_server_cpu_second"`
}

type httpReport struct {
	Machine machine            `json:"machine"`
	Flags   any                `json:"flags"`
	Runs    []httpRun          `json:"runs"`
	Summary map[string]float64 `json:"summary"`
	Import  *importUnderLoad   `json:"import_under_load,omitempty"`
}

type importUnderLoad struct {
	Numbers int64            `json:"numbers"`
	Seconds float64          `json:"import_seconds"`
	Load    bench.LoadResult `json:"checks_during_import"`
	// Server side, from hush's own latency histogram over the same window:
	// checks answered, and the share answered within 5 ms of being read.
	ServerChecks   float64 `json:"server_checks"`
	ServerWithin5m float64 `json:"server_share_within_5ms"`
	// CPU is sampled every second of the import: the server's threads at
	// normal priority and at lowered priority, the uploading client.
	CPU []cpuSample `json:"cpu_per_second"`
}

// cpuSample is the CPU seconds used in one second of an import under load.
type cpuSample struct {
	ServerNormal float64 `json:"server_normal_priority"`
	ServerLow    float64 `json:"server_lowered_priority"`
	Uploader     float64 `json:"uploader"`
	LoadGen      float64 `json:"load_generator"`
}

func runHTTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f httpFlags
	fs := flag.NewFlagSet("hushbench http", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.dir, "dir", filepath.Join(os.TempDir(), "hush-bench", "http"), "work directory (lists, data dirs, results)")
	fs.StringVar(&f.hush, "hush", "", "hush binary (default: go build ./cmd/hush)")
	fs.StringVar(&f.peer, "peer", "", "diypeer binary (default: go build ./bench/cmd/diypeer)")
	fs.IntVar(&f.lists, "lists", 10, "phone lists to check against")
	fs.IntVar(&f.entries, "entries", 1_000_000, "numbers per list")
	fs.IntVar(&f.conns, "conns", 32, "keep-alive connections for GET /v1/check")
	fs.IntVar(&f.batchConns, "batch-conns", 8, "keep-alive connections for POST /v1/check")
	fs.IntVar(&f.batch, "batch", 1000, "checks per POST /v1/check")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "length of each measured load")
	fs.IntVar(&f.runs, "runs", 3, "rounds of (hush, peer) per test; medians are reported")
	fs.StringVar(&f.serverCPU, "server-cpu", "0", "CPU list the servers (hush; gin peer and Redis) are pinned to with taskset")
	fs.Int64Var(&f.importNumbers, "import", 50_000_000, "numbers in the registry imported while checks run (0: skip)")
	fs.Uint64Var(&f.seed, "seed", bench.DefaultSeed, "seed of the lists and queries")
	fs.StringVar(&f.redisServer, "redis-server", "redis-server", "redis-server binary")
	fs.StringVar(&f.only, "only", "", "run only this test: get or post (default: both)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || f.lists < 1 || f.entries < 1 || f.runs < 1 || f.batch < 1 || f.batch > 10000 {
		return errors.New("want flags only; -lists, -entries, -runs >= 1; -batch 1..10000")
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
	if f.peer == "" {
		fmt.Fprintln(stderr, "building ./bench/cmd/diypeer ...")
		f.peer = filepath.Join(tmp, "diypeer")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", f.peer, "./bench/cmd/diypeer").CombinedOutput(); err != nil {
			return fmt.Errorf("build diypeer: %v\n%s", err, out)
		}
	}
	rep := &httpReport{Machine: describeMachine(ctx, f.hush), Summary: map[string]float64{},
		Flags: map[string]any{"lists": f.lists, "entries": f.entries, "conns": f.conns, "batch_conns": f.batchConns, "batch": f.batch,
			"duration": f.duration.String(), "runs": f.runs, "server_cpu": f.serverCPU, "import": f.importNumbers}}
	fmt.Fprintf(stderr, "machine: %d CPUs, load average %s, %s\n", rep.Machine.CPUs, rep.Machine.LoadAvg, rep.Machine.Hush)

	// The lists: the same numbers go into hush and into Redis.
	lists := make([][]uint64, f.lists)
	names := make([]string, f.lists)
	for i := range lists {
		lists[i] = bench.RandomPhones(f.seed, uint64(100+i), f.entries)
		names[i] = fmt.Sprintf("list%d", i)
	}
	logf, err := os.Create(filepath.Join(f.dir, "hush.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	data := filepath.Join(tmp, "hush-data")
	h := hushCmd{bin: f.hush, data: data, region: "US", log: logf}
	fmt.Fprintf(stderr, "loading %d lists of %d numbers into hush ...\n", f.lists, f.entries)
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
	if f.importNumbers > 0 {
		var out map[string]any
		if _, err := h.runJSON(ctx, &out, "lists", "create", "big_registry", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry"); err != nil {
			return err
		}
	}
	agent, err := createKey(ctx, h, "agent")
	if err != nil {
		return err
	}
	marketer, err := createKey(ctx, h, "marketer")
	if err != nil {
		return err
	}

	// Redis for the peer, on the servers' core.
	sock := filepath.Join(tmp, "redis.sock")
	redisCmd := exec.CommandContext(ctx, "taskset", "-c", f.serverCPU, f.redisServer, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", tmp, "--daemonize", "no")
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
	fmt.Fprintf(stderr, "loading the same lists into Redis sets ...\n")
	for i, name := range names {
		if err := loadSet(ctx, rdb, name, lists[i]); err != nil {
			return err
		}
	}

	hushAddr, hushPid, stopHush, err := startPinned(ctx, f.serverCPU, logf, f.hush, "serve", "--data", data, "--listen", "127.0.0.1:0", "--json", "--quiet")
	if err != nil {
		return err
	}
	defer stopHush()
	peerPort, err := freePort()
	if err != nil {
		return err
	}
	peerAddr, peerPid, stopPeer, err := startPinned(ctx, f.serverCPU, logf, f.peer, "-listen", "127.0.0.1:"+strconv.Itoa(peerPort), "-redis", sock, "-lists", strings.Join(names, ","))
	if err != nil {
		return err
	}
	defer stopPeer()

	// Queries: half members of a random list, half random numbers.
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
	gets := func(addr string) [][]byte {
		reqs := make([][]byte, nq)
		for i, p := range phones {
			reqs[i] = bench.GetRequest(addr, "/v1/check?phone="+strconv.FormatUint(p, 10)+"&channel=call&purpose=direct_marketing", agent)
		}
		return reqs
	}
	posts := func(addr string) [][]byte {
		var reqs [][]byte
		for b := 0; b < 64; b++ {
			var body bytes.Buffer
			body.WriteByte('[')
			for i := 0; i < f.batch; i++ {
				if i > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `{"phone":"%d","channel":"call","purpose":"direct_marketing"}`, phones[(b*f.batch+i)%nq])
			}
			body.WriteByte(']')
			reqs = append(reqs, bench.PostRequest(addr, "/v1/check", agent, "application/json", body.Bytes()))
		}
		return reqs
	}
	tools := []struct {
		name, addr string
		pids       []int
	}{{"hush", hushAddr, []int{hushPid}}, {"diy-peer", peerAddr, []int{peerPid, redisCmd.Process.Pid}}}
	tests := []struct {
		name  string
		conns int
		reqs  func(string) [][]byte
		per   float64 // checks per request
	}{{"GET /v1/check", f.conns, gets, 1}, {fmt.Sprintf("POST /v1/check x%d", f.batch), f.batchConns, posts, float64(f.batch)}}
	switch f.only {
	case "":
	case "get":
		tests = tests[:1]
	case "post":
		tests = tests[1:]
	default:
		return fmt.Errorf("-only %q: want get or post", f.only)
	}
	// Warm up both servers (connections, compiled policies, page
	// faults): the first check of a scope compiles its policy, which over
	// millions of entries takes a moment.
	for _, tl := range tools {
		for _, tc := range tests {
			res, _ := (bench.Load{Addr: tl.addr, Conns: tc.conns, Duration: 3 * time.Second, Requests: tc.reqs(tl.addr)}).Run(ctx)
			fmt.Fprintf(stderr, "warm-up  %-8s %-22s %s\n", tl.name, tc.name, res)
		}
	}
	med := map[string][]float64{}
	for r := 0; r < f.runs; r++ {
		for _, tc := range tests {
			for _, tl := range tools {
				cpu0, own0 := cpuSeconds(tl.pids), cpuSeconds([]int{os.Getpid()})
				res, err := (bench.Load{Addr: tl.addr, Conns: tc.conns, Duration: f.duration, Requests: tc.reqs(tl.addr)}).Run(ctx)
				cpu, own := cpuSeconds(tl.pids)-cpu0, cpuSeconds([]int{os.Getpid()})-own0
				if err != nil {
					return fmt.Errorf("%s %s: %w", tl.name, tc.name, err)
				}
				if res.Non2xx > 0 || res.Errors > 0 {
					return fmt.Errorf("%s %s: %d non-2xx answers, %d errors (%s)", tl.name, tc.name, res.Non2xx, res.Errors, res.FirstErr)
				}
				perCPU := float64(res.Requests) * tc.per / max(cpu, 1e-9)
				rep.Runs = append(rep.Runs, httpRun{Tool: tl.name, Test: tc.name, Result: res, CPUSeconds: cpu, ClientCPU: own, ChecksPerCPU: perCPU})
				fmt.Fprintf(stderr, "run %d %-8s %-22s %s; server CPU %.1f s = %.0f checks per CPU-second; load generator CPU %.1f s\n", r+1, tl.name, tc.name, res, cpu, perCPU, own)
				med[tl.name+" "+tc.name+" checks/cpu-s"] = append(med[tl.name+" "+tc.name+" checks/cpu-s"], perCPU)
				med[tl.name+" "+tc.name+" checks/s"] = append(med[tl.name+" "+tc.name+" checks/s"], res.PerSecond*tc.per)
				med[tl.name+" "+tc.name+" p99 ms"] = append(med[tl.name+" "+tc.name+" p99 ms"], float64(res.P99)/1e6)
			}
		}
	}
	for k, v := range med {
		rep.Summary[k] = median(v)
	}
	for _, tc := range tests {
		rep.Summary["ratio "+tc.name] = rep.Summary["hush "+tc.name+" checks/s"] / rep.Summary["diy-peer "+tc.name+" checks/s"]
		rep.Summary["cpu ratio "+tc.name] = rep.Summary["hush "+tc.name+" checks/cpu-s"] / rep.Summary["diy-peer "+tc.name+" checks/cpu-s"]
	}

	if f.importNumbers > 0 {
		sc := bench.NewScenario(f.seed, 0, 1, 0, 0)
		sc.Lists = sc.Lists[:1]
		sc.Lists[0].Entries = f.importNumbers
		file := filepath.Join(f.dir, "registry-"+strconv.FormatInt(f.importNumbers, 10)+"-seed"+strconv.FormatUint(f.seed, 10)+".txt")
		if _, err := registryFile(ctx, sc, file, stderr); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "importing %d numbers through the API while GET /v1/check runs ...\n", f.importNumbers)
		stop := make(chan struct{})
		type loadOut struct {
			res bench.LoadResult
			err error
		}
		lc := make(chan loadOut, 1)
		go func() {
			res, err := (bench.Load{Addr: hushAddr, Conns: f.conns, Duration: 30 * time.Minute, Requests: gets(hushAddr), Stop: stop, Timeline: time.Second}).Run(ctx)
			lc <- loadOut{res, err}
		}()
		time.Sleep(500 * time.Millisecond)
		b0, n0 := checkHistogram(hushAddr)
		t0 := time.Now()
		imp := exec.CommandContext(ctx, f.hush, "import", "--server", "http://"+hushAddr, "--key", marketer, "--list", "big_registry",
			"--format", "registry", "--rejected", filepath.Join(tmp, "big.rej"), "--json", "--quiet", file)
		var out bytes.Buffer
		imp.Stdout, imp.Stderr = &out, &out
		err := imp.Start()
		var samples []cpuSample
		if err == nil {
			done := make(chan error, 1)
			go func() { done <- imp.Wait() }()
			samples, err = sampleCPU(done, hushPid, imp.Process.Pid)
		}
		secs := time.Since(t0).Seconds()
		close(stop)
		lo := <-lc
		if err != nil {
			return fmt.Errorf("import under load: %v\n%s", err, tailString(out.String(), 2000))
		}
		if lo.err != nil {
			return lo.err
		}
		b1, n1 := checkHistogram(hushAddr)
		rep.Import = &importUnderLoad{Numbers: f.importNumbers, Seconds: secs, Load: lo.res, ServerChecks: n1 - n0, ServerWithin5m: (b1 - b0) / max(n1-n0, 1), CPU: samples}
		// The checks were started 0.5 s before the import: the timeline's
		// second i+1 is roughly the import's second i.
		fmt.Fprintf(stderr, "second  checks  p50 ms  p99 ms  max ms  >5ms | CPU-s: server normal, lowered; uploader; load generator\n")
		for i, iv := range lo.res.Timeline {
			var c cpuSample
			if i > 0 && i-1 < len(samples) {
				c = samples[i-1]
			}
			fmt.Fprintf(stderr, "%6d %7d %7.2f %7.2f %7.1f %5d | %.2f %.2f; %.2f; %.2f\n", i, iv.Requests, ms(iv.P50), ms(iv.P99), ms(iv.Max), iv.Over5ms,
				c.ServerNormal, c.ServerLow, c.Uploader, c.LoadGen)
		}
		fmt.Fprintf(stderr, "server side: %.0f checks, %.2f%% within 5 ms\n", n1-n0, 100*rep.Import.ServerWithin5m)
		fmt.Fprintf(stderr, "import of %d numbers took %.1f s; checks meanwhile: %s\n", f.importNumbers, secs, lo.res)
	}

	fmt.Fprintf(stdout, "\nlive checks: %d lists x %d numbers, servers pinned to CPU %s, %d CPUs, load average at start %s\n\n",
		f.lists, f.entries, f.serverCPU, rep.Machine.CPUs, rep.Machine.LoadAvg)
	for _, tc := range tests {
		fmt.Fprintf(stdout, "  %-24s hush %9.0f checks/s (p99 %.2f ms)   diy peer %9.0f checks/s (p99 %.2f ms)   ratio %.2fx\n", tc.name,
			rep.Summary["hush "+tc.name+" checks/s"], rep.Summary["hush "+tc.name+" p99 ms"],
			rep.Summary["diy-peer "+tc.name+" checks/s"], rep.Summary["diy-peer "+tc.name+" p99 ms"], rep.Summary["ratio "+tc.name])
		fmt.Fprintf(stdout, "  %-24s hush %9.0f checks per server CPU-second   diy peer %9.0f (gin + Redis)   ratio %.2fx\n", "",
			rep.Summary["hush "+tc.name+" checks/cpu-s"], rep.Summary["diy-peer "+tc.name+" checks/cpu-s"], rep.Summary["cpu ratio "+tc.name])
	}
	if rep.Import != nil {
		fmt.Fprintf(stdout, "  during a %d-number import (%.1f s): GET /v1/check %.0f/s, p50 %s, p99 %s, max %s; server side %.2f%% of %.0f checks within 5 ms\n", rep.Import.Numbers, rep.Import.Seconds,
			rep.Import.Load.PerSecond, rep.Import.Load.P50, rep.Import.Load.P99, rep.Import.Load.Max, 100*rep.Import.ServerWithin5m, rep.Import.ServerChecks)
	}
	path := filepath.Join(f.dir, "http-results.json")
	if err := writeJSON(path, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nfull results: %s\n", path)
	return nil
}

func writeNumbers(path string, nums []uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var b []byte
	for _, n := range nums {
		b = strconv.AppendUint(b[:0], n, 10)
		b = append(b, '\n')
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func createKey(ctx context.Context, h hushCmd, role string) (string, error) {
	var k struct{ Key string }
	if _, err := h.runJSON(ctx, &k, "keys", "create", "--role", role); err != nil {
		return "", err
	}
	if k.Key == "" {
		return "", errors.New("hush keys create printed no key")
	}
	return k.Key, nil
}

// loadSet adds nums to the Redis set name as E.164 digits (country code 1).
func loadSet(ctx context.Context, rdb *redis.Client, name string, nums []uint64) error {
	const chunk = 10000
	pipe := rdb.Pipeline()
	for i := 0; i < len(nums); i += chunk {
		members := make([]any, 0, chunk)
		for _, n := range nums[i:min(i+chunk, len(nums))] {
			members = append(members, "1"+strconv.FormatUint(n, 10))
		}
		pipe.SAdd(ctx, name, members...)
		if pipe.Len() >= 20 {
			if _, err := pipe.Exec(ctx); err != nil {
				return fmt.Errorf("SADD %s: %w", name, err)
			}
		}
	}
	_, err := pipe.Exec(ctx)
	return err
}

func waitFor(ctx context.Context, fn func() error) error {
	var err error
	for i := 0; i < 100; i++ {
		if err = fn(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return err
}

// startPinned starts a server under taskset and waits for the JSON line
// it prints when it listens ({"listening": "host:port", ...}).
func startPinned(ctx context.Context, cpus string, log io.Writer, prog string, args ...string) (string, int, func(), error) {
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", cpus, prog}, args...)...)
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "{") {
				lines <- sc.Text()
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case l := <-lines:
		var r struct {
			Listening string `json:"listening"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Listening == "" {
			stop()
			return "", 0, nil, fmt.Errorf("%s said %q", prog, l)
		}
		// taskset execs prog: the pid is the server's own.
		return r.Listening, cmd.Process.Pid, stop, nil
	case <-time.After(5 * time.Minute):
		stop()
		return "", 0, nil, fmt.Errorf("%s did not start", prog)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// cpuSeconds is the user+system CPU time of pids so far, from /proc.
func cpuSeconds(pids []int) float64 {
	var total float64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces) start
		// after the last ')': state is field 3, utime 14, stime 15.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		total += (ut + st) / 100 // USER_HZ
	}
	return total
}

// checkHistogram reads hush's /metrics: GET /v1/check answers (200) within
// 5 ms, and in all.
func checkHistogram(addr string) (within5ms, total float64) {
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	const series = `code="200",method="GET",route="/v1/check"`
	for sc.Scan() {
		l := sc.Text()
		if !strings.Contains(l, series) {
			continue
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(l, "hush_http_request_duration_seconds_bucket") && strings.Contains(l, `le="0.005"`):
			within5ms = v
		case strings.HasPrefix(l, "hush_http_request_duration_seconds_count"):
			total = v
		}
	}
	return within5ms, total
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// sampleCPU samples, every second until done yields, the CPU the server's
// threads used at normal and at lowered priority (niceness > 0), the
// uploader's and this process's, and returns done's error. Server threads
// are followed one by one (an import's lowered threads come and go); the
// last part-second of a thread that ended is not counted.
func sampleCPU(done <-chan error, server, uploader int) ([]cpuSample, error) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	seen := map[string]float64{}
	up, own := cpuSeconds([]int{uploader}), cpuSeconds([]int{os.Getpid()})
	threadCPU(server, seen) // the baseline
	var out []cpuSample
	for {
		select {
		case err := <-done:
			return out, err
		case <-tick.C:
			n, l := threadCPU(server, seen)
			u, o := cpuSeconds([]int{uploader}), cpuSeconds([]int{os.Getpid()})
			out = append(out, cpuSample{ServerNormal: n, ServerLow: l, Uploader: u - up, LoadGen: o - own})
			up, own = u, o
		}
	}
}

// threadCPU is the user+system CPU seconds pid's threads used since the
// times in seen (which it updates), split by priority: niceness 0 or
// below, and above 0.
func threadCPU(pid int, seen map[string]float64) (normal, lowered float64) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 17 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		nice, _ := strconv.Atoi(f[16])
		t := (ut + st) / 100
		d := t - seen[e.Name()]
		seen[e.Name()] = t
		if nice > 0 {
			lowered += d
		} else {
			normal += d
		}
	}
	return normal, lowered
}
