package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hushcrm/hush/internal/redistest"
)

// A data dir moves to Redis whole: lists, imports, opt-outs (also those
// only in the log after its last snapshot) answer the same through the
// fleet; the secret goes to --secret; the data dir no longer opens; a
// second move into the same namespace is refused.
func TestJournalMigrateToRedis(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	D := []string{"--data", data}
	mustD := func(args ...string) string { t.Helper(); return mustRun(t, append(args, D...)...) }
	mustD("lists", "create", "dnc", "--kind", "phone", "--channels", "call,sms", "--purposes", "all", "--source", "national_registry")
	in := filepath.Join(dir, "dnc.txt")
	os.WriteFile(in, []byte("2127360100\n2127360101\n"), 0o644)
	mustD("import", "--list", "dnc", "--format", "registry", "--rejected", filepath.Join(dir, "rej.csv"), in)
	mustD("journal", "snapshot")
	// After the snapshot: only in the log.
	mustD("optout", "add", "--phone", "4155550100", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "call 2026-12-01")
	mustD("optout", "add", "--email", "Ann@Example.com", "--channels", "email", "--purposes", "direct_marketing", "--evidence", "form 1")

	r := redistest.StartServer(t, redistest.Config{AOF: true})
	secret := filepath.Join(dir, "fleet-secret.key")
	R := fleetFlags(r, secret)
	out := mustRun(t, append([]string{"journal", "migrate", "--data", data}, R...)...)
	if !strings.Contains(out, "moved the state at record") {
		t.Fatalf("migrate: %s", out)
	}
	want, _ := os.ReadFile(filepath.Join(data, secretFile))
	got, err := os.ReadFile(secret)
	if err != nil || string(got) != string(want) {
		t.Fatalf("--secret after the move: %v (same as the data dir's: %v)", err, string(got) == string(want))
	}
	if fi, _ := os.Stat(secret); fi.Mode().Perm() != 0o600 {
		t.Fatalf("--secret mode %v", fi.Mode().Perm())
	}
	check := func(want int, args ...string) { t.Helper(); fleetCheck(t, R, want, args...) }
	check(exitSuppressed, "--phone", "212 736 0101", "--channel", "call", "--purpose", "direct_marketing")
	check(exitSuppressed, "--phone", "4155550100", "--channel", "call", "--purpose", "direct_marketing")
	check(exitSuppressed, "--email", "ann@example.com", "--channel", "email", "--purpose", "direct_marketing")
	check(exitOK, "--phone", "4155550199", "--channel", "call", "--purpose", "direct_marketing")
	// The fleet takes writes after the move, numbered after the moved state.
	mustRun(t, append([]string{"optout", "add", "--phone", "4155550199", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "after the move"}, R...)...)
	check(exitSuppressed, "--phone", "4155550199", "--channel", "call", "--purpose", "direct_marketing")

	if out, code := hushRun(t, append([]string{"lists", "ls"}, D...)...); code != 1 || !strings.Contains(out, "moved to") {
		t.Fatalf("the moved data dir opened embedded: exit %d\n%s", code, out)
	}
	other := filepath.Join(dir, "other")
	mustRun(t, "lists", "create", "x", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "t", "--data", other)
	if out, code := hushRun(t, append([]string{"journal", "migrate", "--data", other}, R...)...); code != 1 || !strings.Contains(out, "is not the secret of") {
		t.Fatalf("a move onto another deployment's secret file: exit %d\n%s", code, out)
	}
	if out, code := hushRun(t, append([]string{"journal", "migrate", "--data", other}, fleetFlags(r, filepath.Join(dir, "new-secret.key"))...)...); code != 1 || !strings.Contains(out, "not empty") {
		t.Fatalf("second move into the same namespace: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(other, movedFile)); err == nil {
		t.Fatal("a refused move marked the data dir moved")
	}
	if out, code := hushRun(t, "journal", "migrate", "--data", other); code != 1 || !strings.Contains(out, "name the Redis") {
		t.Fatalf("migrate without a target: exit %d\n%s", code, out)
	}
}
