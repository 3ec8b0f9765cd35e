package redisstream

import (
	"context"
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
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal"
)

// WaitReplicas: with a replica attached, appends wait for it and succeed;
// asking for more replicas than there are fails the append (not
// acknowledged), though the records may be in the log.
func TestWaitReplicas(t *testing.T) {
	// No 5 s wait before the diskless full sync (the default delay).
	master := redistest.StartServer(t, redistest.Config{Port: redistest.FreePort(t), Args: []string{"--repl-diskless-sync-delay", "0"}})
	replica := redistest.StartServer(t, redistest.Config{Args: []string{"--replicaof", "127.0.0.1", strconv.Itoa(masterPort(master))}})
	redistest.WaitReplicaSynced(t, replica)

	j := openT(t, Options{URL: master.URL(), WaitReplicas: 1, WaitTimeout: 2 * time.Second})
	if !strings.Contains(j.Describe(), "wait 1 replicas") {
		t.Fatalf("Describe = %q", j.Describe())
	}
	for i := range 20 {
		if _, err := j.Append(context.Background(), fmt.Appendf(nil, "r%d", i)); err != nil {
			t.Fatalf("Append with one replica: %v", err)
		}
	}
	// The replica has them as soon as Append returned.
	r := openT(t, Options{URL: replica.URL()})
	n := 0
	if err := r.Replay(0, func(journal.Seq, []byte) error { n++; return nil }); err != nil || n != 20 {
		t.Fatalf("replica replays %d records, %v", n, err)
	}

	two := openT(t, Options{URL: master.URL(), WaitReplicas: 2, WaitTimeout: 100 * time.Millisecond})
	_, err := two.Append(context.Background(), []byte("needs two"))
	if err == nil || !strings.Contains(err.Error(), "only 1 of 2 replicas") {
		t.Fatalf("Append wanting 2 replicas with 1 = %v", err)
	}
}

func masterPort(s *redistest.Server) int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// Sentinel mode: the journal finds the master through a sentinel.
func TestSentinel(t *testing.T) {
	master := redistest.StartServer(t, redistest.Config{Port: redistest.FreePort(t)})
	sentinel := redistest.StartSentinel(t, "hushmaster", master.Addr())
	o := Options{SentinelMaster: "hushmaster", SentinelAddrs: []string{sentinel}}
	j := openT(t, o)
	if want := "redis sentinel master hushmaster via " + sentinel + " ns hush"; j.Describe() != want {
		t.Fatalf("Describe = %q, want %q", j.Describe(), want)
	}
	journal.RunConformance(t, conformanceOpener(o))
}

// TLS: rediss:// with the CA file, and a client certificate when the
// server requires one.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := writeCA(t, dir)
	writeCert(t, dir, "server", ca, caKey, true)
	writeCert(t, dir, "client", ca, caKey, false)
	port := redistest.FreePort(t)
	redistest.StartServer(t, redistest.Config{Args: []string{
		"--tls-port", strconv.Itoa(port), "--tls-cert-file", filepath.Join(dir, "server.crt"), "--tls-key-file", filepath.Join(dir, "server.key"),
		"--tls-ca-cert-file", filepath.Join(dir, "ca.crt"), "--tls-auth-clients", "yes"}})
	url := fmt.Sprintf("rediss://127.0.0.1:%d/0", port)
	o := Options{URL: url, TLSCAFile: filepath.Join(dir, "ca.crt"),
		TLSCertFile: filepath.Join(dir, "client.crt"), TLSKeyFile: filepath.Join(dir, "client.key")}
	j := openT(t, o)
	if !strings.HasSuffix(j.Describe(), " tls ns hush") {
		t.Fatalf("Describe = %q", j.Describe())
	}
	if _, err := j.Append(context.Background(), []byte("over tls")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := Open(ctx, Options{URL: url, TLSCAFile: o.TLSCAFile}); err == nil {
		t.Fatal("Open without the client certificate the server requires succeeded")
	}
	if _, err := Open(ctx, Options{URL: url}); err == nil {
		t.Fatal("Open trusting only the system CAs accepted a private CA's server")
	}
}

func writeCA(t *testing.T, dir string) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hush test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "ca.crt"), "CERTIFICATE", der)
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func writeCert(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, server bool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2 + int64(len(name))), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
	kder, _ := x509.MarshalECPrivateKey(key)
	writePEM(t, filepath.Join(dir, name+".key"), "EC PRIVATE KEY", kder)
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
