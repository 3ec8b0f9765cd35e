package purchasefeed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/rfm"
)

// Message is one stream entry: its id and its fields.
type Message struct {
	ID     string
	Fields map[string]string
}

// Source is the consumer side of a stream with a consumer group
// (journal/redisstream's GroupReader, adapted by cmd/hush). Read returns
// this consumer's pending messages first (re-delivery after a crash),
// then new ones.
type Source interface {
	Read(ctx context.Context, count int, block time.Duration) ([]Message, error)
	Ack(ctx context.Context, ids ...string) error
	DeadLetter(ctx context.Context, m Message, reason string) error
}

// Claimer is a Source that can take over messages other consumers of the
// group read but did not acknowledge for minIdle: a consumer that crashed
// and came back under another name (hostname-pid), or never came back.
// Taking over a live but slow consumer's messages is harmless: the order
// ids make the second store a no-op.
type Claimer interface {
	Claim(ctx context.Context, minIdle time.Duration, count int) ([]Message, error)
}

// Store is where events go: the engine.
type Store interface {
	AppendPurchases(ctx context.Context, b engine.PurchaseBatch) (engine.PurchaseOutcome, error)
}

// Options configure a Feed.
type Options struct {
	Stream   string // for the batch's source name in the journal
	Currency string // ISO 4217; events naming another are rejected
	Batch    int    // messages per read (and per journal append)
	// Block is how long a read waits for new messages.
	Block time.Duration
	// Retry is the first pause after a failed round trip; it doubles up
	// to MaxRetry.
	Retry, MaxRetry time.Duration
	// ClaimIdle: messages pending with another consumer this long are
	// taken over (when the Source is a Claimer), checked every
	// ClaimEvery and at start.
	ClaimIdle, ClaimEvery time.Duration
	Logf                  func(format string, args ...any)
	Now                   func() time.Time
}

// Stats are the feed's counters (metrics).
type Stats struct {
	Consumed   atomic.Int64 // messages whose event was stored (new or duplicate), then acknowledged
	Duplicates atomic.Int64 // of those, orders already stored (re-delivery, or sent twice)
	Rejected   atomic.Int64 // messages sent to the dead-letter stream
	Errors     atomic.Int64 // failed rounds (stream or journal unreachable); retried
	Claimed    atomic.Int64 // messages taken over from other consumers (crashed instances)
	// LastID is the newest acknowledged message's id; LagMillis is how old
	// it was (by the stream id's time) when it was acknowledged.
	LastID    atomic.Pointer[string]
	LagMillis atomic.Int64
}

// Feed moves messages from a Source into a Store.
type Feed struct {
	src    Source
	store  Store
	opts   Options
	parser rfm.RowParser
	stats  Stats
}

// New builds a feed; Run runs it.
func New(src Source, store Store, o Options) (*Feed, error) {
	if src == nil || store == nil {
		return nil, errors.New("purchasefeed: Source and Store are required")
	}
	o.Currency = strings.ToUpper(strings.TrimSpace(o.Currency))
	if len(o.Currency) != 3 {
		return nil, fmt.Errorf("purchasefeed: currency %q: want an ISO 4217 code", o.Currency)
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Block <= 0 {
		o.Block = 2 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = 100 * time.Millisecond
	}
	if o.MaxRetry < o.Retry {
		o.MaxRetry = 5 * time.Second
	}
	if o.ClaimIdle <= 0 {
		o.ClaimIdle = time.Minute
	}
	if o.ClaimEvery <= 0 {
		o.ClaimEvery = 30 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	exp := rfm.CurrencyExponent(o.Currency)
	p := rfm.RowParser{Cols: rfm.Columns{Customer: 0, Date: 1, Amount: 2, Order: 3, Currency: 4, Return: 5},
		Dates: rfm.DateAuto, Amounts: rfm.AmountFormat{Exponent: exp}, Currency: o.Currency}
	return &Feed{src: src, store: store, opts: o, parser: p}, nil
}

// Stats returns the live counters.
func (f *Feed) Stats() *Stats { return &f.stats }

// Run consumes until ctx ends. Failed round trips (Redis or the journal
// unreachable) are retried with backoff: nothing is acknowledged that was
// not stored, so nothing is lost meanwhile.
func (f *Feed) Run(ctx context.Context) error {
	pause := f.opts.Retry
	var lastClaim time.Time
	for ctx.Err() == nil {
		var err error
		if c, ok := f.src.(Claimer); ok && time.Since(lastClaim) >= f.opts.ClaimEvery {
			var n int
			n, err = f.claim(ctx, c)
			if err == nil && n < f.opts.Batch {
				lastClaim = time.Now()
			}
		} else {
			err = f.Step(ctx)
		}
		if err == nil {
			pause = f.opts.Retry
			continue
		}
		if ctx.Err() != nil || errors.Is(err, engine.ErrClosed) {
			break
		}
		f.stats.Errors.Add(1)
		f.opts.Logf("purchase stream %s: %v (retrying in %s; unacknowledged messages are delivered again)", f.opts.Stream, err, pause)
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, f.opts.MaxRetry)
	}
	return nil
}

// Step reads one batch and handles it: rejected messages to the dead-letter
// stream, the rest stored in one journal append, then all acknowledged.
// An error means the batch (or part of it) stays pending, to be handled
// again by the next Step.
func (f *Feed) Step(ctx context.Context) error {
	msgs, err := f.src.Read(ctx, f.opts.Batch, f.opts.Block)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return f.handle(ctx, msgs)
}

// claim takes over one batch of other consumers' idle messages and
// handles it; it returns how many it took.
func (f *Feed) claim(ctx context.Context, c Claimer) (int, error) {
	msgs, err := c.Claim(ctx, f.opts.ClaimIdle, f.opts.Batch)
	if err != nil {
		return 0, fmt.Errorf("claim idle messages: %w", err)
	}
	if len(msgs) > 0 {
		f.opts.Logf("purchase stream %s: took over %d messages another consumer read but did not acknowledge for %s", f.opts.Stream, len(msgs), f.opts.ClaimIdle)
		f.stats.Claimed.Add(int64(len(msgs)))
	}
	return len(msgs), f.handle(ctx, msgs)
}

// handle stores and acknowledges one batch of messages.
func (f *Feed) handle(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	var err error
	events := make([]rfm.Event, 0, len(msgs))
	stored := make([]Message, 0, len(msgs))
	var rejected []rejection
	for _, m := range msgs {
		var ev rfm.Event
		if m.Fields == nil {
			// Pending, but deleted from the stream (trimmed): there is
			// nothing to store; the dead-letter entry says what happened.
			rejected = append(rejected, rejection{m, "deleted_from_stream: the message was removed from the stream before it was stored"})
			continue
		}
		if err := f.Parse(m, &ev); err != nil {
			rejected = append(rejected, rejection{m, err.Error()})
			continue
		}
		if ev.CustomerName != nil {
			ev.CustomerName = []byte(string(ev.CustomerName))
		}
		events = append(events, ev)
		stored = append(stored, m)
	}
	var out engine.PurchaseOutcome
	if len(events) > 0 {
		out, err = f.store.AppendPurchases(ctx, engine.PurchaseBatch{Source: "stream " + f.opts.Stream, Currency: f.opts.Currency, Events: events})
		switch {
		case err == nil:
		case errors.Is(err, engine.ErrCurrency):
			// Deterministic: the stored purchases are in another currency.
			// Sending the batch again cannot succeed.
			for _, m := range stored {
				rejected = append(rejected, rejection{m, "wrong_currency: " + err.Error()})
			}
			stored = nil
		default:
			// Not acknowledged (maybe written: the engine counts a re-sent
			// order once). The messages stay pending.
			return fmt.Errorf("store %d events: %w", len(events), err)
		}
	}
	for _, r := range rejected {
		if err := f.src.DeadLetter(ctx, r.m, r.reason); err != nil {
			return fmt.Errorf("dead-letter message %s: %w", r.m.ID, err)
		}
	}
	ids := make([]string, 0, len(msgs))
	for _, m := range stored {
		ids = append(ids, m.ID)
	}
	for _, r := range rejected {
		ids = append(ids, r.m.ID)
	}
	if err := f.src.Ack(ctx, ids...); err != nil {
		return fmt.Errorf("acknowledge %d messages (stored; they will be delivered again and counted once): %w", len(ids), err)
	}
	f.stats.Consumed.Add(int64(len(stored)))
	if len(stored) > 0 {
		f.stats.Duplicates.Add(int64(out.Duplicates))
	}
	f.stats.Rejected.Add(int64(len(rejected)))
	last := msgs[len(msgs)-1].ID
	f.stats.LastID.Store(&last)
	if ms, ok := idMillis(last); ok {
		f.stats.LagMillis.Store(max(0, f.opts.Now().UnixMilli()-ms))
	}
	return nil
}

type rejection struct {
	m      Message
	reason string
}

// Field names of a purchase message. "time" is accepted for "date".
var fieldNames = [...]string{"customer", "date", "amount", "order", "currency", "return"}

// fieldsRow is a message's fields in the parser's column order.
type fieldsRow struct{ f [6][]byte }

func (r *fieldsRow) NumFields() int     { return len(r.f) }
func (r *fieldsRow) Field(i int) []byte { return r.f[i] }

// Parse reads a message into an event, with the validation of purchase
// files: required customer, date, amount and order (the order id is what
// makes re-delivery harmless); optional currency (must be the configured
// one) and return flag.
func (f *Feed) Parse(m Message, ev *rfm.Event) error {
	var row fieldsRow
	p := f.parser
	for i, name := range fieldNames {
		v, ok := m.Fields[name]
		if !ok && name == "date" {
			v, ok = m.Fields["time"]
		}
		if !ok {
			switch name {
			case "currency":
				p.Cols.Currency = -1
				continue
			case "return":
				p.Cols.Return = -1
				continue
			case "order":
				return &rfm.RejectError{Reason: rfm.ReasonMissingOrder, Field: "order", Detail: "the message has no order field (order ids make re-delivery harmless)"}
			case "date":
				return &rfm.RejectError{Reason: rfm.ReasonMissingField, Field: "date", Detail: "the message has no date (or time) field"}
			}
			return &rfm.RejectError{Reason: rfm.ReasonMissingField, Field: name, Detail: "the message has no " + name + " field"}
		}
		row.f[i] = []byte(v)
	}
	return rfm.ParseRow(&p, &row, ev)
}

// idMillis is the time part of a Redis stream id ("1700000000000-0").
func idMillis(id string) (int64, bool) {
	ms, _, _ := strings.Cut(id, "-")
	v, err := strconv.ParseInt(ms, 10, 64)
	return v, err == nil
}
