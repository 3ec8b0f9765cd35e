package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Config is what every hush command is wired from.
type Config struct {
	DataDir string // --data, HUSH_DATA
	Region  string // --region, HUSH_REGION: default region for phone numbers written without a country code
	JSON    bool   // --json, HUSH_JSON: machine-readable output
	Actor   string // --actor, HUSH_ACTOR: who is recorded in the journal (default: $USER@host)

	// SnapshotBytes: take a snapshot once this many bytes of log have been
	// written since the last one (HUSH_SNAPSHOT_BYTES). Bounds restart time.
	SnapshotBytes int64
	// SegmentBytes is the WAL segment size.
	SegmentBytes int64
	// Progress shows progress bars on a terminal (off with --quiet).
	Progress bool
	// Now is the clock; tests set it.
	Now func() time.Time

	// Redis, when enabled (--redis, --redis-sentinel, --redis-cluster),
	// holds the state instead of DataDir: the fleet's shared log.
	Redis Redis
	// SecretFile (--secret, HUSH_SECRET_FILE, secret_file) is the hashing
	// secret in Redis mode: created (0600) when the shared log is empty,
	// required otherwise. It is never stored in Redis.
	SecretFile string
	// MaxStaleness (--max-staleness, HUSH_MAX_STALENESS, max_staleness):
	// in Redis mode, how long checks go on answering from memory after the
	// last contact with Redis before they fail closed (stale_state).
	MaxStaleness time.Duration
}

// DefaultMaxStaleness is max_staleness when nothing else is said.
const DefaultMaxStaleness = 60 * time.Second

// Defaults are the values used when nothing else is said.
func Defaults() Config {
	return Config{
		DataDir:       "./hush-data",
		Region:        "US",
		SnapshotBytes: 64 << 20,
		SegmentBytes:  128 << 20,
		Progress:      true,
		Now:           time.Now,
		MaxStaleness:  DefaultMaxStaleness,
	}
}

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid configuration")

// FromEnv overlays HUSH_* environment variables on c. lookup is os.LookupEnv
// in production and a map in tests.
func (c *Config) FromEnv(lookup func(string) (string, bool)) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if v, ok := lookup("HUSH_DATA"); ok && v != "" {
		c.DataDir = v
	}
	if v, ok := lookup("HUSH_REGION"); ok && v != "" {
		c.Region = v
	}
	if v, ok := lookup("HUSH_ACTOR"); ok && v != "" {
		c.Actor = v
	}
	if v, ok := lookup("HUSH_JSON"); ok && v != "" {
		switch strings.ToLower(v) {
		case "1", "true", "yes":
			c.JSON = true
		case "0", "false", "no":
			c.JSON = false
		default:
			return fmt.Errorf("%w: HUSH_JSON=%q: want true or false", ErrInvalid, v)
		}
	}
	if v, ok := lookup("HUSH_SNAPSHOT_BYTES"); ok && v != "" {
		n, err := parseBytes(v)
		if err != nil {
			return fmt.Errorf("%w: HUSH_SNAPSHOT_BYTES=%q: %v", ErrInvalid, v, err)
		}
		c.SnapshotBytes = n
	}
	if v, ok := lookup("HUSH_SECRET_FILE"); ok && v != "" {
		c.SecretFile = v
	}
	if v, ok := lookup("HUSH_MAX_STALENESS"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%w: HUSH_MAX_STALENESS=%q: want a duration such as 60s", ErrInvalid, v)
		}
		c.MaxStaleness = d
	}
	return c.Redis.fromEnv(lookup)
}

// Validate checks the settings that do not need other packages. The region
// is checked against the phone metadata by contactkey when wired.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return fmt.Errorf("%w: --data: empty data directory", ErrInvalid)
	}
	r := strings.ToUpper(strings.TrimSpace(c.Region))
	if len(r) != 2 || r[0] < 'A' || r[0] > 'Z' || r[1] < 'A' || r[1] > 'Z' {
		return fmt.Errorf("%w: --region %q: want a two-letter region code such as US, CN, GB", ErrInvalid, c.Region)
	}
	c.Region = r
	if c.SnapshotBytes < 1<<20 {
		return fmt.Errorf("%w: snapshot threshold %d bytes is below 1 MiB", ErrInvalid, c.SnapshotBytes)
	}
	if c.SegmentBytes < 1<<20 {
		return fmt.Errorf("%w: segment size %d bytes is below 1 MiB", ErrInvalid, c.SegmentBytes)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if err := c.Redis.Validate(); err != nil {
		return err
	}
	if c.MaxStaleness <= 0 {
		return fmt.Errorf("%w: --max-staleness (max_staleness) %s: must be positive", ErrInvalid, c.MaxStaleness)
	}
	if c.Redis.Enabled() {
		if strings.TrimSpace(c.SecretFile) == "" {
			return fmt.Errorf("%w: --secret FILE (secret_file, HUSH_SECRET_FILE) is required with %s: the hashing secret is never stored in Redis; every instance of the fleet reads the same file (created 0600 when the log is empty)", ErrInvalid, redisFlag(&c.Redis))
		}
	} else if c.SecretFile != "" {
		return fmt.Errorf("%w: --secret %s is for Redis mode (--redis, --redis-sentinel, --redis-cluster); the embedded mode keeps its secret in %s/secret.key", ErrInvalid, c.SecretFile, c.DataDir)
	}
	return nil
}

func redisFlag(r *Redis) string {
	switch r.Mode() {
	case "sentinel":
		return "--redis-sentinel"
	case "cluster":
		return "--redis-cluster"
	}
	return "--redis"
}

func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if strings.HasSuffix(s, u.suffix) {
			mult = u.m
			s = strings.TrimSuffix(s, u.suffix)
			break
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n < 0 {
		return 0, fmt.Errorf("want a byte size such as 256MiB")
	}
	return n * mult, nil
}
