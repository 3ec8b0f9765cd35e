package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the real binary and kill -9 it: the only honest way to
// test that what was acknowledged survives.

var (
	buildOnce sync.Once
	hushBin   string
	buildErr  error
)

func hushBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hush-bin-*")
		if err != nil {
			buildErr = err
			return
		}
		hushBin = filepath.Join(dir, "hush")
		out, err := exec.Command("go", "build", "-o", hushBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return hushBin
}

func hushRun(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(hushBinary(t), args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, code := hushRun(t, args...)
	if code != 0 {
		t.Fatalf("hush %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func TestKill9DuringOptOutStream(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(hushBinary(t), "optout", "add", "--from", "-", "--acks", "--data", data, "--channels", "call", "--purposes", "direct_marketing", "--quiet")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Feed numbers until killed; the writer stops on a broken pipe.
	go func() {
		w := bufio.NewWriter(stdin)
		fmt.Fprintln(w, "phone")
		for i := 0; i < 1_000_000; i++ {
			if _, err := fmt.Fprintf(w, "+1 212 736 %04d\n", i); err != nil {
				return
			}
			if i%1000 == 999 {
				if err := w.Flush(); err != nil {
					return
				}
			}
			if i == 9999 {
				w.Flush()
				return
			}
		}
	}()
	acked := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "ok" {
			acked[f[1]] = true
		}
		if len(acked) == 600 {
			cmd.Process.Kill() // SIGKILL
			break
		}
	}
	cmd.Wait()
	if len(acked) < 600 {
		t.Fatalf("only %d acks before the stream ended", len(acked))
	}
	// Every acknowledged opt-out must be there after restart: scrub a file
	// of exactly the acknowledged numbers; all must come out suppressed.
	dir := t.TempDir()
	in := filepath.Join(dir, "acked.csv")
	var b strings.Builder
	b.WriteString("phone\n")
	for line := range acked {
		var n int
		fmt.Sscan(line, &n)
		fmt.Fprintf(&b, "+1 212 736 %04d\n", n-2) // line 2 is the first number (0)
	}
	os.WriteFile(in, []byte(b.String()), 0o644)
	out := mustRun(t, "scrub", "--data", data, "--channel", "call", "--purpose", "direct_marketing", "--map", "phone=phone", "--json", "--quiet", in)
	var res struct{ Rows, Clean, Suppressed, Rejected int }
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
		t.Fatalf("scrub output: %v\n%s", err, out)
	}
	if res.Rows != len(acked) || res.Suppressed != len(acked) {
		t.Fatalf("after kill -9: %d acknowledged opt-outs, scrub found %d suppressed of %d rows (clean %d, rejected %d)", len(acked), res.Suppressed, res.Rows, res.Clean, res.Rejected)
	}
	mustRun(t, "journal", "verify", "--data", data)
}

func TestKill9DuringImport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustRun(t, "lists", "create", "dnc", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry", "--data", data)
	small := filepath.Join(dir, "small.txt")
	os.WriteFile(small, []byte("202,5550100\n202,5550101\n"), 0o644)
	mustRun(t, "import", "--list", "dnc", "--format", "registry", "--data", data, small)

	big := filepath.Join(dir, "big.txt")
	f, _ := os.Create(big)
	w := bufio.NewWriter(f)
	const bigN = 3_000_000
	for i := 0; i < bigN; i++ {
		fmt.Fprintf(w, "%03d,%07d\n", []int{212, 415, 646, 718}[i%4], 2000000+i)
	}
	w.Flush()
	f.Close()

	var seen []uint64
	for _, delay := range []time.Duration{50 * time.Millisecond, 400 * time.Millisecond, 1200 * time.Millisecond} {
		cmd := exec.Command(hushBinary(t), "import", "--list", "dnc", "--format", "registry", "--data", data, "--quiet", big)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		seen = append(seen, listEntries(t, data, "dnc"))
		mustRun(t, "journal", "verify", "--data", data)
	}
	// A full run gives the only other state the list may ever have shown.
	mustRun(t, "import", "--list", "dnc", "--format", "registry", "--data", data, "--quiet", big)
	full := listEntries(t, data, "dnc")
	if full < bigN/2 {
		t.Fatalf("full import holds only %d entries", full)
	}
	for i, n := range seen {
		if n != 2 && n != full {
			t.Fatalf("kill #%d: list had %d entries: neither the old 2 nor the full %d — a partial import was visible", i, n, full)
		}
	}
}

func listEntries(t *testing.T, data, list string) uint64 {
	t.Helper()
	out := mustRun(t, "lists", "show", list, "--json", "--quiet", "--data", data)
	var l struct{ Entries uint64 }
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("lists show: %v\n%s", err, out)
	}
	return l.Entries
}

func TestSecondProcessGetsLockError(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(hushBinary(t), "optout", "add", "--from", "-", "--acks", "--data", data, "--quiet")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	// One acknowledged opt-out proves the first process owns the data dir.
	fmt.Fprintln(stdin, "phone")
	fmt.Fprintln(stdin, "+1 212 736 0100")
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ok ") {
		t.Fatalf("first process did not acknowledge: %q %v", line, err)
	}
	out, code := hushRun(t, "lists", "ls", "--data", data)
	if code != exitUser || !strings.Contains(out, "in use by pid") {
		t.Fatalf("second process: exit %d, want 1 and a lock error: %s", code, out)
	}
	if !strings.Contains(out, fmt.Sprint(cmd.Process.Pid)) {
		t.Fatalf("lock error does not name the holder pid %d: %s", cmd.Process.Pid, out)
	}
}
