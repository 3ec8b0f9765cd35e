package main

import (
	"flag"
	"strings"

	"github.com/hushcrm/hush/config"
)

// registerRedisFlags adds the flags that put a command on a fleet's
// shared state in Redis instead of --data. Every command that opens the
// state takes them (c.flags registers them).
func (c *cli) registerRedisFlags(fs *flag.FlagSet) {
	r := &c.cfg.Redis
	fs.Func("redis", "keep the state in Redis instead of --data: redis://[user:pass@]host:6379/0, rediss://... (TLS) or unix:///path/redis.sock (env HUSH_REDIS)", func(s string) error {
		r.URL = strings.TrimSpace(s)
		return nil
	})
	fs.Func("redis-sentinel", "Redis behind Sentinel: MASTER@host:26379,host:26379 (env HUSH_REDIS_SENTINEL)", func(s string) error {
		m, a, err := config.ParseSentinel(s)
		if err != nil {
			return err
		}
		r.SentinelMaster, r.SentinelAddrs = m, a
		return nil
	})
	fs.Func("redis-cluster", "Redis Cluster seed nodes: host:port,host:port (env HUSH_REDIS_CLUSTER)", func(s string) error {
		r.ClusterAddrs = config.ParseAddrs(s)
		return nil
	})
	fs.StringVar(&r.PasswordFile, "redis-password-file", r.PasswordFile, "file whose first line is the Redis password (mode 0600; env HUSH_REDIS_PASSWORD_FILE)")
	fs.StringVar(&r.TLSCAFile, "redis-tls-ca", r.TLSCAFile, "PEM CA bundle that signs the Redis server's certificate (env HUSH_REDIS_TLS_CA)")
	fs.StringVar(&r.TLSCertFile, "redis-tls-cert", r.TLSCertFile, "PEM client certificate for Redis (with --redis-tls-key; env HUSH_REDIS_TLS_CERT)")
	fs.StringVar(&r.TLSKeyFile, "redis-tls-key", r.TLSKeyFile, "PEM key of --redis-tls-cert (env HUSH_REDIS_TLS_KEY)")
	fs.StringVar(&r.Namespace, "redis-namespace", r.Namespace, "key namespace of this fleet in Redis: keys are {NS}:... (default hush; env HUSH_REDIS_NAMESPACE)")
	fs.StringVar(&c.cfg.SecretFile, "secret", c.cfg.SecretFile, "Redis mode: the hashing secret file, the same on every instance (created 0600 when the log is empty; never stored in Redis; env HUSH_SECRET_FILE)")
	fs.DurationVar(&c.cfg.MaxStaleness, "max-staleness", c.cfg.MaxStaleness, "Redis mode: checks answer from memory this long after the last contact with Redis, then fail closed (env HUSH_MAX_STALENESS)")
}
