package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Redis says where a fleet of hush instances keeps its shared state (the
// journal/redisstream backend). The zero value means "embedded mode": the
// state is in the --data directory.
type Redis struct {
	URL            string   // --redis: redis://[user:pass@]host:port/db, rediss://... (TLS), unix:///path/redis.sock
	SentinelMaster string   // --redis-sentinel MASTER@host:port,...
	SentinelAddrs  []string //
	ClusterAddrs   []string // --redis-cluster host:port,...

	Username     string // redis.username (overrides the URL's)
	Password     string // redis.password; prefer PasswordFile (never on a command line)
	PasswordFile string // --redis-password-file: the password is the file's first line

	TLSCAFile             string // --redis-tls-ca
	TLSCertFile           string // --redis-tls-cert (with TLSKeyFile: client certificate)
	TLSKeyFile            string // --redis-tls-key
	TLSServerName         string // redis.tls.server_name
	TLSInsecureSkipVerify bool   // redis.tls.insecure_skip_verify (tests only)

	// Namespace prefixes every key ("{<ns>}:..."): one fleet per
	// namespace; the braces keep a fleet's keys in one Cluster hash slot.
	Namespace string // --redis-namespace, default "hush"
	// WaitReplicas > 0: after each append, WAIT for this many replicas
	// before acknowledging (a failover then keeps acknowledged writes).
	WaitReplicas int
	WaitTimeout  time.Duration
}

// DefaultNamespace is the Redis key namespace when none is configured.
const DefaultNamespace = "hush"

// Enabled reports whether a Redis deployment is configured: the state is
// then in Redis, not in --data.
func (r *Redis) Enabled() bool {
	return r.URL != "" || r.SentinelMaster != "" || len(r.SentinelAddrs) > 0 || len(r.ClusterAddrs) > 0
}

// Mode names the deployment: "single", "sentinel", "cluster" or "" (none).
func (r *Redis) Mode() string {
	switch {
	case r.URL != "":
		return "single"
	case r.SentinelMaster != "" || len(r.SentinelAddrs) > 0:
		return "sentinel"
	case len(r.ClusterAddrs) > 0:
		return "cluster"
	}
	return ""
}

// ParseSentinel reads --redis-sentinel's MASTER@host:port,host:port.
func ParseSentinel(s string) (master string, addrs []string, err error) {
	master, rest, ok := strings.Cut(strings.TrimSpace(s), "@")
	master = strings.TrimSpace(master)
	if !ok || master == "" || strings.TrimSpace(rest) == "" {
		return "", nil, fmt.Errorf("%w: --redis-sentinel %q: want MASTER@host:port[,host:port...] (the master's name as the Sentinels know it)", ErrInvalid, s)
	}
	return master, splitAddrs(rest), nil
}

// ParseAddrs reads a comma-separated host:port list (--redis-cluster).
func ParseAddrs(s string) []string { return splitAddrs(s) }

func splitAddrs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks a Redis configuration; every error names the flag or
// config key to fix. It reads PasswordFile (into Password) and checks that
// the TLS files exist. An empty (disabled) configuration is valid.
func (r *Redis) Validate() error {
	modes := 0
	var named []string
	if r.URL != "" {
		modes++
		named = append(named, "--redis (redis.url)")
	}
	if r.SentinelMaster != "" || len(r.SentinelAddrs) > 0 {
		modes++
		named = append(named, "--redis-sentinel (redis.sentinel)")
	}
	if len(r.ClusterAddrs) > 0 {
		modes++
		named = append(named, "--redis-cluster (redis.cluster.addrs)")
	}
	if modes == 0 {
		for _, s := range []struct{ v, name string }{
			{r.PasswordFile, "--redis-password-file"}, {r.TLSCAFile, "--redis-tls-ca"}, {r.TLSCertFile, "--redis-tls-cert"},
			{r.TLSKeyFile, "--redis-tls-key"},
		} {
			if s.v != "" {
				return fmt.Errorf("%w: %s is set but no Redis is configured (give --redis, --redis-sentinel or --redis-cluster)", ErrInvalid, s.name)
			}
		}
		return nil
	}
	if modes > 1 {
		return fmt.Errorf("%w: %s: give exactly one Redis deployment", ErrInvalid, strings.Join(named, " and "))
	}
	if r.URL != "" {
		if err := validateRedisURL(r.URL); err != nil {
			return err
		}
	}
	if r.SentinelMaster != "" || len(r.SentinelAddrs) > 0 {
		if r.SentinelMaster == "" {
			return fmt.Errorf("%w: --redis-sentinel (redis.sentinel.master): the master's name is missing", ErrInvalid)
		}
		if len(r.SentinelAddrs) == 0 {
			return fmt.Errorf("%w: --redis-sentinel (redis.sentinel.addrs): no Sentinel address for master %q", ErrInvalid, r.SentinelMaster)
		}
		if err := validateAddrs("--redis-sentinel (redis.sentinel.addrs)", r.SentinelAddrs); err != nil {
			return err
		}
	}
	if len(r.ClusterAddrs) > 0 {
		if err := validateAddrs("--redis-cluster (redis.cluster.addrs)", r.ClusterAddrs); err != nil {
			return err
		}
	}
	if r.PasswordFile != "" {
		if r.Password != "" {
			return fmt.Errorf("%w: redis.password and --redis-password-file (redis.password_file) are both set: keep one", ErrInvalid)
		}
		pw, err := readPasswordFile(r.PasswordFile)
		if err != nil {
			return err
		}
		r.Password = pw
	}
	for _, f := range []struct{ path, name string }{
		{r.TLSCAFile, "--redis-tls-ca (redis.tls.ca)"}, {r.TLSCertFile, "--redis-tls-cert (redis.tls.cert)"}, {r.TLSKeyFile, "--redis-tls-key (redis.tls.key)"},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalid, f.name, err)
		}
	}
	if (r.TLSCertFile == "") != (r.TLSKeyFile == "") {
		return fmt.Errorf("%w: --redis-tls-cert and --redis-tls-key go together (a client certificate and its key)", ErrInvalid)
	}
	if r.Namespace == "" {
		r.Namespace = DefaultNamespace
	}
	if strings.ContainsAny(r.Namespace, "{}: \t\r\n") {
		return fmt.Errorf("%w: --redis-namespace (redis.namespace) %q: no braces, colons or spaces (it becomes the key hash tag)", ErrInvalid, r.Namespace)
	}
	if r.WaitReplicas < 0 {
		return fmt.Errorf("%w: redis.wait_replicas %d: want 0 (do not wait) or more", ErrInvalid, r.WaitReplicas)
	}
	if r.WaitTimeout < 0 {
		return fmt.Errorf("%w: redis.wait_timeout %s: must not be negative", ErrInvalid, r.WaitTimeout)
	}
	if r.WaitReplicas > 0 && r.WaitTimeout == 0 {
		r.WaitTimeout = time.Second
	}
	return nil
}

func validateRedisURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: --redis (redis.url) %q: %v", ErrInvalid, redactURL(s), err)
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			return fmt.Errorf("%w: --redis (redis.url) %q: no host (want redis://host:6379/0)", ErrInvalid, redactURL(s))
		}
		if db := strings.Trim(u.Path, "/"); db != "" {
			if n, err := strconv.Atoi(db); err != nil || n < 0 {
				return fmt.Errorf("%w: --redis (redis.url) %q: database %q is not a number", ErrInvalid, redactURL(s), db)
			}
		}
	case "unix":
		if u.Path == "" {
			return fmt.Errorf("%w: --redis (redis.url) %q: no socket path (want unix:///path/to/redis.sock)", ErrInvalid, redactURL(s))
		}
	default:
		return fmt.Errorf("%w: --redis (redis.url) %q: want a redis://, rediss:// or unix:// URL", ErrInvalid, redactURL(s))
	}
	return nil
}

// redactURL hides a password in a Redis URL, for error messages and logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// RedactURL is redactURL for callers that print the configured URL.
func RedactURL(s string) string { return redactURL(s) }

func validateAddrs(name string, addrs []string) error {
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			return fmt.Errorf("%w: %s: %q: want host:port", ErrInvalid, name, a)
		}
		if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
			return fmt.Errorf("%w: %s: %q: port %q is not a number in 1..65535", ErrInvalid, name, a, port)
		}
	}
	return nil
}

func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: --redis-password-file (redis.password_file): %v", ErrInvalid, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: --redis-password-file %s is readable by others (mode %v); chmod 600 it", ErrInvalid, path, fi.Mode().Perm())
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%w: --redis-password-file %s: the first line is empty", ErrInvalid, path)
	}
	return line, nil
}

// redisFromEnv overlays HUSH_REDIS, HUSH_REDIS_SENTINEL, HUSH_REDIS_CLUSTER,
// HUSH_REDIS_USERNAME, HUSH_REDIS_PASSWORD, HUSH_REDIS_PASSWORD_FILE,
// HUSH_REDIS_TLS_CA, HUSH_REDIS_TLS_CERT, HUSH_REDIS_TLS_KEY,
// HUSH_REDIS_TLS_SERVER_NAME, HUSH_REDIS_NAMESPACE,
// HUSH_REDIS_WAIT_REPLICAS and HUSH_REDIS_WAIT_TIMEOUT on r.
func (r *Redis) fromEnv(lookup func(string) (string, bool)) error {
	get := func(k string) (string, bool) {
		v, ok := lookup(k)
		return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
	}
	if v, ok := get("HUSH_REDIS"); ok {
		r.URL = v
	}
	if v, ok := get("HUSH_REDIS_SENTINEL"); ok {
		m, a, err := ParseSentinel(v)
		if err != nil {
			return fmt.Errorf("HUSH_REDIS_SENTINEL: %w", err)
		}
		r.SentinelMaster, r.SentinelAddrs = m, a
	}
	if v, ok := get("HUSH_REDIS_CLUSTER"); ok {
		r.ClusterAddrs = splitAddrs(v)
	}
	for k, dst := range map[string]*string{
		"HUSH_REDIS_USERNAME": &r.Username, "HUSH_REDIS_PASSWORD": &r.Password, "HUSH_REDIS_PASSWORD_FILE": &r.PasswordFile,
		"HUSH_REDIS_TLS_CA": &r.TLSCAFile, "HUSH_REDIS_TLS_CERT": &r.TLSCertFile, "HUSH_REDIS_TLS_KEY": &r.TLSKeyFile,
		"HUSH_REDIS_TLS_SERVER_NAME": &r.TLSServerName, "HUSH_REDIS_NAMESPACE": &r.Namespace,
	} {
		if v, ok := get(k); ok {
			*dst = v
		}
	}
	if v, ok := get("HUSH_REDIS_WAIT_REPLICAS"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%w: HUSH_REDIS_WAIT_REPLICAS=%q: want a whole number", ErrInvalid, v)
		}
		r.WaitReplicas = n
	}
	if v, ok := get("HUSH_REDIS_WAIT_TIMEOUT"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%w: HUSH_REDIS_WAIT_TIMEOUT=%q: want a duration such as 1s", ErrInvalid, v)
		}
		r.WaitTimeout = d
	}
	return nil
}

// Describe says where the state is, without secrets: for logs.
func (r *Redis) Describe() string {
	switch r.Mode() {
	case "single":
		return "redis " + redactURL(r.URL)
	case "sentinel":
		return "redis sentinel " + r.SentinelMaster + "@" + strings.Join(r.SentinelAddrs, ",")
	case "cluster":
		return "redis cluster " + strings.Join(r.ClusterAddrs, ",")
	}
	return ""
}
