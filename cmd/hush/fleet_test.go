package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
)

// fleetFlags are the flags that put a command on the fleet's state in r.
func fleetFlags(r *redistest.Server, secret string) []string {
	return []string{"--redis", r.URL(), "--secret", secret}
}

// fleetCheck runs `hush check args` with the fleet flags R and wants exit
// code want.
func fleetCheck(t *testing.T, R []string, want int, args ...string) {
	t.Helper()
	out, code := hushRun(t, append(append([]string{"check"}, args...), R...)...)
	if code != want {
		t.Fatalf("check %v through the fleet: exit %d, want %d\n%s", args, code, want, out)
	}
}

func keyFrom(t *testing.T, out string) string {
	t.Helper()
	var k struct{ Key string }
	if i := strings.Index(out, "{"); i < 0 || json.Unmarshal([]byte(out[i:]), &k) != nil || k.Key == "" {
		t.Fatalf("keys create: %q", out)
	}
	return k.Key
}

// The CLI works against the fleet's shared state: what one process writes
// into Redis (a list, an import, an opt-out, an API key) another process
// sees, and the secret is a file beside the command, never in Redis.
func TestCLIAgainstFleet(t *testing.T) {
	r := redistest.StartServer(t, redistest.Config{AOF: true})
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.key")
	R := fleetFlags(r, secret)
	must := func(args ...string) string { t.Helper(); return mustRun(t, append(args, R...)...) }

	must("lists", "create", "dnc", "--kind", "phone", "--channels", "call,sms", "--purposes", "all", "--source", "national_registry")
	fi, err := os.Stat(secret)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file not created 0600 on the first write to an empty log: %v %v", fi, err)
	}
	in := filepath.Join(dir, "dnc.txt")
	os.WriteFile(in, []byte("2127360100\n2127360101\n21,2\n"), 0o644)
	must("import", "--list", "dnc", "--format", "registry", "--rejected", filepath.Join(dir, "rej.csv"), in)
	must("optout", "add", "--phone", "4155550100", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "call 2026-12-01")
	must("optout", "add", "--email", "Ann@Example.com", "--channels", "email", "--purposes", "direct_marketing", "--evidence", "form 1")

	check := func(want int, args ...string) { t.Helper(); fleetCheck(t, R, want, args...) }
	check(exitSuppressed, "--phone", "212 736 0101", "--channel", "call", "--purpose", "direct_marketing")
	check(exitSuppressed, "--phone", "4155550100", "--channel", "call", "--purpose", "direct_marketing")
	check(exitSuppressed, "--email", "ann@example.com", "--channel", "email", "--purpose", "direct_marketing")
	check(exitOK, "--phone", "4155550199", "--channel", "call", "--purpose", "direct_marketing")

	out := must("lists", "ls", "--json")
	if !strings.Contains(out, `"dnc"`) || !strings.Contains(out, `"entries": 2`) {
		t.Fatalf("lists ls on the fleet:\n%s", out)
	}
	// The state is the same from any process: and nothing of it in --data.
	if _, err := os.Stat(filepath.Join(dir, "hush-data")); err == nil {
		t.Fatal("Redis mode wrote a data dir")
	}
	out = must("journal", "verify")
	if !strings.Contains(out, "journal OK") {
		t.Fatalf("journal verify: %s", out)
	}
	must("journal", "snapshot")
	check(exitSuppressed, "--phone", "2127360100", "--channel", "sms", "--purpose", "direct_marketing")

	// Redis does not hold the secret: its persistence files (everything
	// it was ever told) alone do not let anyone test guessed emails
	// against the hashes.
	sb, _ := os.ReadFile(secret)
	hexSecret := strings.TrimSpace(string(sb))
	raw := hexToBytes(t, hexSecret)
	var aof int
	filepath.WalkDir(r.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(p, "appendonly") {
			return nil
		}
		b, _ := os.ReadFile(p)
		aof += len(b)
		if strings.Contains(string(b), hexSecret) || strings.Contains(string(b), string(raw)) {
			t.Fatalf("the secret is in Redis's %s", p)
		}
		return nil
	})
	if aof == 0 {
		t.Fatal("no AOF written: the secret check saw nothing")
	}

	// Without the secret, or with another one, the fleet's state is refused.
	other := filepath.Join(dir, "other.key")
	if out, code := hushRun(t, "lists", "ls", "--redis", r.URL(), "--secret", other); code != exitUser || !strings.Contains(out, "missing but the journal has records") {
		t.Fatalf("missing secret: exit %d\n%s", code, out)
	}
	os.WriteFile(other, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	if out, code := hushRun(t, "lists", "ls", "--redis", r.URL(), "--secret", other); code != exitUser || !strings.Contains(out, "is not the secret the fleet") {
		t.Fatalf("wrong secret: exit %d\n%s", code, out)
	}
	// A namespace is another fleet.
	if out, code := hushRun(t, append([]string{"lists", "ls", "--json", "--redis-namespace", "other"}, R...)...); code != 0 || strings.Contains(out, `"dnc"`) {
		t.Fatalf("other namespace: exit %d\n%s", code, out)
	}
}

func hexToBytes(t *testing.T, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			}
		}
		b[i] = v
	}
	return b
}

// Two `hush serve` instances on one Redis: an opt-out acknowledged by A is
// answered as suppressed by B; a key created by the CLI while they run
// works on both. With Redis down, writes answer 503 (JSON error) and
// checks answer from memory until max_staleness, then fail closed with
// stale_state and /readyz says stale; when Redis is back, both catch up.
func TestServeFleetTwoInstances(t *testing.T) {
	r := redistest.StartServer(t, redistest.Config{AOF: true})
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.key")
	R := fleetFlags(r, secret)
	mkt := keyFrom(t, mustRun(t, append([]string{"keys", "create", "--role", "marketer", "--json", "--quiet"}, R...)...))
	extra := append([]string{"--max-staleness", "2s"}, R...)
	a := startServer(t, filepath.Join(dir, "a"), extra...)
	b := startServer(t, filepath.Join(dir, "b"), extra...)

	// A key created while both run reaches both through the log.
	agent := keyFrom(t, mustRun(t, append([]string{"keys", "create", "--role", "agent", "--json", "--quiet"}, R...)...))
	eventually(t, 10*time.Second, "the new key works on B", func() bool {
		code, _ := call(t, "GET", b.url+"/v1/check?phone=2127360100&channel=call&purpose=direct_marketing", agent, "", "")
		return code == 200
	})

	code, body := call(t, "POST", a.url+"/v1/optouts", mkt, "application/json",
		`{"phone":"2127360100","channels":["call"],"purposes":["direct_marketing"],"source":"customer_request","evidence":"call"}`)
	if code/100 != 2 {
		t.Fatalf("opt-out on A: %d %s", code, body)
	}
	checkURL := "/v1/check?phone=2127360100&channel=call&purpose=direct_marketing"
	eventually(t, 10*time.Second, "B answers suppressed after the opt-out on A", func() bool {
		_, body := call(t, "GET", b.url+checkURL, agent, "", "")
		return strings.Contains(body, `"allowed":false`) && strings.Contains(body, "optout")
	})
	for _, s := range []*server{a, b} {
		code, body := call(t, "GET", s.url+"/readyz", "", "", "")
		if code != 200 || !strings.Contains(body, `"status":"ready"`) {
			t.Fatalf("readyz: %d %s", code, body)
		}
	}

	r.Kill()
	code, body = call(t, "POST", b.url+"/v1/optouts", mkt, "application/json",
		`{"phone":"2127360111","channels":["call"],"purposes":["direct_marketing"],"source":"customer_request","evidence":"call"}`)
	if code != 503 || !strings.Contains(body, `"error":{"code":`) {
		t.Fatalf("write with Redis down: %d %s, want 503 with the JSON error", code, body)
	}
	eventually(t, 15*time.Second, "checks fail closed with stale_state after max_staleness", func() bool {
		_, body := call(t, "GET", a.url+"/v1/check?phone=4155550100&channel=call&purpose=direct_marketing", agent, "", "")
		return strings.Contains(body, `"allowed":false`) && strings.Contains(body, "stale_state")
	})
	code, body = call(t, "GET", a.url+"/readyz", "", "", "")
	if code != 503 || !strings.Contains(body, `"status":"stale"`) {
		t.Fatalf("readyz while stale: %d %s", code, body)
	}
	code, body = call(t, "GET", a.url+"/metrics", "", "", "")
	if code != 200 || !strings.Contains(body, "hush_shared_log_stale 1") {
		t.Fatalf("metrics while stale: %d\n%s", code, grepLines(body, "hush_shared_log"))
	}

	r.Restart()
	for _, s := range []*server{a, b} {
		eventually(t, 20*time.Second, "ready again after Redis is back", func() bool {
			code, _ := call(t, "GET", s.url+"/readyz", "", "", "")
			return code == 200
		})
	}
	_, body = call(t, "GET", b.url+checkURL, agent, "", "")
	if !strings.Contains(body, `"allowed":false`) || !strings.Contains(body, "optout") {
		t.Fatalf("the opt-out acknowledged before the outage is gone on B: %s", body)
	}
	_, body = call(t, "GET", a.url+"/v1/check?phone=4155550100&channel=call&purpose=direct_marketing", agent, "", "")
	if !strings.Contains(body, `"allowed":true`) {
		t.Fatalf("after catch-up: %s", body)
	}
	code, body = call(t, "GET", a.url+"/metrics", "", "", "")
	if code != 200 || !strings.Contains(body, "hush_shared_log_stale 0") || !strings.Contains(body, "hush_shared_log_lag_records 0") {
		t.Fatalf("metrics after catch-up: %d\n%s", code, grepLines(body, "hush_shared_log"))
	}
	// Every instance takes part in the fleet's campaign-schedule lease.
	a.cmd.Process.Signal(os.Interrupt)
	if err := <-a.done; err != nil {
		t.Fatalf("serve A did not shut down cleanly: %v\n%s", err, a.errb.String())
	}
	if !strings.Contains(a.errb.String(), "takes part in the fleet's schedule lease") {
		t.Fatalf("serve A's log does not say it shares the campaign schedule through the lease:\n%s", a.errb.String())
	}
}

func eventually(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The CLI on a 3-master Redis Cluster (loopback ports): the fleet's keys
// share one hash slot, so a write and a check from two processes work the
// same as on a single Redis.
func TestCLIAgainstCluster(t *testing.T) {
	addrs := redistest.StartCluster(t, 3)
	secret := filepath.Join(t.TempDir(), "secret.key")
	R := []string{"--redis-cluster", strings.Join(addrs, ","), "--secret", secret}
	mustRun(t, append([]string{"optout", "add", "--phone", "2127360100", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "call"}, R...)...)
	out, code := hushRun(t, append([]string{"check", "--phone", "2127360100", "--channel", "call", "--purpose", "direct_marketing"}, R...)...)
	if code != exitSuppressed {
		t.Fatalf("check on the cluster: exit %d\n%s", code, out)
	}
	if out := mustRun(t, append([]string{"journal", "verify"}, R...)...); !strings.Contains(out, "redis cluster") || !strings.Contains(out, "journal OK") {
		t.Fatalf("journal verify on the cluster:\n%s", out)
	}
}

// The CLI through Redis Sentinel: hush asks the Sentinel where the master
// is (--redis-sentinel MASTER@host:port) and works on it.
func TestCLIAgainstSentinel(t *testing.T) {
	master := redistest.StartServer(t, redistest.Config{Port: redistest.FreePort(t)})
	sentinel := redistest.StartSentinel(t, "mymaster", master.Addr())
	secret := filepath.Join(t.TempDir(), "secret.key")
	R := []string{"--redis-sentinel", "mymaster@" + sentinel, "--secret", secret}
	mustRun(t, append([]string{"optout", "add", "--phone", "2127360100", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "call"}, R...)...)
	if out, code := hushRun(t, append([]string{"check", "--phone", "2127360100", "--channel", "call", "--purpose", "direct_marketing"}, R...)...); code != exitSuppressed {
		t.Fatalf("check through the Sentinel: exit %d\n%s", code, out)
	}
	// The same state, reached directly on the master.
	if out, code := hushRun(t, "check", "--phone", "2127360100", "--channel", "call", "--purpose", "direct_marketing",
		"--redis", "redis://"+master.Addr()+"/0", "--secret", secret); code != exitSuppressed {
		t.Fatalf("check on the master: exit %d\n%s", code, out)
	}
}

// A Redis with a password: --redis-password-file works, a wrong password
// is exit 1 and the password appears in no message.
func TestCLIRedisPasswordFile(t *testing.T) {
	r := redistest.StartServer(t, redistest.Config{Args: []string{"--requirepass", "s3cret-pw"}})
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("s3cret-pw\n"), 0o600)
	R := []string{"--redis", r.URL(), "--redis-password-file", pw, "--secret", filepath.Join(dir, "secret.key")}
	mustRun(t, append([]string{"lists", "create", "dnc", "--kind", "phone", "--source", "national_registry"}, R...)...)
	os.WriteFile(pw, []byte("wrong-pw\n"), 0o600)
	out, code := hushRun(t, append([]string{"lists", "ls"}, R...)...)
	if code != exitUser || strings.Contains(out, "wrong-pw") || strings.Contains(out, "s3cret-pw") {
		t.Fatalf("wrong password: exit %d (want 1, no password in the message)\n%s", code, out)
	}
}
