package redisstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/journal"
)

// ErrNotEmpty: Seed was asked to start a log that already holds records
// or snapshots.
var ErrNotEmpty = errors.New("the Redis log is not empty")

// seedScript starts an empty log at position seq: the next record is
// seq+1 and nothing before it is in the stream, exactly as after a trim
// up to a snapshot at seq. Run again with the same seq (a seed that
// stopped before its snapshot was published) it does nothing more.
// KEYS: seq counter, first-seq key, log, snapshot index. ARGV: seq.
var seedScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('ZCARD', KEYS[4]) > 0 then
  return redis.error_reply('HUSHNOTEMPTY the log ' .. KEYS[3] .. ' or its snapshots exist')
end
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] and cur ~= '0' then
  return redis.error_reply('HUSHNOTEMPTY the sequence counter ' .. KEYS[1] .. ' is at ' .. cur)
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], string.format('%.0f', tonumber(ARGV[1]) + 1))
return 1
`)

// Seed starts this empty namespace from a state that covers records
// 1..seq (an embedded data dir moving to Redis): it positions the log
// after seq and stores write's bytes as the snapshot at seq, which every
// instance then bootstraps from. It fails with ErrNotEmpty if the
// namespace holds records or snapshots.
func (j *Journal) Seed(ctx context.Context, seq journal.Seq, write func(w io.Writer) error) error {
	if seq == 0 {
		return errors.New("redisstream: seed: nothing to seed (state at position 0)")
	}
	err := seedScript.Run(ctx, j.c, []string{j.keys.seq, j.keys.first, j.keys.log, j.keys.snaps}, uint64(seq)).Err()
	if err != nil {
		if strings.HasPrefix(err.Error(), "HUSHNOTEMPTY") {
			return fmt.Errorf("redisstream: seed %s: %w (%s)", j.desc, ErrNotEmpty, strings.TrimPrefix(err.Error(), "HUSHNOTEMPTY "))
		}
		return fmt.Errorf("redisstream: seed %s: %w", j.desc, err)
	}
	if _, _, err := j.refresh(ctx); err != nil {
		return err
	}
	return j.WriteSnapshot(seq, write)
}
