package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is a running `hush serve` child process.
type server struct {
	cmd  *exec.Cmd
	url  string
	errb *bytes.Buffer
	done chan error
}

func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--json"}, extra...)
	cmd := exec.Command(hushBinary(t), args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, errb: &errb, done: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "{") {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("serve exited before it was ready: %s", errb.String())
		}
		var ready struct {
			Listening string `json:"listening"`
			Ready     bool   `json:"ready"`
		}
		if err := json.Unmarshal([]byte(l), &ready); err != nil || !ready.Ready {
			t.Fatalf("serve said %q", l)
		}
		s.url = "http://" + ready.Listening
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve not ready in 60 s: %s", errb.String())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

func newKey(t *testing.T, data, role string) string {
	t.Helper()
	out := mustRun(t, "keys", "create", "--role", role, "--data", data, "--json", "--quiet")
	var k struct{ Key string }
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &k); err != nil || k.Key == "" {
		t.Fatalf("keys create: %q", out)
	}
	return k.Key
}

func call(t *testing.T, method, url, key, ct, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// An opt-out acknowledged by POST /v1/optouts survives kill -9 of the
// server, and the next check on the same instance already sees it.
func TestServeOptOutsSurviveKill9(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	mkt := newKey(t, data, "marketer")
	agent := newKey(t, data, "agent")
	s := startServer(t, data)

	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				phone := fmt.Sprintf("+1312%d%06d", 2+w, i)
				code, _ := call(t, "POST", s.url+"/v1/optouts", mkt, "application/json",
					fmt.Sprintf(`{"phone":%q,"channels":["call"],"purposes":["direct_marketing"],"evidence":"test"}`, phone))
				if code != 200 {
					return // the server is gone
				}
				// Read-your-writes on the same instance.
				code, body := call(t, "GET", s.url+"/v1/check?channel=call&purpose=direct_marketing&phone="+strings.Replace(phone, "+", "%2B", 1), agent, "", "")
				if code == 200 && !strings.Contains(body, `"allowed":false`) {
					t.Errorf("check right after the acknowledged opt-out of %s: %s", phone, body)
				}
				mu.Lock()
				acked = append(acked, phone)
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(700 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	close(stop)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d opt-outs acknowledged before the kill", len(acked))
	}
	s2 := startServer(t, data)
	for _, phone := range acked {
		code, body := call(t, "GET", s2.url+"/v1/check?channel=call&purpose=direct_marketing&phone="+strings.Replace(phone, "+", "%2B", 1), agent, "", "")
		if code != 200 || !strings.Contains(body, `"allowed":false`) {
			t.Fatalf("acknowledged opt-out of %s lost after kill -9: %d %s", phone, code, body)
		}
	}
	t.Logf("%d acknowledged opt-outs survived kill -9", len(acked))
	// Graceful shutdown: SIGTERM, exit 0, journal flushed.
	s2.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s2.done:
		if err != nil || !strings.Contains(s2.errb.String(), "shut down cleanly") {
			t.Fatalf("SIGTERM: %v\n%s", err, s2.errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
}

// The CLI's --server mode runs check, optout, lists, import and scrub
// against a running server.
func TestCLIAgainstServer(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	admin := newKey(t, data, "admin")
	mkt := newKey(t, data, "marketer")
	agent := newKey(t, data, "agent")
	s := startServer(t, data)
	srv := func(key string, args ...string) (string, int) {
		return hushRun(t, append(args, "--server", s.url, "--key", key)...)
	}
	if out, code := srv(admin, "lists", "create", "dnc", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry"); code != 0 {
		t.Fatalf("lists create: %d %s", code, out)
	}
	if out, code := srv(agent, "lists", "create", "x", "--kind", "phone", "--source", "y"); code != exitUser || !strings.Contains(out, "403") {
		t.Fatalf("agent creating a list: %d %s", code, out)
	}
	reg := filepath.Join(dir, "dnc.txt")
	os.WriteFile(reg, []byte("2025550100\n2025550101\nbad\n"), 0o644)
	if out, code := srv(mkt, "import", "--list", "dnc", "--format", "registry", reg); code != 0 || !strings.Contains(out, "2 accepted, 1 rejected") {
		t.Fatalf("import: %d %s", code, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "dnc.txt.rejected.csv")); err != nil || !strings.Contains(string(b), "bad") {
		t.Fatalf("rejected file: %v %s", err, b)
	}
	if out, code := srv(agent, "check", "--phone", "202-555-0100", "--channel", "call", "--purpose", "direct_marketing"); code != exitSuppressed || !strings.Contains(out, "dnc") {
		t.Fatalf("check: %d %s", code, out)
	}
	if out, code := srv(mkt, "optout", "add", "--phone", "2025550199", "--channels", "call", "--purposes", "direct_marketing"); code != 0 {
		t.Fatalf("optout: %d %s", code, out)
	}
	if _, code := srv(agent, "check", "--phone", "2025550199", "--channel", "call", "--purpose", "direct_marketing"); code != exitSuppressed {
		t.Fatalf("check after optout: %d", code)
	}
	if out, code := srv(mkt, "lists", "ls"); code != 0 || !strings.Contains(out, "dnc") {
		t.Fatalf("lists ls: %d %s", code, out)
	}
	camp := filepath.Join(dir, "camp.csv")
	os.WriteFile(camp, []byte("id,phone\n1,2025550100\n2,2025550150\n3,12\n"), 0o644)
	if out, code := srv(mkt, "scrub", "--channel", "call", "--purpose", "direct_marketing", "--map", "phone=phone", camp); code != 0 || !strings.Contains(out, "1 clean, 1 suppressed, 1 rejected") {
		t.Fatalf("scrub: %d %s", code, out)
	}
	for _, f := range []string{"camp.clean.csv", "camp.suppressed.csv", "camp.rejected.csv", "camp.manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("scrub output %s: %v", f, err)
		}
	}
	if out, code := hushRun(t, "check", "--phone", "1", "--channel", "call", "--purpose", "x", "--server", s.url); code != exitUser || !strings.Contains(out, "--key") {
		t.Fatalf("--server without --key: %d %s", code, out)
	}
	// The access log: a privacy officer's look-up, read back remotely and,
	// once the server is gone, verified locally.
	po := ""
	if out, code := srv(admin, "keys", "create", "--role", "privacy_officer", "--json"); code != 0 {
		t.Fatalf("keys create over the API: %d %s", code, out)
	} else {
		var k struct{ Key string }
		json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &k)
		po = k.Key
	}
	if code, body := call(t, "GET", s.url+"/v1/subjects/phone/2025550199?why=DSAR-7", po, "", ""); code != 200 {
		t.Fatalf("subject: %d %s", code, body)
	}
	if out, code := srv(po, "accesslog"); code != 0 || !strings.Contains(out, "DSAR-7") {
		t.Fatalf("accesslog over the API: %d %s", code, out)
	}
	if out, code := srv(agent, "accesslog"); code != exitUser || !strings.Contains(out, "403") {
		t.Fatalf("agent reads the access log: %d %s", code, out)
	}
	send := filepath.Join(dir, "send.csv")
	os.WriteFile(send, []byte("id,email\n1,a@example.com\n2,nope\n"), 0o644)
	if out, code := srv(mkt, "token", "--campaign", "c1", send); code != 0 {
		t.Fatalf("token over the API: %d %s", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "send.unsubscribe.csv")); !strings.Contains(string(b), s.url+"/u/") || !strings.Contains(string(b), "invalid_email") {
		t.Fatalf("annotated send file: %s", b)
	}
	if code, body := call(t, "GET", s.url+"/metrics", "", "", ""); code != 200 || !strings.Contains(body, "hush_journal_fsync_duration_seconds_count") || strings.Contains(body, "hush_journal_fsync_duration_seconds_count 0\n") {
		t.Fatalf("metrics lack fsync latencies: %d", code)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	if out, code := hushRun(t, "accesslog", "--data", data); code != 0 || !strings.Contains(out, "DSAR-7") || !strings.Contains(out, "hash chain verified") {
		t.Fatalf("local accesslog: %d %s", code, out)
	}
	if out, code := hushRun(t, "token", "--data", data, "--campaign", "c2", "--base-url", "https://h.example", "--out", filepath.Join(dir, "local.csv"), send); code != 0 || !strings.Contains(out, "1 links minted") {
		t.Fatalf("local token: %d %s", code, out)
	}
}
