package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hushcrm/hush/internal/redistest"
)

// The CLI on a Redis whose TCP port speaks only TLS and requires client
// certificates: rediss:// with --redis-tls-ca, --redis-tls-cert and
// --redis-tls-key; without the client certificate it is refused.
func TestCLIAgainstRedisTLS(t *testing.T) {
	_, tl := redistest.StartTLS(t)
	secret := filepath.Join(t.TempDir(), "secret.key")
	R := []string{"--redis", tl.URL, "--redis-tls-ca", tl.CA, "--redis-tls-cert", tl.ClientCert, "--redis-tls-key", tl.ClientKey, "--secret", secret}
	mustRun(t, append([]string{"optout", "add", "--phone", "2127360100", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "call"}, R...)...)
	if out, code := hushRun(t, append([]string{"check", "--phone", "2127360100", "--channel", "call", "--purpose", "direct_marketing"}, R...)...); code != exitSuppressed {
		t.Fatalf("check over TLS: exit %d\n%s", code, out)
	}
	out, code := hushRun(t, "lists", "ls", "--redis", tl.URL, "--redis-tls-ca", tl.CA, "--secret", secret)
	if code != exitUser || !strings.Contains(out, "127.0.0.1") {
		t.Fatalf("without the client certificate: exit %d, want 1 naming the server\n%s", code, out)
	}
}
