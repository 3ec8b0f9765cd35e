package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal/redisstream"
)

// redisJournal is the fleet's log in Redis (journal/redisstream).
type redisJournal = redisstream.Journal

// redisOpenTimeout bounds connecting to Redis and reading where the log
// is: a command against an unreachable Redis fails instead of hanging.
const redisOpenTimeout = 15 * time.Second

// redisOptions maps the configuration onto the backend's options.
func redisOptions(r config.Redis, logf func(string, ...any)) redisstream.Options {
	return redisstream.Options{
		URL: r.URL, SentinelMaster: r.SentinelMaster, SentinelAddrs: r.SentinelAddrs, ClusterAddrs: r.ClusterAddrs,
		Username: r.Username, Password: r.Password,
		TLSCAFile: r.TLSCAFile, TLSCertFile: r.TLSCertFile, TLSKeyFile: r.TLSKeyFile, TLSServerName: r.TLSServerName,
		TLSInsecureSkipVerify: r.TLSInsecureSkipVerify,
		Namespace:             r.Namespace, WaitReplicas: r.WaitReplicas, WaitTimeout: r.WaitTimeout,
		Logger: func(s string) { logf("redis: %s", s) },
	}
}

// openRedisJournal connects to the fleet's log and reads the secret from
// --secret, creating it only when the log is empty (no records, no
// snapshot): the secret is never stored in Redis.
func (c *cli) openRedisJournal() (*dataJournal, error) {
	o := redisOptions(c.cfg.Redis, c.logf)
	if err := o.Validate(); err != nil {
		return nil, &userError{err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisOpenTimeout)
	defer cancel()
	j, err := redisstream.Open(ctx, o)
	if err != nil {
		// Unreachable, refused, bad credentials: the operator's to fix
		// (redisstream's error names the deployment, without secrets).
		return nil, &userError{err}
	}
	snaps, err := j.Snapshots()
	if err != nil {
		j.Close()
		return nil, fmt.Errorf("%s: list snapshots: %w", j.Describe(), err)
	}
	path := c.cfg.SecretFile
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			j.Close()
			return nil, &userError{fmt.Errorf("--secret %s: %w", path, err)}
		}
	}
	secret, err := loadOrCreateSecret(path, j.LastSeq() == 0 && len(snaps) == 0)
	if err != nil {
		j.Close()
		// A missing, damaged or open secret in Redis mode is the
		// operator's to fix: --secret names the wrong file.
		return nil, &userError{fmt.Errorf("--secret: %w", err)}
	}
	h, err := contactkey.NewHasher(secret)
	if err != nil {
		j.Close()
		return nil, err
	}
	return &dataJournal{j: j, fleet: j, secret: secret, hasher: h, where: j.Describe()}, nil
}
