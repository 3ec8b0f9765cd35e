package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestKill9DuringCampaignRun kills `campaign run --mark-sent` at several
// points. After each restart the contact history holds whole runs only:
// every recorded run contacted the full final list, never part of it.
func TestKill9DuringCampaignRun(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	const n = 100_000
	cust := filepath.Join(dir, "customers.csv")
	f, _ := os.Create(cust)
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "customer_id,email")
	for i := range n {
		fmt.Fprintf(w, "C%07d,c%d@example.com\n", i, i)
	}
	w.Flush()
	f.Close()
	mustRun(t, "ingest", "customers", cust, "--data", data, "--quiet")
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, []byte("customer_id\n"), 0o644)
	mustRun(t, "segment", "define", "nobody", "--file", empty, "--data", data)
	mustRun(t, "campaign", "create", "all", "--channel", "email", "--purpose", "direct_marketing", "--audience", "NOT segment:nobody", "--data", data)

	check := func(when string) int {
		t.Helper()
		mustRun(t, "journal", "verify", "--data", data)
		out := mustRun(t, "campaign", "show", "all", "--json", "--data", data)
		var show struct {
			SentRuns []struct {
				Run       uint64 `json:"run"`
				Contacted uint64 `json:"contacted"`
			} `json:"sent_runs"`
		}
		if err := json.Unmarshal([]byte(out), &show); err != nil {
			t.Fatalf("%s: %v: %s", when, err, out)
		}
		for _, r := range show.SentRuns {
			if r.Contacted != n {
				t.Fatalf("%s: run %d recorded %d of %d contacts: a half-recorded run", when, r.Run, r.Contacted, n)
			}
		}
		return len(show.SentRuns)
	}
	for _, delay := range []time.Duration{30 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond, 900 * time.Millisecond} {
		cmd := exec.Command(hushBinary(t), "campaign", "run", "all", "--mark-sent", "--data", data, "--quiet",
			"--out", filepath.Join(dir, "f.csv"), "--suppressed", filepath.Join(dir, "s.csv"), "--waterfall", filepath.Join(dir, "w.csv"), "--manifest", filepath.Join(dir, "m.json"))
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		check(fmt.Sprintf("after kill at %s", delay))
	}
	before := check("before the full run")
	mustRun(t, "campaign", "run", "all", "--mark-sent", "--data", data, "--quiet",
		"--out", filepath.Join(dir, "f.csv"), "--suppressed", filepath.Join(dir, "s.csv"), "--waterfall", filepath.Join(dir, "w.csv"), "--manifest", filepath.Join(dir, "m.json"))
	if got := check("after the full run"); got != before+1 {
		t.Fatalf("a completed run recorded %d runs, want %d", got, before+1)
	}
	// The final list a completed run leaves is whole too.
	b, _ := os.ReadFile(filepath.Join(dir, "f.csv"))
	if lines := countLines(b); lines != n+1 {
		t.Fatalf("final list has %d lines, want %d", lines, n+1)
	}
}

func countLines(b []byte) int {
	c := 0
	for _, x := range b {
		if x == '\n' {
			c++
		}
	}
	return c
}

// TestCampaignStateSurvivesSnapshot: directory, segments, campaigns and
// contact history read back from a snapshot give the same run.
func TestCampaignStateSurvivesSnapshot(t *testing.T) {
	dir, _, must := shanghaiWorld(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	must("campaign", "create", "acme_mail", "--channel", "mail", "--purpose", "direct_marketing", "--sponsor", "acme_insurance", "--audience", "segment:bureau_file", "--cap", "4/30d")
	must("campaign", "run", "acme_mail", "--mark-sent", "--at", time.Now().UTC().Format(time.RFC3339), "--out", p("a1"), "--suppressed", p("s1"), "--waterfall", p("w1"), "--manifest", p("m1"))
	before := must("campaign", "show", "acme_mail", "--json")
	must("journal", "snapshot")
	after := must("campaign", "show", "acme_mail", "--json")
	if before != after {
		t.Fatalf("campaign after snapshot:\n%s\nbefore:\n%s", after, before)
	}
	must("campaign", "run", "acme_mail", "--out", p("a2"), "--suppressed", p("s2"), "--waterfall", p("w2"), "--manifest", p("m2"))
	for _, pair := range [][2]string{{"s1", "s2"}, {"w1", "w2"}} {
		a, _ := os.ReadFile(p(pair[0]))
		b, _ := os.ReadFile(p(pair[1]))
		if string(a) != string(b) {
			t.Fatalf("%s differs after snapshot:\n%s\nvs\n%s", pair[1], b, a)
		}
	}
	out := must("segment", "ls")
	if !regexpMatch(`bureau_file\s+3\s+uploaded: `, out) {
		t.Fatalf("segments after snapshot: %s", out)
	}
}
