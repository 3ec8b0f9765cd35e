package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/wal"
)

// secretFile holds the deployment's hashing secret (hex), mode 0600. It is
// created at first start and never printed or logged.
const secretFile = "secret.key"

// openEngine locks the data dir, opens its journal and recovers the state.
// The returned close function releases everything.
func (c *cli) openEngine(ctx context.Context) (*engine.Engine, func() error, error) {
	dj, err := c.openJournal()
	if err != nil {
		return nil, nil, err
	}
	e, err := c.recoverEngine(ctx, dj)
	if err != nil {
		return nil, nil, err
	}
	return e, func() error {
		err := e.Close()
		return errors.Join(err, dj.j.Close())
	}, nil
}

// dataJournal is an opened state: the journal (a locked data dir's WAL, or
// the fleet's log in Redis) and the hashing secret.
type dataJournal struct {
	j      journal.Journal
	secret []byte
	hasher *contactkey.Hasher
	// where says where the state is, for messages ("data dir X",
	// "redis single ...").
	where string
	// wal is the embedded journal (nil in Redis mode); fleet is the Redis
	// one (nil in embedded mode).
	wal   *wal.WAL
	fleet *redisJournal
}

// syncStats are the fsync counters for serve's metrics (zero in Redis
// mode: durability is Redis's).
func (dj *dataJournal) syncStats() (uint64, uint64) {
	if dj.wal == nil {
		return 0, 0
	}
	st := dj.wal.Stats()
	return st.Syncs, st.SyncNanos
}

// openJournal opens the journal and the secret (fast: recovery of the
// state is recoverEngine's): the data dir's, or with --redis the fleet's.
func (c *cli) openJournal() (*dataJournal, error) {
	if c.cfg.Redis.Enabled() {
		return c.openRedisJournal()
	}
	dir := c.cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &userError{fmt.Errorf("data dir %s: %w", dir, err)}
	}
	if err := checkWritable(dir); err != nil {
		return nil, &userError{err}
	}
	if err := checkNotMoved(dir); err != nil {
		return nil, err
	}
	j, err := wal.Open(dir, wal.Options{SegmentSize: c.cfg.SegmentBytes, Logger: func(s string) { c.logf("%s", s) }, OnSync: c.onSync, MapSnapshots: !c.longLived})
	if err != nil {
		if errors.Is(err, wal.ErrLocked) {
			return nil, &userError{err}
		}
		return nil, fmt.Errorf("open journal in %s: %w", dir, err)
	}
	secret, err := loadOrCreateSecret(filepath.Join(dir, secretFile), j.LastSeq() == 0)
	if err != nil {
		j.Close()
		return nil, err
	}
	h, err := contactkey.NewHasher(secret)
	if err != nil {
		j.Close()
		return nil, err
	}
	return &dataJournal{j: j, wal: j, secret: secret, hasher: h, where: "data dir " + dir}, nil
}

// recoverEngine rebuilds the state from the journal. On failure it closes
// the journal.
func (c *cli) recoverEngine(ctx context.Context, dj *dataJournal) (*engine.Engine, error) {
	e, err := engine.Open(ctx, dj.j, engine.Options{
		Hasher:        dj.hasher,
		Now:           c.cfg.Now,
		SnapshotBytes: c.cfg.SnapshotBytes,
		Actor:         c.cfg.Actor,
		Tool:          "hush " + version,
		Logf:          c.logf,
		MaxStaleness:  c.cfg.MaxStaleness,
	})
	if err != nil {
		dj.j.Close()
		if dj.fleet != nil && errors.Is(err, engine.ErrSecretMismatch) {
			return nil, &userError{fmt.Errorf("--secret %s is not the secret the fleet's log in %s was written with (copy the file from another instance): %w", c.cfg.SecretFile, dj.where, err)}
		}
		return nil, fmt.Errorf("recover state from %s: %w", dj.where, err)
	}
	return e, nil
}

func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".writable-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// loadOrCreateSecret reads the secret, creating it only for a new journal:
// a missing secret beside an existing journal means the data dir was
// tampered with (or, in Redis mode, the wrong --secret was given), and a
// new secret would silently miss every hashed entry.
func loadOrCreateSecret(path string, newJournal bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		secret, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(secret) < 32 {
			return nil, fmt.Errorf("secret file %s is damaged (want 64 hex digits)", path)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, &userError{fmt.Errorf("secret file %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())}
		}
		return secret, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if !newJournal {
		return nil, fmt.Errorf("secret file %s is missing but the journal has records: restore it from backup (in Redis mode: copy it from another instance of the fleet)", path)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate secret: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".secret-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	cherr := f.Chmod(0o600)
	_, werr := f.WriteString(hex.EncodeToString(secret) + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(cherr, werr, serr, cerr); err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	// Link, not rename: two processes creating the secret at once (two
	// instances starting on an empty log) must end with one secret, and
	// the loser reads the winner's.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadOrCreateSecret(path, false)
		}
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return secret, nil
}
