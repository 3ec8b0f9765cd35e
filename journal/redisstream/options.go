package redisstream

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options says which Redis to use and how. Exactly one of URL, Sentinel
// (SentinelMaster with SentinelAddrs) or ClusterAddrs is set.
type Options struct {
	// URL of a single Redis: redis://[user:pass@]host:port/db,
	// rediss://... (TLS) or unix:///path/redis.sock[?db=N].
	URL string
	// SentinelMaster with SentinelAddrs (host:port of the sentinels)
	// selects Sentinel mode: the client follows the master on failover.
	SentinelMaster string
	SentinelAddrs  []string
	// ClusterAddrs (host:port of some cluster nodes) selects Cluster mode.
	ClusterAddrs []string

	// Username and Password override (or complement) the URL's. In
	// Sentinel mode they are the data nodes' credentials, and are used
	// for the sentinels too.
	Username, Password string

	// TLS. With a URL, TLS is on for rediss:// (these files then set the
	// trust and the client certificate). In Sentinel and Cluster mode TLS
	// is on when any of these is set.
	TLSCAFile, TLSCertFile, TLSKeyFile, TLSServerName string
	TLSInsecureSkipVerify                             bool

	// Namespace of every key ("hush" when empty): the log is "{ns}:log",
	// snapshots "{ns}:snap:...". The braces are a Cluster hash tag, so one
	// node holds the log and its snapshots and a script can touch both.
	Namespace string

	// WaitReplicas > 0: after each append, WAIT until this many replicas
	// have it (at most WaitTimeout, default 1 s); fewer is an error, so
	// an acknowledged write survives the loss of the master.
	WaitReplicas int
	WaitTimeout  time.Duration

	// Logger receives notes on things that went wrong but did not fail the
	// call (a snapshot left over, a lease lost). Nil discards them.
	Logger func(string)
}

// DefaultNamespace is the namespace when Options.Namespace is empty.
const DefaultNamespace = "hush"

const defaultWaitTimeout = time.Second

// Validate checks the options without connecting. Errors name the field.
func (o Options) Validate() error {
	var errs []error
	modes := 0
	if o.URL != "" {
		modes++
	}
	if o.SentinelMaster != "" || len(o.SentinelAddrs) > 0 {
		modes++
	}
	if len(o.ClusterAddrs) > 0 {
		modes++
	}
	switch {
	case modes == 0:
		errs = append(errs, errors.New("no Redis given: set URL, SentinelMaster with SentinelAddrs, or ClusterAddrs"))
	case modes > 1:
		errs = append(errs, errors.New("URL, Sentinel (SentinelMaster/SentinelAddrs) and ClusterAddrs are exclusive: set one"))
	}
	if o.URL != "" {
		opt, err := redis.ParseURL(o.URL)
		if err != nil {
			errs = append(errs, fmt.Errorf("URL: %v (want redis://host:port/db, rediss://host:port/db or unix:///path/redis.sock)", redactErr(err, o.URL)))
		} else if opt.TLSConfig == nil && o.tlsSet() {
			errs = append(errs, errors.New("TLS files are set but URL does not use rediss:// (TLS would not be used)"))
		}
	}
	if (o.SentinelMaster != "") != (len(o.SentinelAddrs) > 0) {
		if o.SentinelMaster == "" {
			errs = append(errs, errors.New("SentinelAddrs is set but SentinelMaster (the master's name) is empty"))
		} else {
			errs = append(errs, errors.New("SentinelMaster is set but SentinelAddrs (host:port of the sentinels) is empty"))
		}
	}
	for _, f := range []struct {
		name  string
		addrs []string
	}{{"SentinelAddrs", o.SentinelAddrs}, {"ClusterAddrs", o.ClusterAddrs}} {
		for i, a := range f.addrs {
			if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
				errs = append(errs, fmt.Errorf("%s[%d] %q: want host:port", f.name, i, a))
			}
		}
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("TLSCertFile and TLSKeyFile go together: set both or neither"))
	}
	for _, f := range []struct{ name, path string }{{"TLSCAFile", o.TLSCAFile}, {"TLSCertFile", o.TLSCertFile}, {"TLSKeyFile", o.TLSKeyFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	if err := checkNamespace(o.Namespace); err != nil {
		errs = append(errs, err)
	}
	if o.WaitReplicas < 0 {
		errs = append(errs, fmt.Errorf("WaitReplicas %d: must be 0 (no WAIT) or more", o.WaitReplicas))
	}
	if o.WaitTimeout < 0 {
		errs = append(errs, fmt.Errorf("WaitTimeout %v: must not be negative", o.WaitTimeout))
	}
	if o.WaitTimeout > 0 && o.WaitReplicas == 0 {
		errs = append(errs, errors.New("WaitTimeout is set but WaitReplicas is 0: nothing would be waited for"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("redisstream options: %w", err)
	}
	return nil
}

func checkNamespace(ns string) error {
	if ns == "" {
		return nil
	}
	if len(ns) > 64 {
		return fmt.Errorf("Namespace %q: at most 64 characters", ns)
	}
	for _, r := range ns {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return fmt.Errorf("Namespace %q: only letters, digits and - _ . : are allowed (it goes inside a {hash tag})", ns)
		}
	}
	return nil
}

func (o Options) namespace() string {
	if o.Namespace == "" {
		return DefaultNamespace
	}
	return o.Namespace
}

func (o Options) tlsSet() bool {
	return o.TLSCAFile != "" || o.TLSCertFile != "" || o.TLSKeyFile != "" || o.TLSServerName != "" || o.TLSInsecureSkipVerify
}

// redactErr keeps a URL's password out of an error message.
func redactErr(err error, url string) error {
	msg := err.Error()
	if i := strings.Index(url, "://"); i >= 0 {
		if at := strings.LastIndex(url, "@"); at > i {
			if userinfo := url[i+3 : at]; strings.Contains(msg, userinfo) {
				msg = strings.ReplaceAll(msg, userinfo, "REDACTED")
			}
		}
	}
	return errors.New(msg)
}

// tlsConfig builds the TLS settings from the files, on top of base (the
// URL's, which carries the server name).
func (o Options) tlsConfig(base *tls.Config) (*tls.Config, error) {
	c := base
	if c == nil {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		c = c.Clone()
	}
	if o.TLSCAFile != "" {
		pem, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("TLSCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLSCAFile %s: no PEM certificate in it", o.TLSCAFile)
		}
		c.RootCAs = pool
	}
	if o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLSCertFile/TLSKeyFile: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	if o.TLSServerName != "" {
		c.ServerName = o.TLSServerName
	}
	c.InsecureSkipVerify = o.TLSInsecureSkipVerify
	return c, nil
}

// newClient builds the go-redis client for the mode the options select,
// and says what it connects to (without secrets).
func (o Options) newClient() (redis.UniversalClient, string, error) {
	switch {
	case o.URL != "":
		opt, err := redis.ParseURL(o.URL)
		if err != nil {
			return nil, "", fmt.Errorf("URL: %w", redactErr(err, o.URL))
		}
		if o.Username != "" {
			opt.Username = o.Username
		}
		if o.Password != "" {
			opt.Password = o.Password
		}
		if opt.TLSConfig != nil {
			if opt.TLSConfig, err = o.tlsConfig(opt.TLSConfig); err != nil {
				return nil, "", err
			}
		}
		tuneClient(opt)
		where := opt.Addr
		if opt.Network == "unix" {
			where = "unix:" + opt.Addr
		}
		desc := fmt.Sprintf("redis single %s db %d", where, opt.DB)
		if opt.TLSConfig != nil {
			desc += " tls"
		}
		return redis.NewClient(opt), desc, nil
	case o.SentinelMaster != "":
		fo := &redis.FailoverOptions{
			MasterName:       o.SentinelMaster,
			SentinelAddrs:    o.SentinelAddrs,
			Username:         o.Username,
			Password:         o.Password,
			SentinelUsername: o.Username,
			SentinelPassword: o.Password,
			ReadTimeout:      10 * time.Second,
			WriteTimeout:     10 * time.Second,
			MaxRetries:       -1,
		}
		desc := fmt.Sprintf("redis sentinel master %s via %s", o.SentinelMaster, strings.Join(o.SentinelAddrs, ","))
		if o.tlsSet() {
			c, err := o.tlsConfig(nil)
			if err != nil {
				return nil, "", err
			}
			fo.TLSConfig = c
			desc += " tls"
		}
		return redis.NewFailoverClient(fo), desc, nil
	default:
		co := &redis.ClusterOptions{Addrs: o.ClusterAddrs, Username: o.Username, Password: o.Password}
		desc := "redis cluster " + strings.Join(o.ClusterAddrs, ",")
		if o.tlsSet() {
			c, err := o.tlsConfig(nil)
			if err != nil {
				return nil, "", err
			}
			co.TLSConfig = c
			desc += " tls"
		}
		co.MaxRetries = -1 // see tuneClient; MOVED/ASK redirects still follow
		co.ReadTimeout = 10 * time.Second
		co.WriteTimeout = 10 * time.Second
		return redis.NewClusterClient(co), desc, nil
	}
}

// tuneClient sets timeouts suited to multi-megabyte entries and snapshot
// chunks: the 3 s defaults are too tight for a busy server.
//
// No retries: go-redis would resend a command whose reply was lost, and a
// resent append is a duplicate in the log. The caller (the engine's
// follower loop, a client retrying a 503) retries, knowing what it did.
func tuneClient(opt *redis.Options) {
	opt.MaxRetries = -1
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 10 * time.Second
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = 10 * time.Second
	}
}
