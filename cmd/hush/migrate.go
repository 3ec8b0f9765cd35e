package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/redisstream"
)

// movedFile marks a data dir whose state moved to a fleet's Redis log:
// opened again embedded, its writes would never reach the fleet, so it
// refuses to open and says where the state went.
const movedFile = "MOVED-TO-REDIS"

// migrateToRedis moves an embedded data dir's state into an empty Redis
// namespace: the newest state (snapshot plus the log after it) becomes
// the namespace's first snapshot at the same log position, the data
// dir's secret goes to --secret, and the data dir is marked moved.
func migrateToRedis(ctx context.Context, c *cli) error {
	target := c.cfg.Redis
	if !target.Enabled() {
		return userErr("journal migrate: name the Redis to move to (--redis, --redis-sentinel or --redis-cluster) and --secret, where the fleet's secret file goes")
	}
	dataSecret := filepath.Join(c.cfg.DataDir, secretFile)
	src, err := os.ReadFile(dataSecret)
	if err != nil {
		return &userError{fmt.Errorf("journal migrate: the data dir's secret: %w", err)}
	}
	if dst, err := os.ReadFile(c.cfg.SecretFile); err == nil && !bytes.Equal(bytes.TrimSpace(dst), bytes.TrimSpace(src)) {
		return userErr("journal migrate: --secret %s exists and is not the secret of %s; give a new path (it is created) or a copy of %s", c.cfg.SecretFile, c.cfg.DataDir, dataSecret)
	}

	// The source: the data dir, opened embedded (locked: no server may run on it).
	c.cfg.Redis = config.Redis{}
	e, closeEngine, err := c.openEngine(ctx)
	c.cfg.Redis = target
	if err != nil {
		return err
	}
	defer closeEngine()

	openCtx, cancel := context.WithTimeout(ctx, redisOpenTimeout)
	defer cancel()
	j, err := redisstream.Open(openCtx, redisOptions(target, c.logf))
	if err != nil {
		return &userError{err}
	}
	defer j.Close()
	var at journal.Seq
	err = e.Export(ctx, func(seq journal.Seq, write func(io.Writer) error) error {
		at = seq
		return j.Seed(ctx, seq, write)
	})
	if errors.Is(err, redisstream.ErrNotEmpty) {
		return &userError{fmt.Errorf("journal migrate: %w; a data dir moves only into an empty namespace (--redis-namespace)", err)}
	}
	if err != nil {
		return fmt.Errorf("journal migrate to %s: %w", j.Describe(), err)
	}
	if _, err := os.Stat(c.cfg.SecretFile); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(c.cfg.SecretFile, src, 0o600); err != nil {
			return fmt.Errorf("journal migrate: the state is in Redis, but writing --secret %s failed (copy %s there by hand): %w", c.cfg.SecretFile, dataSecret, err)
		}
	}
	note := fmt.Sprintf("The state of this data dir moved to %s at record %d.\nRun hush with --redis (and --secret) from now on; this copy is no longer updated.\n", j.Describe(), at)
	if err := os.WriteFile(filepath.Join(c.cfg.DataDir, movedFile), []byte(note), 0o600); err != nil {
		return fmt.Errorf("journal migrate: the state is in Redis, but marking %s as moved failed (do not serve it any more): %w", c.cfg.DataDir, err)
	}
	if c.cfg.JSON {
		return c.printJSON(map[string]any{"moved_to": j.Describe(), "record": at, "secret": c.cfg.SecretFile})
	}
	fmt.Fprintf(c.io.out, "moved the state at record %d to %s\nsecret: %s (give every instance this file with --secret)\n%s is marked moved and no longer opens embedded\n", at, j.Describe(), c.cfg.SecretFile, c.cfg.DataDir)
	return nil
}

// checkNotMoved refuses a data dir whose state moved to Redis.
func checkNotMoved(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, movedFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	return &userError{fmt.Errorf("data dir %s: %s", dir, bytes.TrimSpace(b))}
}
