package redisstream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, []byte("not a cert"), 0o600)
	cases := []struct {
		name string
		o    Options
		want string // "" = valid
	}{
		{"url", Options{URL: "redis://127.0.0.1:6379/0"}, ""},
		{"unix url", Options{URL: "unix:///run/redis.sock"}, ""},
		{"tls url with ca", Options{URL: "rediss://h:6380/0", TLSCAFile: ca}, ""},
		{"sentinel", Options{SentinelMaster: "mymaster", SentinelAddrs: []string{"h1:26379", "h2:26379"}}, ""},
		{"cluster", Options{ClusterAddrs: []string{"h1:7000", "h2:7001"}}, ""},
		{"wait", Options{URL: "redis://h:1/0", WaitReplicas: 1, WaitTimeout: time.Second}, ""},
		{"nothing", Options{}, "no Redis given"},
		{"two modes", Options{URL: "redis://h:1/0", ClusterAddrs: []string{"h:2"}}, "exclusive"},
		{"bad scheme", Options{URL: "http://h:1/0"}, "URL:"},
		{"bad db", Options{URL: "redis://h:1/x"}, "URL:"},
		{"password not echoed", Options{URL: "redis://u:s3cr3t@h:1/x"}, "URL:"},
		{"sentinel without master", Options{SentinelAddrs: []string{"h:26379"}}, "SentinelMaster"},
		{"sentinel without addrs", Options{SentinelMaster: "m"}, "SentinelAddrs"},
		{"cluster addr without port", Options{ClusterAddrs: []string{"h1"}}, "ClusterAddrs[0]"},
		{"tls files on redis://", Options{URL: "redis://h:1/0", TLSCAFile: ca}, "rediss://"},
		{"cert without key", Options{URL: "rediss://h:1/0", TLSCertFile: ca}, "TLSKeyFile"},
		{"missing ca file", Options{URL: "rediss://h:1/0", TLSCAFile: filepath.Join(dir, "nope.pem")}, "TLSCAFile"},
		{"namespace with braces", Options{URL: "redis://h:1/0", Namespace: "a}b"}, "Namespace"},
		{"negative replicas", Options{URL: "redis://h:1/0", WaitReplicas: -1}, "WaitReplicas"},
		{"timeout without replicas", Options{URL: "redis://h:1/0", WaitTimeout: time.Second}, "WaitTimeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.o.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want an error naming %q", err, c.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("Validate leaks the password: %v", err)
			}
		})
	}
}

func TestDescribeHidesSecrets(t *testing.T) {
	url := singleURL(t)
	j := openT(t, Options{URL: url, Password: "", Namespace: "desc"})
	if got := j.Describe(); got != "redis single unix:"+strings.TrimPrefix(url, "unix://")+" db 0 ns desc" {
		t.Fatalf("Describe = %q", got)
	}
	for _, o := range []Options{
		{URL: "redis://alice:s3cr3t@127.0.0.1:6379/2"},
		{URL: "redis://127.0.0.1:6379/0", Password: "s3cr3t", Username: "alice"},
		{SentinelMaster: "m", SentinelAddrs: []string{"h:26379"}, Password: "s3cr3t"},
		{ClusterAddrs: []string{"h:7000"}, Password: "s3cr3t"},
	} {
		_, desc, err := o.newClient()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(desc, "s3cr3t") || strings.Contains(desc, "alice") {
			t.Fatalf("description %q shows credentials", desc)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := Open(ctx, Options{URL: "unix://" + filepath.Join(t.TempDir(), "none.sock")})
	if err == nil || !strings.Contains(err.Error(), "connect to redis single unix:") {
		t.Fatalf("Open of a missing server = %v", err)
	}
}

// A password is sent: a server that requires one accepts the journal, and
// refuses it with a wrong one.
func TestOpenPassword(t *testing.T) {
	srv := startServer(t, "--requirepass", "s3cr3t")
	if _, err := Open(context.Background(), Options{URL: srv.URL(), Password: "wrong"}); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("Open with a wrong password = %v", err)
	}
	j := openT(t, Options{URL: srv.URL(), Password: "s3cr3t"})
	if _, err := j.Append(context.Background(), []byte("x")); err != nil {
		t.Fatal(err)
	}
}
