package redisstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/journal"
)

// Message is one message of a consumed stream.
type Message struct {
	ID     string
	Fields map[string]string
}

// GroupReader consumes a stream (e.g. purchase events) as one consumer of a
// consumer group. Messages stay pending until acknowledged: a consumer that
// crashes gets its pending messages again when it comes back under the
// same name, and a message it read but did not acknowledge comes back on
// its next Read. Safe for use by one goroutine at a time.
type GroupReader struct {
	j                       *Journal
	stream, group, consumer string
	mu                      sync.Mutex
	created                 bool
	claimCursor             string // Claim's place in the group's pending list (claim.go)
}

// GroupReader returns a reader of stream as consumer of group. The group
// is created (from the start of the stream, creating the stream if need
// be) on the first Read.
func (j *Journal) GroupReader(stream, group, consumer string) *GroupReader {
	return &GroupReader{j: j, stream: stream, group: group, consumer: consumer}
}

// Read returns up to count messages: first this consumer's pending ones
// (delivered before but not acknowledged), without waiting; when there are
// none, new ones, waiting up to block for them (block <= 0: no wait). No
// message within block is (nil, nil). A pending message whose entry was
// deleted from the stream comes back with nil Fields: acknowledge it.
func (g *GroupReader) Read(ctx context.Context, count int, block time.Duration) ([]Message, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	count, err := g.begin(ctx, count)
	if err != nil {
		return nil, err
	}
	msgs, err := g.read(ctx, "0", count, -1)
	if err != nil || len(msgs) > 0 {
		return msgs, err
	}
	if block <= 0 {
		block = -1
	} else if block < time.Millisecond {
		block = time.Millisecond
	}
	return g.read(ctx, ">", count, block)
}

// begin is the start of Read and Claim (g.mu held): it fails on a closed
// journal, makes sure the group exists and returns count, or 100 for
// count <= 0.
func (g *GroupReader) begin(ctx context.Context, count int) (int, error) {
	if g.j.closed.Load() {
		return 0, journal.ErrClosed
	}
	if count <= 0 {
		count = 100
	}
	if err := g.ensureGroup(ctx); err != nil {
		return 0, err
	}
	return count, nil
}

func (g *GroupReader) ensureGroup(ctx context.Context) error {
	if g.created {
		return nil
	}
	err := g.j.c.XGroupCreateMkStream(ctx, g.stream, g.group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("redisstream: create consumer group %s on stream %s (%s): %w", g.group, g.stream, g.j.desc, err)
	}
	g.created = true
	return nil
}

func (g *GroupReader) read(ctx context.Context, id string, count int, block time.Duration) ([]Message, error) {
	for attempt := 0; ; attempt++ {
		res, err := g.j.c.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: g.group, Consumer: g.consumer, Streams: []string{g.stream, id}, Count: int64(count), Block: block,
		}).Result()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		if err != nil && strings.HasPrefix(err.Error(), "NOGROUP") && attempt == 0 {
			// The stream or group was deleted since: create it again.
			g.created = false
			if err := g.ensureGroup(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("redisstream: read stream %s as %s/%s (%s): %w", g.stream, g.group, g.consumer, g.j.desc, err)
		}
		var out []Message
		for _, s := range res {
			out = appendMessages(out, s.Messages)
		}
		return out, nil
	}
}

// appendMessages appends ms to out as Messages; an entry deleted from the
// stream (nil Values) gets nil Fields.
func appendMessages(out []Message, ms []redis.XMessage) []Message {
	for _, m := range ms {
		msg := Message{ID: m.ID}
		if m.Values != nil {
			msg.Fields = make(map[string]string, len(m.Values))
			for k, v := range m.Values {
				msg.Fields[k] = fmt.Sprint(v)
			}
		}
		out = append(out, msg)
	}
	return out
}

// Ack acknowledges messages: they will not be delivered again.
func (g *GroupReader) Ack(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := g.j.c.XAck(ctx, g.stream, g.group, ids...).Err(); err != nil {
		return fmt.Errorf("redisstream: ack %d messages of stream %s group %s (%s): %w", len(ids), g.stream, g.group, g.j.desc, err)
	}
	return nil
}

// DeadLetter adds m's fields to stream, with "reason", "source_stream"
// and "source_id" fields saying why and where from, so a rejected message
// is kept, not dropped. The caller then Acks m.
func (g *GroupReader) DeadLetter(ctx context.Context, stream string, m Message, reason string) error {
	vals := make([]any, 0, 2*len(m.Fields)+6)
	for k, v := range m.Fields {
		switch k {
		case "reason", "source_stream", "source_id":
			k = "orig_" + k // keep the message's own field of that name
		}
		vals = append(vals, k, v)
	}
	vals = append(vals, "reason", reason, "source_stream", g.stream, "source_id", m.ID)
	if err := g.j.c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: vals}).Err(); err != nil {
		return fmt.Errorf("redisstream: dead-letter message %s of %s to %s (%s): %w", m.ID, g.stream, stream, g.j.desc, err)
	}
	return nil
}
