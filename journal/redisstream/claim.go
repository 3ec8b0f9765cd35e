package redisstream

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Claim takes over up to count messages that other consumers of the group
// read but have not acknowledged for at least minIdle — a consumer that
// crashed and came back under another name (hostname-pid), or never came
// back — and returns them as this consumer's: handle and Ack them like
// Read's. Successive calls walk the group's pending list (XAUTOCLAIM's
// cursor); none left is (nil, nil). Entries deleted from the stream are
// dropped from the pending list by Redis (7+) and not returned.
func (g *GroupReader) Claim(ctx context.Context, minIdle time.Duration, count int) ([]Message, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	count, err := g.begin(ctx, count)
	if err != nil {
		return nil, err
	}
	start := g.claimCursor
	if start == "" {
		start = "0-0"
	}
	msgs, next, err := g.j.c.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: g.stream, Group: g.group, Consumer: g.consumer, MinIdle: minIdle, Start: start, Count: int64(count),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstream: claim idle messages of stream %s group %s (%s): %w", g.stream, g.group, g.j.desc, err)
	}
	g.claimCursor = next
	if next == "0-0" {
		g.claimCursor = ""
	}
	return appendMessages(make([]Message, 0, len(msgs)), msgs), nil
}
