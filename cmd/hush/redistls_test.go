package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
)

// writeCert writes a PEM certificate and key signed by parent (self-signed
// when parent is nil) and returns them.
func writeCert(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

// The CLI on a Redis that speaks only TLS and requires client
// certificates: rediss:// with --redis-tls-ca, --redis-tls-cert and
// --redis-tls-key; without the client certificate it is refused.
func TestCLIAgainstRedisTLS(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		redistest.Start(t) // skips, or fails with CI=true
		return
	}
	dir := t.TempDir()
	now := time.Now()
	ca, caKey := writeCert(t, dir, "ca", &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hush test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	writeCert(t, dir, "server", &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	writeCert(t, dir, "client", &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "hush"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	port := freeTCPPort(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	cmd := exec.Command(bin, "--port", "0", "--tls-port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
		"--tls-cert-file", p("server.pem"), "--tls-key-file", p("server.key"), "--tls-ca-cert-file", p("ca.pem"), "--tls-auth-clients", "yes")
	logf, _ := os.Create(p("redis.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	eventually(t, 10*time.Second, "Redis listens on its TLS port", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	url := fmt.Sprintf("rediss://127.0.0.1:%d/0", port)
	R := []string{"--redis", url, "--redis-tls-ca", p("ca.pem"), "--redis-tls-cert", p("client.pem"), "--redis-tls-key", p("client.key"), "--secret", p("secret.key")}
	mustRun(t, append([]string{"optout", "add", "--phone", "2127360100", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "call"}, R...)...)
	if out, code := hushRun(t, append([]string{"check", "--phone", "2127360100", "--channel", "call", "--purpose", "direct_marketing"}, R...)...); code != exitSuppressed {
		t.Fatalf("check over TLS: exit %d\n%s", code, out)
	}
	out, code := hushRun(t, "lists", "ls", "--redis", url, "--redis-tls-ca", p("ca.pem"), "--secret", p("secret.key"))
	if code != exitUser || !strings.Contains(out, "127.0.0.1") {
		t.Fatalf("without the client certificate: exit %d, want 1 naming the server\n%s", code, out)
	}
}
