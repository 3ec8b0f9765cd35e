package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// PurchaseStream is `ingest.purchases.stream`: serve consumes purchase
// events from this Redis stream with a consumer group, stores them
// (idempotent by order id) and acknowledges each message only after the
// journal acknowledged its event. Messages that cannot be read go to the
// dead-letter stream with a reason, then are acknowledged.
type PurchaseStream struct {
	Stream     string // ingest.purchases.stream (HUSH_PURCHASES_STREAM); empty: no consumer
	Group      string // ingest.purchases.group, default "hush" (one group per fleet: each message is stored once)
	Consumer   string // ingest.purchases.consumer, default hostname-pid (unique per instance)
	DeadLetter string // ingest.purchases.dead_letter, default "<stream>:rejected"
	Currency   string // ingest.purchases.currency, default USD: events naming another are rejected
	Batch      int    // ingest.purchases.batch: messages read (and stored in one append) at once, default 500
}

// DefaultPurchaseGroup is the consumer group when none is configured.
const DefaultPurchaseGroup = "hush"

// Enabled reports whether serve consumes a purchase stream.
func (p *PurchaseStream) Enabled() bool { return p.Stream != "" }

// Validate fills the defaults and checks the settings; redis says whether
// a Redis deployment is configured (the stream lives there).
func (p *PurchaseStream) Validate(redis bool) error {
	if !p.Enabled() {
		for _, f := range []struct{ v, key string }{{p.Group, "group"}, {p.Consumer, "consumer"}, {p.DeadLetter, "dead_letter"}} {
			if f.v != "" {
				return fmt.Errorf("%w: ingest.purchases.%s is set but ingest.purchases.stream is not", ErrInvalid, f.key)
			}
		}
		return nil
	}
	if !redis {
		return fmt.Errorf("%w: ingest.purchases.stream %q needs a Redis deployment (--redis, --redis-sentinel or --redis-cluster)", ErrInvalid, p.Stream)
	}
	for _, f := range []struct {
		v   *string
		key string
	}{{&p.Stream, "stream"}, {&p.Group, "group"}, {&p.Consumer, "consumer"}, {&p.DeadLetter, "dead_letter"}} {
		*f.v = strings.TrimSpace(*f.v)
		if strings.ContainsAny(*f.v, " \t\r\n") {
			return fmt.Errorf("%w: ingest.purchases.%s %q: no spaces", ErrInvalid, f.key, *f.v)
		}
	}
	if p.Group == "" {
		p.Group = DefaultPurchaseGroup
	}
	if p.Consumer == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "hush"
		}
		p.Consumer = host + "-" + strconv.Itoa(os.Getpid())
	}
	if p.DeadLetter == "" {
		p.DeadLetter = p.Stream + ":rejected"
	}
	if p.DeadLetter == p.Stream {
		return fmt.Errorf("%w: ingest.purchases.dead_letter %q is the stream itself: rejected messages would be read again", ErrInvalid, p.DeadLetter)
	}
	if p.Currency == "" {
		p.Currency = "USD"
	}
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	if len(p.Currency) != 3 {
		return fmt.Errorf("%w: ingest.purchases.currency %q: want an ISO 4217 code such as USD", ErrInvalid, p.Currency)
	}
	if p.Batch == 0 {
		p.Batch = 500
	}
	if p.Batch < 1 || p.Batch > 100_000 {
		return fmt.Errorf("%w: ingest.purchases.batch %d: want 1..100000", ErrInvalid, p.Batch)
	}
	return nil
}

func (p *PurchaseStream) fromEnv(lookup func(string) (string, bool)) error {
	for k, dst := range map[string]*string{
		"HUSH_PURCHASES_STREAM": &p.Stream, "HUSH_PURCHASES_GROUP": &p.Group, "HUSH_PURCHASES_CONSUMER": &p.Consumer,
		"HUSH_PURCHASES_DEAD_LETTER": &p.DeadLetter, "HUSH_PURCHASES_CURRENCY": &p.Currency,
	} {
		if v, ok := lookup(k); ok && v != "" {
			*dst = v
		}
	}
	if v, ok := lookup("HUSH_PURCHASES_BATCH"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%w: HUSH_PURCHASES_BATCH=%q: want a whole number", ErrInvalid, v)
		}
		p.Batch = n
	}
	return nil
}
