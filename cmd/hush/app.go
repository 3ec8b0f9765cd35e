package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/suppression"
)

// Exit codes (documented in README).
const (
	exitOK         = 0
	exitUser       = 1
	exitInternal   = 2
	exitSuppressed = 3
)

// version is the tool version written into manifests; set with -ldflags.
var version = "0.1.0-dev"

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "build a small synthetic world (incl. the Shanghai case), scrub it, print the waterfall", runDemo},
		{"lists", "create|ls|show|rm suppression and consent lists", runLists},
		{"import", "load a list file (CSV or national registry format) into a list, all or nothing", runImport},
		{"optout", "add|remove a subject's own opt-out (remove = opt back in, evidence required)", runOptOut},
		{"check", "may this subject be contacted on this channel for this purpose? exit 0 yes, 3 no", runCheck},
		{"scrub", "scrub a campaign file: clean, suppressed and rejected rows plus a proof manifest", runScrub},
		{"journal", "verify|snapshot the journal; migrate a data dir into Redis", runJournal},
		{"serve", "run the HTTP API (checks, opt-outs, lists, imports, scrubs, SMS and one-click unsubscribe)", runServe},
		{"keys", "create|ls|revoke API keys (roles: agent, marketer, analyst, privacy_officer, admin)", runKeys},
		{"accesslog", "print (and verify) the access log of reads of personal data", runAccessLog},
		{"token", "add RFC 8058 one-click unsubscribe links to a campaign's send file", runToken},
		{"ingest", "ingest purchases FILE: store purchase events (CSV or NDJSON, .gz), idempotent by order id", runIngest},
		{"segment", "define|count|export|ls|rm customer segments (expressions over RFM segments, lists and attributes, or uploaded lists)", runSegment},
		{"campaign", "create|ls|show|dry-run|run|rm campaigns: audience minus consent, suppression, caps and calling hours, with proof", runCampaign},
		{"report", "deadlines: opt-outs a scheduled campaign has not honoured yet, against the service level", runReport},
		{"rfm", "RFM scores, segments and group reports as of a date; rfm rules check|report|lapsed|migration", runRFM},
		{"version", "print the version", func(_ context.Context, c *cli, _ []string) error {
			fmt.Fprintf(c.io.out, "hush %s\n", version)
			return nil
		}},
	}
}

// cli carries what every command shares: configuration and stdio.
type cli struct {
	io    stdio
	cfg   config.Config
	quiet bool
	// server and apiKey (--server, --key) send the command to a running
	// hush server instead of opening the data dir.
	server, apiKey string
	// derivedURL/derivedHook: serve's public and SMS webhook URLs were not
	// configured, so they follow the address actually bound.
	derivedURL, derivedHook bool
	// onSync, if set, is told the duration of every journal fsync (serve's
	// latency histogram).
	onSync func(time.Duration)
	// longLived: the process serves for long (serve), so the journal
	// streams its snapshots instead of mapping them (a mapping is kept
	// for the life of the process, and holds the file's disk space after
	// the snapshot is pruned).
	longLived bool
}

// userError marks errors that are the user's to fix (exit 1).
type userError struct{ err error }

func (u *userError) Error() string { return u.err.Error() }
func (u *userError) Unwrap() error { return u.err }

func userErr(format string, args ...any) error {
	return &userError{fmt.Errorf(format, args...)}
}

// suppressedError makes `hush check` exit 3 after printing its answer.
type suppressedError struct{}

func (suppressedError) Error() string { return "suppressed" }

func run(ctx context.Context, args []string, io stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(io.out)
		if len(args) == 0 {
			return exitUser
		}
		return exitOK
	}
	name := args[0]
	for _, cmd := range commands() {
		if cmd.name != name {
			continue
		}
		c := &cli{io: io, cfg: config.Defaults()}
		if err := c.cfg.FromEnv(nil); err != nil {
			fmt.Fprintf(io.err, "hush %s: %v\n", name, err)
			return exitUser
		}
		err := cmd.run(ctx, c, args[1:])
		return c.exit(name, err)
	}
	fmt.Fprintf(io.err, "hush: unknown command %q\n\n", name)
	usage(io.err)
	return exitUser
}

func (c *cli) exit(name string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var s suppressedError
	if errors.As(err, &s) {
		return exitSuppressed
	}
	fmt.Fprintf(c.io.err, "hush %s: %v\n", name, err)
	if isUserError(err) {
		return exitUser
	}
	return exitInternal
}

// isUserError decides the exit code: mistakes in what was asked (flags,
// names, inputs, the data dir's location) are the user's; the rest is ours.
func isUserError(err error) bool {
	var ue *userError
	var ke *contactkey.KeyError
	var re *csvio.RowError
	var pe *fs.PathError
	switch {
	case errors.As(err, &ue), errors.As(err, &ke), errors.As(err, &re), errors.As(err, &pe):
		return true
	}
	if isRFMUserError(err) {
		return true
	}
	for _, target := range []error{
		config.ErrInvalid, contactkey.ErrUnknownRegion, contactkey.ErrInvalidKey,
		suppression.ErrUnknownList, suppression.ErrListExists, suppression.ErrUnknownChannel,
		suppression.ErrUnknownPurpose, suppression.ErrEvidenceRequired, suppression.ErrInvalidSpec,
		suppression.ErrStickyList, suppression.ErrKindMismatch, suppression.ErrInvalidPurpose,
		suppression.ErrUnknownMode, suppression.ErrUnknownListType, suppression.ErrInvalidScope,
		wal.ErrLocked, csvio.ErrMissingColumn, csvio.ErrEmptyFile, fs.ErrNotExist, fs.ErrPermission,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "hush %s — campaign suppression you can prove\n\nusage: hush COMMAND [flags]\n\ncommands:\n", version)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, "\nevery command takes --data DIR (default ./hush-data), --region CC (default US), --json\n")
	fmt.Fprintf(w, "or, on a fleet's shared state, --redis URL | --redis-sentinel MASTER@host:port,... | --redis-cluster host:port,... with --secret FILE\n")
	fmt.Fprintf(w, "check, optout, lists, import, scrub, keys, accesslog and token also take --server URL --key KEY\n")
	fmt.Fprintf(w, "exit codes: 0 ok, 1 user error, 2 internal error, 3 suppressed (check)\n")
}

// flags builds a flag set with the common flags every command takes.
func (c *cli) flags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("hush "+name, flag.ContinueOnError)
	fs.SetOutput(c.io.err)
	fs.StringVar(&c.cfg.DataDir, "data", c.cfg.DataDir, "data directory (env HUSH_DATA)")
	fs.StringVar(&c.cfg.Region, "region", c.cfg.Region, "default region for phone numbers without a country code (env HUSH_REGION)")
	fs.BoolVar(&c.cfg.JSON, "json", c.cfg.JSON, "print machine-readable JSON")
	fs.StringVar(&c.cfg.Actor, "actor", c.cfg.Actor, "who is recorded in the journal (env HUSH_ACTOR; default user@host)")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress output")
	fs.StringVar(&c.server, "server", os.Getenv("HUSH_SERVER"), "send the command to a running hush server at this URL instead of opening --data (env HUSH_SERVER)")
	fs.StringVar(&c.apiKey, "key", os.Getenv("HUSH_KEY"), "API key for --server (env HUSH_KEY)")
	c.registerRedisFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(c.io.err, "usage: hush %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may come before or after positional arguments,
// then validates the configuration.
func (c *cli) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := c.parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := c.cfg.Validate(); err != nil {
		return nil, err
	}
	if c.server != "" && c.cfg.Redis.Enabled() {
		return nil, userErr("--server %s and %s: give one (the server already works on its own state)", c.server, c.cfg.Redis.Describe())
	}
	if c.cfg.Actor == "" {
		c.cfg.Actor = defaultActor()
	}
	return pos, nil
}

// parseFlags is parse without validation (serve validates after its
// config file).
func (c *cli) parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &userError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return pos, nil
}

func defaultActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

func (c *cli) normalizer() (*contactkey.Normalizer, error) {
	n, err := contactkey.NewNormalizer(c.cfg.Region)
	if err != nil {
		return nil, &userError{fmt.Errorf("--region: %w", err)}
	}
	return n, nil
}

// printJSON writes v as indented JSON on stdout.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.io.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (c *cli) logf(format string, args ...any) {
	if c.quiet {
		return
	}
	fmt.Fprintf(c.io.err, "hush: "+format+"\n", args...)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
