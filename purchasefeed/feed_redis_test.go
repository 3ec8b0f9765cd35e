package purchasefeed_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal/redisstream"
	"github.com/hushcrm/hush/purchasefeed"
)

// resp sends one command to the Redis at sock and returns its reply, for
// producing messages and reading the group's state without a client
// library (only journal/redisstream may use go-redis).
func resp(t *testing.T, sock string, args ...string) any {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	v, err := readReply(bufio.NewReader(c))
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, errors.New(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func xadd(t *testing.T, sock, stream string, fields ...string) string {
	t.Helper()
	return resp(t, sock, append([]string{"XADD", stream, "*"}, fields...)...).(string)
}

// pending is how many messages the group has delivered but not seen
// acknowledged.
func pending(t *testing.T, sock, stream, group string) int64 {
	t.Helper()
	v := resp(t, sock, "XPENDING", stream, group).([]any)
	return v[0].(int64)
}

type world struct {
	sock string
	j    *redisstream.Journal
	e    *engine.Engine
}

func newWorld(t *testing.T, sock string) *world {
	t.Helper()
	ctx := context.Background()
	j, err := redisstream.Open(ctx, redisstream.Options{URL: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	h, err := contactkey.NewHasher([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(ctx, j, engine.Options{Hasher: h, Actor: "test", Tool: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(); j.Close() })
	return &world{sock: sock, j: j, e: e}
}

func (w *world) feed(t *testing.T, consumer string, wrap func(purchasefeed.Source) purchasefeed.Source) *purchasefeed.Feed {
	t.Helper()
	var src purchasefeed.Source = purchasefeed.FromGroup(w.j.GroupReader("orders", "hush", consumer), "orders:rejected")
	if wrap != nil {
		src = wrap(src)
	}
	f, err := purchasefeed.New(src, w.e, purchasefeed.Options{Stream: "orders", Currency: "USD", Batch: 50, Block: 50 * time.Millisecond, ClaimIdle: 10 * time.Millisecond, ClaimEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func storedEvents(t *testing.T, e *engine.Engine) int {
	t.Helper()
	n := 0
	if err := e.ReadPurchases(context.Background(), func(v engine.PurchaseView) error { n = v.Events; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func produce(t *testing.T, sock string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		xadd(t, sock, "orders", "order", fmt.Sprintf("O-%d", i), "customer", strconv.Itoa(1000+i%37),
			"date", "2026-11-30T10:00:00Z", "amount", fmt.Sprintf("%d.50", 1+i%90))
	}
}

// drain steps the feed until the stream has nothing pending or new.
func drain(t *testing.T, f *purchasefeed.Feed, want int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for f.Stats().Consumed.Load()+f.Stats().Rejected.Load() < want {
		if err := f.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumed %d + rejected %d of %d", f.Stats().Consumed.Load(), f.Stats().Rejected.Load(), want)
		}
	}
}

// Events on the stream are stored (counted once each), acknowledged, and
// the bad ones are in the dead-letter stream with their reasons.
func TestFeedConsumesAndDeadLetters(t *testing.T) {
	sock := redistest.Start(t)
	w := newWorld(t, sock)
	produce(t, sock, 0, 300)
	bad := map[string]string{
		xadd(t, sock, "orders", "customer", "1", "date", "2026-11-30", "amount", "3"):                                    "missing_order",
		xadd(t, sock, "orders", "order", "B-2", "customer", "1", "date", "someday", "amount", "3"):                       "bad_date",
		xadd(t, sock, "orders", "order", "B-3", "customer", "1", "date", "2026-11-30", "amount", "3", "currency", "EUR"): "wrong_currency",
		xadd(t, sock, "orders", "order", "B-4", "date", "2026-11-30", "amount", "3"):                                     "missing_field",
	}
	produce(t, sock, 300, 400)
	produce(t, sock, 0, 50) // sent twice: counted once
	f := w.feed(t, "c1", nil)
	drain(t, f, 454)
	if n := storedEvents(t, w.e); n != 400 {
		t.Fatalf("stored %d events, want 400", n)
	}
	st := f.Stats()
	if st.Consumed.Load() != 450 || st.Duplicates.Load() != 50 || st.Rejected.Load() != 4 {
		t.Fatalf("stats consumed %d duplicates %d rejected %d", st.Consumed.Load(), st.Duplicates.Load(), st.Rejected.Load())
	}
	if p := pending(t, sock, "orders", "hush"); p != 0 {
		t.Fatalf("%d messages still pending", p)
	}
	// The dead-letter stream: each bad message with its reason and origin.
	entries := resp(t, sock, "XRANGE", "orders:rejected", "-", "+").([]any)
	if len(entries) != 4 {
		t.Fatalf("%d dead letters, want 4", len(entries))
	}
	for _, e := range entries {
		kv := e.([]any)[1].([]any)
		fields := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			fields[kv[i].(string)] = kv[i+1].(string)
		}
		want, ok := bad[fields["source_id"]]
		if !ok || !strings.HasPrefix(fields["reason"], want) || fields["source_stream"] != "orders" {
			t.Fatalf("dead letter %v: want reason %q", fields, want)
		}
	}
}

// faultySource fails Ack (the journal acknowledged, XACK never happened:
// a crash in between) or the store (a crash before the journal
// acknowledged) on the round it is told to.
type faultySource struct {
	purchasefeed.Source
	failAck atomic.Bool
}

func (s *faultySource) Ack(ctx context.Context, ids ...string) error {
	if s.failAck.Load() {
		return errors.New("crash between the journal's ack and XACK")
	}
	return s.Source.Ack(ctx, ids...)
}

type faultyStore struct {
	*engine.Engine
	fail atomic.Bool
}

func (s *faultyStore) AppendPurchases(ctx context.Context, b engine.PurchaseBatch) (engine.PurchaseOutcome, error) {
	if s.fail.Load() {
		return engine.PurchaseOutcome{}, errors.New("crash before the journal acknowledged")
	}
	return s.Engine.AppendPurchases(ctx, b)
}

// A consumer that dies between the journal's acknowledgement and XACK, or
// before the journal acknowledged, loses nothing and counts nothing twice:
// the next consumer (the same name: pending first; another name: taken
// over once idle) stores every order once.
func TestFeedCrashRedeliversCountedOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		restart  string // consumer name after the crash
		ackCrash bool
	}{
		{"after journal ack, same consumer", "c1", true},
		{"after journal ack, new consumer takes over", "c2", true},
		{"before journal ack, same consumer", "c1", false},
		{"before journal ack, new consumer takes over", "c2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock := redistest.Start(t)
			w := newWorld(t, sock)
			produce(t, sock, 0, 200)
			var fs *faultySource
			f1 := w.feed(t, "c1", func(s purchasefeed.Source) purchasefeed.Source { fs = &faultySource{Source: s}; return fs })
			drain(t, f1, 100) // two batches of 50 go through
			if tc.ackCrash {
				fs.failAck.Store(true)
				if err := f1.Step(context.Background()); err == nil {
					t.Fatal("the injected crash did not happen")
				}
				if n := storedEvents(t, w.e); n != 150 {
					t.Fatalf("stored %d before the crash, want 150 (the batch whose XACK was lost is in the journal)", n)
				}
			} else {
				src := purchasefeed.FromGroup(w.j.GroupReader("orders", "hush", "c1"), "orders:rejected")
				store := &faultyStore{Engine: w.e}
				store.fail.Store(true)
				fc, err := purchasefeed.New(src, store, purchasefeed.Options{Stream: "orders", Currency: "USD", Batch: 50, Block: 50 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				if err := fc.Step(context.Background()); err == nil {
					t.Fatal("the injected crash did not happen")
				}
				if n := storedEvents(t, w.e); n != 100 {
					t.Fatalf("stored %d, want 100", n)
				}
			}
			if p := pending(t, sock, "orders", "hush"); p != 50 {
				t.Fatalf("%d pending after the crash, want 50", p)
			}
			produce(t, sock, 200, 250)
			f2 := w.feed(t, tc.restart, nil)
			time.Sleep(20 * time.Millisecond) // idle past ClaimIdle for the take-over
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- f2.Run(ctx) }()
			deadline := time.Now().Add(20 * time.Second)
			for storedEvents(t, w.e) < 250 || pending(t, sock, "orders", "hush") > 0 {
				if time.Now().After(deadline) {
					cancel()
					t.Fatalf("stored %d of 250, %d pending", storedEvents(t, w.e), pending(t, sock, "orders", "hush"))
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			<-done
			if n := storedEvents(t, w.e); n != 250 {
				t.Fatalf("stored %d events, want every order once (250)", n)
			}
			if tc.ackCrash && f2.Stats().Duplicates.Load() != 50 {
				t.Fatalf("re-delivered batch: %d duplicates, want 50 (stored before the crash, counted once)", f2.Stats().Duplicates.Load())
			}
			if tc.restart == "c2" && f2.Stats().Claimed.Load() != 50 {
				t.Fatalf("took over %d messages, want 50", f2.Stats().Claimed.Load())
			}
		})
	}
}
