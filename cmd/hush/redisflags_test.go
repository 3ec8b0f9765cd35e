package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The Redis flags are on every command that opens the state, and a bad
// combination is a user error (exit 1) naming the flag to fix.
func TestRedisFlagsValidated(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.key")
	pem := writeFile(t, dir, "cert.pem", "not checked before connecting")
	cases := []userErrCase{
		{"no secret", []string{"check", "--phone", "2127360100", "--channel", "call", "--purpose", "direct_marketing", "--redis", "redis://127.0.0.1:1/0"}, "--secret FILE"},
		{"secret without redis", []string{"lists", "ls", "--secret", secret, "--data", filepath.Join(dir, "d")}, "for Redis mode"},
		{"two deployments", []string{"optout", "add", "--phone", "2127360100", "--redis", "redis://h:1", "--redis-cluster", "h:2", "--secret", secret}, "give exactly one Redis deployment"},
		{"bad url", []string{"import", "--list", "x", "--redis", "http://h:1", "--secret", secret, "f.csv"}, "redis://"},
		{"bad sentinel", []string{"keys", "ls", "--redis-sentinel", "h:26379", "--secret", secret}, "MASTER@host:port"},
		{"bad cluster", []string{"scrub", "--channel", "call", "--purpose", "direct_marketing", "--redis-cluster", "h", "--secret", secret, "in.csv"}, "--redis-cluster"},
		{"missing password file", []string{"rfm", "--redis", "redis://h:1", "--redis-password-file", filepath.Join(dir, "none"), "--secret", secret}, "--redis-password-file"},
		{"cert without key", []string{"segment", "ls", "--redis", "rediss://h:1", "--redis-tls-cert", pem, "--secret", secret}, "go together"},
		{"tls without redis", []string{"campaign", "ls", "--redis-tls-ca", pem, "--data", filepath.Join(dir, "d")}, "no Redis is configured"},
		{"bad staleness", []string{"serve", "--redis", "redis://h:1", "--secret", secret, "--max-staleness", "0s"}, "--max-staleness"},
		{"stream without redis", []string{"serve", "--data", filepath.Join(dir, "d"), "--config", writeFile(t, dir, "s.yaml", "ingest:\n  purchases:\n    stream: orders\n")}, "needs a Redis deployment"},
		{"server and redis", []string{"check", "--phone", "2127360100", "--channel", "call", "--purpose", "direct_marketing", "--server", "http://h:1", "--redis", "redis://h:1", "--secret", secret}, "give one"},
		{"demo on redis", []string{"demo", "--redis", "redis://h:1", "--secret", secret}, "does not run on a fleet"},
		{"bad schedule flag", []string{"serve", "--data", filepath.Join(dir, "d"), "--schedule-campaigns", "sometimes"}, "want true or false"},
		{"config redis no secret", []string{"serve", "--config", writeFile(t, dir, "r.yaml", "redis:\n  url: redis://h:1/0\n")}, "--secret FILE"},
	}
	runUserErrors(t, cases)
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
