package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
)

// redisDo sends commands to the Redis at sock on one connection and
// returns the first line of each reply (enough for XADD, XPENDING's count
// and XLEN), so tests produce stream messages without a client library.
func redisDo(t *testing.T, sock string, cmds ...[]string) []string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := bufio.NewWriter(c)
	for _, args := range cmds {
		fmt.Fprintf(w, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(w, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	out := make([]string, len(cmds))
	for i := range cmds {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimSuffix(line, "\r\n")
		switch line[0] {
		case '$':
			n, _ := strconv.Atoi(line[1:])
			if n >= 0 {
				b := make([]byte, n+2)
				if _, err := ioReadFull(r, b); err != nil {
					t.Fatal(err)
				}
				line = string(b[:n])
			}
		case '*': // XPENDING summary: the count is the first element
			n, _ := strconv.Atoi(line[1:])
			first, _ := r.ReadString('\n')
			line = strings.TrimPrefix(strings.TrimSuffix(first, "\r\n"), ":")
			for j := 1; j < n; j++ {
				skipReply(t, r)
			}
		case '-':
			t.Fatalf("%v: %s", cmds[i], line)
		default:
			line = line[1:]
		}
		out[i] = line
	}
	return out
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func skipReply(t *testing.T, r *bufio.Reader) {
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	switch line[0] {
	case '$':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if n >= 0 {
			ioReadFull(r, make([]byte, n+2))
		}
	case '*':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		for j := 0; j < n; j++ {
			skipReply(t, r)
		}
	}
}

func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	_, body := call(t, "GET", url+"/metrics", "", "", "")
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, name+"{") || strings.HasPrefix(l, name+" ") {
			v, _ := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
			return v
		}
	}
	return -1
}

// hush serve consumes ingest.purchases.stream; killed with -9 while it
// consumes and started again, it stores every order exactly once, and the
// bad messages are in the dead-letter stream with their reasons.
func TestServePurchaseStreamSurvivesKill9(t *testing.T) {
	r := redistest.StartServer(t, redistest.Config{AOF: true})
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.key")
	cfg := filepath.Join(dir, "hush.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("redis:\n  url: %s\nsecret_file: %s\ningest:\n  purchases:\n    stream: orders\n    consumer: inst1\n    batch: 20\n", r.URL(), secret)), 0o600)

	const n = 3000
	var csv strings.Builder
	csv.WriteString("order,customer,date,amount\n")
	cmds := make([][]string, 0, n+2)
	for i := 0; i < n; i++ {
		order, cust, amount := fmt.Sprintf("S-%d", i), strconv.Itoa(500+i%41), fmt.Sprintf("%d.25", 1+i%70)
		cmds = append(cmds, []string{"XADD", "orders", "*", "order", order, "customer", cust, "date", "2026-11-29", "amount", amount})
		fmt.Fprintf(&csv, "%s,%s,2026-11-29,%s\n", order, cust, amount)
	}
	cmds = append(cmds, []string{"XADD", "orders", "*", "customer", "1", "date", "2026-11-29", "amount", "3"},
		[]string{"XADD", "orders", "*", "order", "X-2", "customer", "1", "date", "2026-13-45", "amount", "3"})
	redisDo(t, r.Socket, cmds...)

	s := startServer(t, filepath.Join(dir, "a"), "--config", cfg, "--quiet")
	eventually(t, 30*time.Second, "the consumer has started", func() bool { return metric(t, s.url, "hush_purchase_stream_consumed_total") > 0 })
	s.cmd.Process.Kill()
	<-s.done
	before := redisDo(t, r.Socket, []string{"XPENDING", "orders", "hush"})[0]
	t.Logf("killed mid-stream; %s messages were pending", before)

	s = startServer(t, filepath.Join(dir, "a"), "--config", cfg, "--quiet")
	eventually(t, 60*time.Second, "every message handled after the restart", func() bool {
		p := redisDo(t, r.Socket, []string{"XPENDING", "orders", "hush"})[0]
		return p == "0" && lastAcked(t, r.Socket)
	})
	if dl := redisDo(t, r.Socket, []string{"XLEN", "orders:rejected"})[0]; dl != "2" {
		t.Fatalf("%s dead letters, want 2", dl)
	}
	if m := metric(t, s.url, "hush_purchase_stream_rejected_total"); m > 2 {
		t.Fatalf("rejected_total %v", m)
	}
	s.cmd.Process.Signal(os.Interrupt)
	<-s.done

	// Every order is stored exactly once: ingesting the same orders again
	// from a file stores none and finds all of them.
	file := filepath.Join(dir, "orders.csv")
	os.WriteFile(file, []byte(csv.String()), 0o644)
	out := mustRun(t, "ingest", "purchases", file, "--redis", r.URL(), "--secret", secret, "--json", "--quiet")
	var res struct{ Applied, Duplicates int }
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
		t.Fatalf("ingest: %q", out)
	}
	if res.Applied != 0 || res.Duplicates != n {
		t.Fatalf("after the crash and restart: %d orders missing from the stream's, %d found (want 0 and %d)", res.Applied, res.Duplicates, n)
	}
}

// lastAcked: the group has read the stream to its end (Redis 7 XINFO
// GROUPS "lag" 0 would say the same; entries-read is enough here).
func lastAcked(t *testing.T, sock string) bool {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "*3\r\n$5\r\nXINFO\r\n$6\r\nGROUPS\r\n$6\r\norders\r\n")
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var toks []string
	var read func() error
	read = func() error {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimSuffix(line, "\r\n")
		switch line[0] {
		case '*':
			n, _ := strconv.Atoi(line[1:])
			for i := 0; i < n; i++ {
				if err := read(); err != nil {
					return err
				}
			}
		case '$':
			n, _ := strconv.Atoi(line[1:])
			if n < 0 {
				toks = append(toks, "nil")
				return nil
			}
			b := make([]byte, n+2)
			ioReadFull(r, b)
			toks = append(toks, string(b[:n]))
		default:
			toks = append(toks, line[1:])
		}
		return nil
	}
	if err := read(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(toks); i++ {
		if toks[i] == "lag" {
			return toks[i+1] == "0"
		}
	}
	t.Fatalf("XINFO GROUPS without lag: %v", toks)
	return false
}
