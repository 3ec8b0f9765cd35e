package scrub

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal/journaltest"
	"github.com/hushcrm/hush/suppression"
)

// A scrub against an engine that lost its shared log for longer than its
// max staleness marks every row suppressed (stale_state): nothing comes
// out clean that the fleet might have suppressed meanwhile.
func TestScrubOnStaleSharedStateSuppressesEverything(t *testing.T) {
	store := journaltest.NewStore()
	j := store.Open()
	h, err := contactkey.NewHasher(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	e, err := engine.Open(context.Background(), j, engine.Options{Hasher: h, Now: now, MaxStaleness: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := contactkey.NewNormalizer("US")
	w := &world{e: e, n: n, h: h, now: now()}
	t.Cleanup(func() { e.Close(); j.Close() })
	w.list(t, "dnc", contactkey.KindPhone, suppression.Deny, "call", "all", "national_registry", "2025550100")
	input := "name,phone\nann,2025550100\nbob,2025550101\ncid,2025550102\n"
	scope := suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}
	mapping := map[string]string{"phone": "phone"}
	res, err := w.scrub(t, input, scope, mapping, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.m.Counts.Clean != 2 || res.m.Counts.Suppressed != 1 {
		t.Fatalf("fresh state: counts %+v", res.m.Counts)
	}
	store.SetDown(true)
	clock.Add(int64(2 * time.Minute))
	w.now = now()
	res, err = w.scrub(t, input, scope, mapping, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.m.Counts.Clean != 0 || res.m.Counts.Suppressed != 3 {
		t.Fatalf("stale state: counts %+v, want everything suppressed", res.m.Counts)
	}
	if strings.Count(res.suppressed, "stale_state") != 3 {
		t.Fatalf("suppressed rows do not say stale_state:\n%s", res.suppressed)
	}
	_ = engine.ErrStaleState
}
