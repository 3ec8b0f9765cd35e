package redisstream

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func ids(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// The consumer group reader: creates the group, reads new messages,
// re-delivers what was read but not acknowledged (a crash between read and
// ack), keeps consumers of one group apart, and dead-letters with a reason.
func TestGroupReader(t *testing.T) {
	url := singleURL(t)
	raw := rawClient(t, url)
	ctx := context.Background()
	j := openT(t, Options{URL: url})

	// An empty stream that does not exist yet: no error, nothing, after block.
	g := j.GroupReader("orders", "hush", "node-a")
	start := time.Now()
	if ms, err := g.Read(ctx, 10, 30*time.Millisecond); err != nil || len(ms) != 0 {
		t.Fatalf("Read of a missing stream = %v, %v", ms, err)
	}
	if time.Since(start) < 25*time.Millisecond {
		t.Fatal("Read did not block")
	}
	var added []string
	for i := range 5 {
		id, err := raw.XAdd(ctx, &redis.XAddArgs{Stream: "orders", Values: []any{"order_id", fmt.Sprint("o", i), "amount", "9.99"}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		added = append(added, id)
	}
	ms, err := g.Read(ctx, 3, time.Second)
	if err != nil || !slices.Equal(ids(ms), added[:3]) {
		t.Fatalf("first Read = %v, %v; want %v", ids(ms), err, added[:3])
	}
	if ms[0].Fields["order_id"] != "o0" || ms[0].Fields["amount"] != "9.99" {
		t.Fatalf("fields %v", ms[0].Fields)
	}
	if err := g.Ack(ctx, added[0]); err != nil {
		t.Fatal(err)
	}
	// "Crash": a new reader (new process) with the same consumer name gets
	// the two unacknowledged ones first, then the rest.
	g2 := openT(t, Options{URL: url}).GroupReader("orders", "hush", "node-a")
	ms, err = g2.Read(ctx, 10, time.Second)
	if err != nil || !slices.Equal(ids(ms), added[1:3]) {
		t.Fatalf("Read after a crash = %v, %v; want the pending %v", ids(ms), err, added[1:3])
	}
	if err := g2.Ack(ctx, added[1], added[2]); err != nil {
		t.Fatal(err)
	}
	ms, err = g2.Read(ctx, 10, time.Second)
	if err != nil || !slices.Equal(ids(ms), added[3:]) {
		t.Fatalf("Read of new = %v, %v; want %v", ids(ms), err, added[3:])
	}
	// Another consumer of the group does not get node-a's pending messages.
	other := j.GroupReader("orders", "hush", "node-b")
	if ms, err := other.Read(ctx, 10, 20*time.Millisecond); err != nil || len(ms) != 0 {
		t.Fatalf("node-b got %v, %v", ids(ms), err)
	}
	// Dead letter: kept with the reason and where it came from.
	if err := g2.DeadLetter(ctx, "orders:rejected", ms[0], "amount: not a number"); err != nil {
		t.Fatal(err)
	}
	g2.Ack(ctx, ids(ms)...)
	dead, err := raw.XRange(ctx, "orders:rejected", "-", "+").Result()
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %v, %v", dead, err)
	}
	v := dead[0].Values
	if v["reason"] != "amount: not a number" || v["source_id"] != added[3] || v["source_stream"] != "orders" || v["order_id"] != "o3" {
		t.Fatalf("dead letter fields %v", v)
	}
	// Everything acknowledged: nothing pending for the group.
	if p, err := raw.XPending(ctx, "orders", "hush").Result(); err != nil || p.Count != 0 {
		t.Fatalf("pending %+v, %v", p, err)
	}
	// The group deleted under the reader: it is made again, from the start.
	raw.XGroupDestroy(ctx, "orders", "hush")
	if ms, err := g2.Read(ctx, 10, time.Second); err != nil || len(ms) != 5 {
		t.Fatalf("Read after the group was destroyed = %v, %v", ids(ms), err)
	}
}
