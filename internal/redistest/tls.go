package redistest

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
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TLS is how to reach a server started by StartTLS: its rediss:// URL and
// the PEM files of the private CA, the server's certificate for 127.0.0.1
// and a client certificate, all signed by that CA.
type TLS struct {
	URL                       string
	CA, ServerCert, ServerKey string
	ClientCert, ClientKey     string
}

// StartTLS runs a redis-server whose only TCP port, a free loopback one,
// speaks TLS and requires a client certificate signed by its CA
// (--tls-auth-clients yes). Its unix socket (Server.URL) stays plain, for
// test tooling.
func StartTLS(t testing.TB) (*Server, TLS) {
	t.Helper()
	redisServer(t) // skip or fail before making certificates
	tl := writeTLSFiles(t, t.TempDir())
	port := FreePort(t)
	s := StartServer(t, Config{Args: []string{"--tls-port", strconv.Itoa(port),
		"--tls-cert-file", tl.ServerCert, "--tls-key-file", tl.ServerKey, "--tls-ca-cert-file", tl.CA, "--tls-auth-clients", "yes"}})
	tl.URL = fmt.Sprintf("rediss://127.0.0.1:%d/0", port)
	return s, tl
}

// writeTLSFiles writes into dir a private CA (ca.crt), a server
// certificate for 127.0.0.1 (server.crt, server.key) and a client
// certificate (client.crt, client.key) it signed, valid from an hour ago
// to an hour from now. URL is left empty.
func writeTLSFiles(t testing.TB, dir string) TLS {
	t.Helper()
	now := time.Now()
	p := func(name string) string { return filepath.Join(dir, name) }
	ca, caKey := writeCert(t, p("ca.crt"), "", &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hush test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	writeCert(t, p("server.crt"), p("server.key"), &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	writeCert(t, p("client.crt"), p("client.key"), &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "hush"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	return TLS{CA: p("ca.crt"), ServerCert: p("server.crt"), ServerKey: p("server.key"), ClientCert: p("client.crt"), ClientKey: p("client.key")}
}

// writeCert makes a key, signs tmpl with parent (self-signed when parent
// is nil) and writes the certificate to certFile and, unless keyFile is
// empty, the key to keyFile.
func writeCert(t testing.TB, certFile, keyFile string, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
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
	writePEM(t, certFile, "CERTIFICATE", der)
	if keyFile != "" {
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
