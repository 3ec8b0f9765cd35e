package redisstream

import (
	"context"
	"fmt"
	"net"
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
	_, tl := redistest.StartTLS(t)
	url := tl.URL
	o := Options{URL: url, TLSCAFile: tl.CA, TLSCertFile: tl.ClientCert, TLSKeyFile: tl.ClientKey}
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
