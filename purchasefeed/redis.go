package purchasefeed

import (
	"context"
	"time"

	"github.com/hushcrm/hush/journal/redisstream"
)

// FromGroup makes a Redis consumer group reader a feed's Source (and
// Claimer); rejected messages go to the stream deadLetter.
func FromGroup(g *redisstream.GroupReader, deadLetter string) Source {
	return groupSource{g: g, dead: deadLetter}
}

type groupSource struct {
	g    *redisstream.GroupReader
	dead string
}

func convert(msgs []redisstream.Message) []Message {
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		out[i] = Message(m)
	}
	return out
}

func (s groupSource) Read(ctx context.Context, count int, block time.Duration) ([]Message, error) {
	msgs, err := s.g.Read(ctx, count, block)
	return convert(msgs), err
}

func (s groupSource) Claim(ctx context.Context, minIdle time.Duration, count int) ([]Message, error) {
	msgs, err := s.g.Claim(ctx, minIdle, count)
	return convert(msgs), err
}

func (s groupSource) Ack(ctx context.Context, ids ...string) error { return s.g.Ack(ctx, ids...) }

func (s groupSource) DeadLetter(ctx context.Context, m Message, reason string) error {
	return s.g.DeadLetter(ctx, s.dead, redisstream.Message(m), reason)
}
