package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRedisValidate(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("s3cret\nignored\n"), 0o600)
	open := filepath.Join(dir, "pw-open")
	os.WriteFile(open, []byte("s3cret\n"), 0o644)
	empty := filepath.Join(dir, "pw-empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, []byte("x"), 0o600)

	cases := []struct {
		name string
		r    Redis
		want string // "" = valid
	}{
		{"disabled", Redis{}, ""},
		{"single", Redis{URL: "redis://127.0.0.1:6379/0"}, ""},
		{"tls url", Redis{URL: "rediss://user:pw@redis.example.com:6380/2", TLSCAFile: ca}, ""},
		{"unix", Redis{URL: "unix:///run/redis.sock"}, ""},
		{"sentinel", Redis{SentinelMaster: "mymaster", SentinelAddrs: []string{"10.0.0.1:26379", "10.0.0.2:26379"}}, ""},
		{"cluster", Redis{ClusterAddrs: []string{"127.0.0.1:7000", "127.0.0.1:7001"}}, ""},
		{"password file", Redis{URL: "redis://h:1", PasswordFile: pw}, ""},
		{"two modes", Redis{URL: "redis://h:1", ClusterAddrs: []string{"h:2"}}, "--redis (redis.url) and --redis-cluster"},
		{"bad scheme", Redis{URL: "http://h:1"}, "want a redis://"},
		{"no host", Redis{URL: "redis:///0"}, "no host"},
		{"bad db", Redis{URL: "redis://h:1/zero"}, "database"},
		{"url password redacted", Redis{URL: "ftp://u:hunter2@h:1"}, "xxxxx"},
		{"unix no path", Redis{URL: "unix://"}, "no socket path"},
		{"sentinel no addrs", Redis{SentinelMaster: "m"}, "no Sentinel address"},
		{"sentinel no master", Redis{SentinelAddrs: []string{"h:1"}}, "master's name"},
		{"cluster bad addr", Redis{ClusterAddrs: []string{"h"}}, "want host:port"},
		{"cluster bad port", Redis{ClusterAddrs: []string{"h:x"}}, "port \"x\""},
		{"password file missing", Redis{URL: "redis://h:1", PasswordFile: filepath.Join(dir, "none")}, "--redis-password-file"},
		{"password file open", Redis{URL: "redis://h:1", PasswordFile: open}, "chmod 600"},
		{"password file empty", Redis{URL: "redis://h:1", PasswordFile: empty}, "first line is empty"},
		{"password twice", Redis{URL: "redis://h:1", PasswordFile: pw, Password: "x"}, "both set"},
		{"ca missing", Redis{URL: "rediss://h:1", TLSCAFile: filepath.Join(dir, "none.pem")}, "--redis-tls-ca"},
		{"cert without key", Redis{URL: "rediss://h:1", TLSCertFile: ca}, "--redis-tls-key go together"},
		{"tls without redis", Redis{TLSCAFile: ca}, "no Redis is configured"},
		{"bad namespace", Redis{URL: "redis://h:1", Namespace: "a{b}"}, "--redis-namespace"},
		{"negative replicas", Redis{URL: "redis://h:1", WaitReplicas: -1}, "wait_replicas"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			err := r.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want ErrInvalid naming %q, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
	r := Redis{URL: "redis://h:1", PasswordFile: pw, WaitReplicas: 1}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Password != "s3cret" || r.Namespace != DefaultNamespace || r.WaitTimeout != time.Second {
		t.Fatalf("defaults not filled: %+v", r)
	}
}

func TestParseSentinel(t *testing.T) {
	m, a, err := ParseSentinel("mymaster@10.0.0.1:26379, 10.0.0.2:26379")
	if err != nil || m != "mymaster" || len(a) != 2 || a[1] != "10.0.0.2:26379" {
		t.Fatalf("got %q %q %v", m, a, err)
	}
	for _, bad := range []string{"", "mymaster", "@h:1", "m@"} {
		if _, _, err := ParseSentinel(bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "--redis-sentinel") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestConfigRedisModeNeedsSecret(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"embedded", nil, ""},
		{"redis with secret", map[string]string{"HUSH_REDIS": "redis://h:1/0", "HUSH_SECRET_FILE": "/etc/hush/secret"}, ""},
		{"redis without secret", map[string]string{"HUSH_REDIS": "redis://h:1/0"}, "--secret FILE"},
		{"cluster without secret", map[string]string{"HUSH_REDIS_CLUSTER": "h:1,h:2"}, "required with --redis-cluster"},
		{"secret without redis", map[string]string{"HUSH_SECRET_FILE": "/s"}, "for Redis mode"},
		{"bad staleness", map[string]string{"HUSH_MAX_STALENESS": "soon"}, "HUSH_MAX_STALENESS"},
		{"zero staleness", map[string]string{"HUSH_MAX_STALENESS": "0s"}, "--max-staleness"},
		{"bad sentinel env", map[string]string{"HUSH_REDIS_SENTINEL": "nomaster"}, "HUSH_REDIS_SENTINEL"},
		{"bad replicas env", map[string]string{"HUSH_REDIS_WAIT_REPLICAS": "one"}, "HUSH_REDIS_WAIT_REPLICAS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			err := c.FromEnv(env(tc.env))
			if err == nil {
				err = c.Validate()
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want ErrInvalid naming %q, got %v", tc.want, err)
			}
		})
	}
	c := Defaults()
	if err := c.FromEnv(env(map[string]string{"HUSH_REDIS_SENTINEL": "m@a:1,b:2", "HUSH_SECRET_FILE": "/s", "HUSH_MAX_STALENESS": "5s", "HUSH_REDIS_NAMESPACE": "eu"})); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Redis.Mode() != "sentinel" || c.Redis.SentinelMaster != "m" || len(c.Redis.SentinelAddrs) != 2 || c.MaxStaleness != 5*time.Second || c.Redis.Namespace != "eu" {
		t.Fatalf("got %+v", c)
	}
	if d := c.Redis.Describe(); d != "redis sentinel m@a:1,b:2" {
		t.Fatalf("describe %q", d)
	}
}

func TestServerFileRedisAndPurchaseStream(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hush.yaml")
	os.WriteFile(p, []byte(`redis:
  url: redis://u:pw@10.0.0.5:6379/1
  namespace: fleet1
  wait_replicas: 1
  wait_timeout: 250ms
  tls:
    server_name: redis.internal
max_staleness: 30s
secret_file: /etc/hush/secret.key
ingest:
  purchases:
    stream: orders
`), 0o600)
	c, s := Defaults(), ServerDefaults()
	if err := LoadServerFile(p, &c, &s); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := s.Purchases.Validate(c.Redis.Enabled()); err != nil {
		t.Fatal(err)
	}
	r := c.Redis
	if r.URL != "redis://u:pw@10.0.0.5:6379/1" || r.Namespace != "fleet1" || r.WaitReplicas != 1 || r.WaitTimeout != 250*time.Millisecond ||
		r.TLSServerName != "redis.internal" || c.MaxStaleness != 30*time.Second || c.SecretFile != "/etc/hush/secret.key" {
		t.Fatalf("redis %+v cfg %+v", r, c)
	}
	ps := s.Purchases
	host, _ := os.Hostname()
	if ps.Stream != "orders" || ps.Group != "hush" || ps.DeadLetter != "orders:rejected" || !strings.HasPrefix(ps.Consumer, host+"-") || ps.Batch != 500 || ps.Currency != "USD" {
		t.Fatalf("purchase stream defaults: %+v", ps)
	}
	if strings.Contains(r.Describe(), "pw") {
		t.Fatalf("describe leaks the password: %s", r.Describe())
	}

	bad := []struct {
		ps    PurchaseStream
		redis bool
		want  string
	}{
		{PurchaseStream{Stream: "orders"}, false, "needs a Redis deployment"},
		{PurchaseStream{Group: "g"}, true, "ingest.purchases.group is set"},
		{PurchaseStream{Stream: "orders", DeadLetter: "orders"}, true, "dead_letter"},
		{PurchaseStream{Stream: "or ders"}, true, "no spaces"},
		{PurchaseStream{Stream: "orders", Currency: "EURO"}, true, "ingest.purchases.currency"},
		{PurchaseStream{Stream: "orders", Batch: -1}, true, "ingest.purchases.batch"},
	}
	for _, b := range bad {
		ps := b.ps
		if err := ps.Validate(b.redis); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: want %q, got %v", b.ps, b.want, err)
		}
	}
	unknown := filepath.Join(dir, "typo.yaml")
	os.WriteFile(unknown, []byte("redis:\n  urls: redis://h:1\n"), 0o600)
	if err := LoadServerFile(unknown, &c, &s); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "urls") {
		t.Fatalf("unknown redis key: %v", err)
	}
}

func TestScheduleCampaignsSetting(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	os.WriteFile(p, []byte("campaigns:\n  schedule: true\n"), 0o600)
	c, s := Defaults(), ServerDefaults()
	if s.ScheduleCampaigns != nil {
		t.Fatal("default must be unset (the mode decides)")
	}
	if err := LoadServerFile(p, &c, &s); err != nil || s.ScheduleCampaigns == nil || !*s.ScheduleCampaigns {
		t.Fatalf("campaigns.schedule: %v %v", s.ScheduleCampaigns, err)
	}
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == "HUSH_SCHEDULE_CAMPAIGNS" }
	}
	if err := s.FromEnv(env("false")); err != nil || *s.ScheduleCampaigns {
		t.Fatalf("HUSH_SCHEDULE_CAMPAIGNS=false: %v %v", *s.ScheduleCampaigns, err)
	}
	if err := s.FromEnv(env("sometimes")); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "HUSH_SCHEDULE_CAMPAIGNS") {
		t.Fatalf("bad value: %v", err)
	}
}

func TestAdvertiseURLSetting(t *testing.T) {
	cases := []struct {
		url, want string
		ok        bool
	}{
		{"", "", true},
		{"http://10.0.0.5:8080/", "http://10.0.0.5:8080", true},
		{"https://hush-3.internal:8443", "https://hush-3.internal:8443", true},
		{"10.0.0.5:8080", "", false},
		{"ftp://10.0.0.5", "", false},
		{"http://10.0.0.5:8080/api", "", false},
	}
	for _, c := range cases {
		s := ServerDefaults()
		s.AdvertiseURL = c.url
		err := s.Validate()
		if c.ok != (err == nil) || (c.ok && s.AdvertiseURL != c.want) {
			t.Errorf("advertise_url %q: %q, %v (want ok %v, %q)", c.url, s.AdvertiseURL, err, c.ok, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "advertise_url") {
			t.Errorf("advertise_url %q: the error does not name the setting: %v", c.url, err)
		}
	}
}
