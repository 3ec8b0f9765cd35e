package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/httpapi"
)

// tokenSecret derives the key that signs unsubscribe tokens from the
// deployment secret, so tokens stay valid across restarts and `hush token`
// mints the same tokens the server checks.
func tokenSecret(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("hush/unsubscribe-token/v1"))
	return m.Sum(nil)
}

// serveConfig reads the serve settings: defaults, then the config file,
// then HUSH_* variables, then flags — each overriding the one before.
func (c *cli) serveConfig(fs *flag.FlagSet, args []string) (config.Server, error) {
	sc := config.ServerDefaults()
	path := fs.String("config", os.Getenv("HUSH_CONFIG"), "YAML config file (env HUSH_CONFIG)")
	listen := fs.String("listen", "", "address to listen on, host:port or :port (default :8080; env HUSH_LISTEN)")
	public := fs.String("public-url", "", "URL clients reach this server by: base of unsubscribe links (env HUSH_PUBLIC_URL)")
	advertise := fs.String("advertise-url", "", "Redis mode: URL the other instances reach this one by directly, for requests about its jobs (default http://HOSTNAME:PORT; env HUSH_ADVERTISE_URL)")
	var schedule *bool
	fs.Func("schedule-campaigns", "true|false: run scheduled campaigns on this instance (default true; in a fleet one instance at a time holds the schedule through a lease in Redis, and false keeps this one out of it; env HUSH_SCHEDULE_CAMPAIGNS)", func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		schedule = &b
		return nil
	})
	if _, err := c.parseFlags(fs, args); err != nil {
		return sc, err
	}
	if *path != "" {
		// The file's settings apply unless env or flags say otherwise:
		// load the file, then the env, then parse the flags again.
		base := config.Defaults()
		base.Now = c.cfg.Now
		if err := config.LoadServerFile(*path, &base, &sc); err != nil {
			return sc, err
		}
		if err := base.FromEnv(nil); err != nil {
			return sc, err
		}
		c.cfg = base
		if _, err := c.parseFlags(fs, args); err != nil {
			return sc, err
		}
	}
	if err := sc.FromEnv(nil); err != nil {
		return sc, err
	}
	if *listen != "" {
		sc.Listen = *listen
	}
	if *public != "" {
		sc.PublicURL = *public
	}
	if *advertise != "" {
		sc.AdvertiseURL = *advertise
	}
	if schedule != nil {
		sc.ScheduleCampaigns = schedule
	}
	if err := c.cfg.Validate(); err != nil {
		return sc, err
	}
	if c.cfg.Actor == "" {
		c.cfg.Actor = defaultActor()
	}
	if err := sc.Purchases.Validate(c.cfg.Redis.Enabled()); err != nil {
		return sc, err
	}
	c.derivedURL = sc.PublicURL == ""
	c.derivedHook = sc.SMSWebhookURL == ""
	if err := sc.Validate(); err != nil {
		return sc, err
	}
	return sc, nil
}

func runServe(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("serve", "[--listen :8080] [--config hush.yaml] [--public-url URL]")
	sc, err := c.serveConfig(fs, args)
	if err != nil {
		return err
	}
	n, err := c.normalizer()
	if err != nil {
		return err
	}
	// The journal opens before the server exists: fsyncs reach its
	// histogram once it does.
	var observeSync atomic.Pointer[func(time.Duration)]
	c.onSync = func(d time.Duration) {
		if f := observeSync.Load(); f != nil {
			(*f)(d)
		}
	}
	c.longLived = true
	dj, err := c.openJournal()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", sc.Listen)
	if err != nil {
		dj.j.Close()
		return &userError{fmt.Errorf("--listen %s: %w", sc.Listen, err)}
	}
	if c.derivedURL && strings.HasSuffix(sc.Listen, ":0") {
		// Not configured, and port 0: the address actually bound.
		sc.PublicURL = "http://" + ln.Addr().String()
		if c.derivedHook {
			sc.SMSWebhookURL = sc.PublicURL + "/v1/inbound/sms"
		}
	}
	deps := httpapi.Deps{
		Normalizer:   n,
		TokenSecret:  tokenSecret(dj.secret),
		JobsDir:      filepath.Join(c.cfg.DataDir, "jobs"),
		Tool:         "hush " + version,
		Logf:         c.logf,
		Now:          c.cfg.Now,
		JournalStats: dj.syncStats,
	}
	stopAdvertising := func() {}
	if dj.fleet != nil {
		// Jobs live on the instance that runs them: the others pass it the
		// requests for them (httpapi/jobforward.go).
		deps.Instance, deps.Peers = newInstanceID(), dj.fleet
		adv := advertiseURL(sc, ln.Addr())
		actx, cancel := context.WithTimeout(ctx, redisOpenTimeout)
		stop, err := dj.fleet.Advertise(actx, deps.Instance, adv, instanceTTL)
		cancel()
		if err != nil {
			ln.Close()
			dj.j.Close()
			return err
		}
		stopAdvertising = stop
		c.logf("fleet instance %s, reached by the others at %s", deps.Instance, adv)
	}
	defer func() { stopAdvertising() }()
	srv, err := httpapi.New(sc, deps)
	if err != nil {
		ln.Close()
		dj.j.Close()
		return err
	}
	obs := srv.ObserveFsync
	observeSync.Store(&obs)
	c.logf("listening on %s (public URL %s); recovering state from %s", ln.Addr(), sc.PublicURL, dj.where)
	// Serve /healthz at once; /readyz and the API answer 503 until the
	// state is recovered.
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln) }()

	start := time.Now()
	e, err := c.recoverEngine(ctx, dj)
	if err != nil {
		stopServe()
		<-served
		return err
	}
	// The first checks would otherwise all wait for the lists' unions,
	// built on first use: build them before saying ready.
	warmStart := time.Now()
	if err := e.WarmPolicies(engine.FirstPartyScopes()); err != nil {
		c.logf("warming policies: %v (they compile on first use)", err)
	}
	c.logf("policies warmed in %s", time.Since(warmStart).Round(time.Millisecond))
	srv.Ready(e)
	c.logf("ready: state at version %d recovered in %s", e.Applied(), time.Since(start).Round(time.Millisecond))
	stopJobs, err := startJobs(c, sc, e, dj.fleet)
	if err != nil {
		stopServe()
		<-served
		e.Close()
		dj.j.Close()
		return err
	}
	stopFeed, err := startPurchaseFeed(c, sc.Purchases, dj.fleet, e, srv.RegisterMetrics)
	if err != nil {
		stopJobs()
		stopServe()
		<-served
		e.Close()
		dj.j.Close()
		return err
	}
	if c.cfg.JSON {
		// One line, so a supervisor (or a test) can read it as it comes.
		json.NewEncoder(c.io.out).Encode(map[string]any{"listening": ln.Addr().String(), "ready": true, "version": e.Applied()})
	}
	serr := <-served
	stopFeed()
	stopJobs()
	c.logf("stopped accepting requests; closing the engine and flushing the journal")
	cerr := e.Close()
	jerr := dj.j.Close()
	if serr != nil {
		return serr
	}
	if cerr != nil {
		return cerr
	}
	if jerr != nil {
		return fmt.Errorf("close journal: %w", jerr)
	}
	c.logf("shut down cleanly")
	return nil
}

// instanceTTL is how long an instance's address outlives its last renewal
// in the fleet's directory.
const instanceTTL = 30 * time.Second

// newInstanceID names this run of the server in the fleet (job ids start
// with it). A restarted server is a new instance: its jobs are gone.
func newInstanceID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// advertiseURL is where the other instances reach this one: as configured,
// else the address bound when listening on an IP, else this host's name.
func advertiseURL(sc config.Server, bound net.Addr) string {
	if sc.AdvertiseURL != "" {
		return sc.AdvertiseURL
	}
	host, _, _ := net.SplitHostPort(sc.Listen)
	_, port, _ := net.SplitHostPort(bound.String())
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		return "http://" + net.JoinHostPort(host, port)
	}
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "localhost"
	}
	return "http://" + net.JoinHostPort(name, port)
}
