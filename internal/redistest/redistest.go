// Package redistest starts private redis-server processes for tests: each
// in its own temp dir, on a unix socket (or free loopback ports for a
// Cluster), stopped when the test ends. With CI=true a missing redis-server
// fails the test; elsewhere it skips it.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Start runs a redis-server without persistence and returns the path of
// its unix socket.
func Start(t testing.TB) string {
	t.Helper()
	return StartServer(t, Config{}).Socket
}

// Config says how to run a server.
type Config struct {
	// AOF turns on the append-only file with appendfsync always, so a
	// killed server comes back with every write it acknowledged.
	AOF bool
	// Port > 0 listens on 127.0.0.1:Port as well as the socket.
	Port int
	// Args are extra redis-server arguments ("--maxmemory", "1mb", ...).
	Args []string
}

// Server is a running (or killed) private redis-server.
type Server struct {
	t      testing.TB
	bin    string
	cfg    Config
	Dir    string // its working dir (AOF, logs)
	Socket string // its unix socket

	mu  sync.Mutex
	cmd *exec.Cmd
	log *os.File
}

// URL is the server's address for go-redis and hush: unix://<socket>.
func (s *Server) URL() string { return "unix://" + s.Socket }

func redisServer(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is not installed (CI must install it: apt-get install -y redis-server)")
		}
		t.Skip("redis-server is not installed (apt-get install -y redis-server)")
	}
	return bin
}

// StartServer runs redis-server as cfg says; it is killed when the test
// ends.
func StartServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s := &Server{t: t, bin: redisServer(t), cfg: cfg, Dir: t.TempDir()}
	s.Socket = filepath.Join(s.Dir, "redis.sock")
	t.Cleanup(s.Kill)
	s.start()
	return s
}

func (s *Server) args() []string {
	a := []string{"--port", strconv.Itoa(s.cfg.Port), "--bind", "127.0.0.1", "--unixsocket", s.Socket, "--unixsocketperm", "700",
		"--save", "", "--dir", s.Dir, "--daemonize", "no", "--logfile", ""}
	if s.cfg.AOF {
		a = append(a, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		a = append(a, "--appendonly", "no")
	}
	return append(a, s.cfg.Args...)
}

func (s *Server) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	out, err := os.OpenFile(filepath.Join(s.Dir, "redis.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.cmd, s.log = cmd, out
	if err := waitReady("unix", s.Socket, 10*time.Second); err != nil {
		b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
		s.t.Fatalf("redis-server on %s is not ready: %v\n%s", s.Socket, err, b)
	}
}

// Kill stops the server with SIGKILL (as a crash would) and waits for it.
// It does nothing when the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.log.Close()
	s.cmd, s.log = nil, nil
	os.Remove(s.Socket)
}

// Restart starts a killed server again on the same socket and data dir (with
// AOF it loads what it had acknowledged) and waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

// waitReady polls until a PING gets an answer other than -LOADING (a
// server with requirepass answers -NOAUTH: it is up).
func waitReady(network, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		last = ping(network, addr)
		if last == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return last
}

func ping(network, addr string) error {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// StartCluster runs a Redis Cluster of n masters (no replicas) on free
// loopback ports, with the 16384 slots split evenly, and returns their
// host:port addresses once every node reports cluster_state:ok. That takes
// about 2.5 s: a master waits 2 s after its start before it calls the
// cluster ok (CLUSTER_WRITABLE_DELAY).
func StartCluster(t testing.TB, n int) []string {
	t.Helper()
	bin := redisServer(t)
	ports := freePorts(t, n)
	addrs := make([]string, n)
	for i, port := range ports {
		dir := t.TempDir()
		out, err := os.Create(filepath.Join(dir, "redis.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server --cluster-enabled: %v", err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			out.Close()
		})
		addrs[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err := waitReady("tcp", addrs[i], 10*time.Second); err != nil {
			b, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("cluster node %s is not ready: %v\n%s", addrs[i], err, b)
		}
	}
	ctx := context.Background()
	clients := make([]*redis.Client, n)
	for i, a := range addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: a})
		defer clients[i].Close()
	}
	const slots = 16384
	for i, c := range clients {
		lo, hi := i*slots/n, (i+1)*slots/n-1
		if err := c.Do(ctx, "cluster", "addslotsrange", lo, hi).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE %d %d on %s: %v", lo, hi, addrs[i], err)
		}
	}
	for _, port := range ports[1:] {
		if err := clients[0].Do(ctx, "cluster", "meet", "127.0.0.1", port).Err(); err != nil {
			t.Fatalf("CLUSTER MEET 127.0.0.1 %d: %v", port, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for i, c := range clients {
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)+"\r") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s did not reach cluster_state:ok: %v\n%s", addrs[i], err, info)
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	return addrs
}

// freePorts finds n loopback ports that are free, and whose cluster bus
// ports (+10000) are free too.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	seen := map[int]bool{}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			t.Fatal("no free loopback ports for a Redis Cluster")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port+10000 > 65535 || seen[port] || seen[port+10000] {
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		bus.Close()
		seen[port], seen[port+10000] = true, true
		ports = append(ports, port)
	}
	return ports
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	return freePorts(t, 1)[0]
}

// Addr is the server's 127.0.0.1:port (Config.Port must be set).
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.cfg.Port)) }

// StartSentinel runs a Redis Sentinel (redis-server --sentinel) on a free
// loopback port, monitoring masterAddr under masterName with a quorum of
// one, and returns its address once it knows the master.
func StartSentinel(t testing.TB, masterName, masterAddr string) string {
	t.Helper()
	bin := redisServer(t)
	host, port, err := net.SplitHostPort(masterAddr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sport := FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	cfg := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 1000\n",
		sport, dir, masterName, host, port, masterName)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "sentinel.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server --sentinel: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sport))
	c := redis.NewSentinelClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.GetMasterAddrByName(context.Background(), masterName).Result()
		if err == nil && len(got) == 2 && got[1] == port {
			return addr
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "sentinel.log"))
			t.Fatalf("sentinel %s does not know master %s: %v %v\n%s", addr, masterName, got, err, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitReplicaSynced waits until the server at addr (a replica) reports its
// link to the master up.
func WaitReplicaSynced(t testing.TB, s *Server) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.Socket})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := c.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica on %s did not sync: %v\n%s", s.Socket, err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
