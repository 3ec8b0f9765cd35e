package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal/journaltest"
)

// newSharedFixture is a server over an engine on an in-memory shared log
// (what journal/redisstream is in production).
func newSharedFixture(t *testing.T) (*fixture, *journaltest.Store) {
	store := journaltest.NewStore()
	return newServerFixture(t, store.Open(), engine.Options{MaxStaleness: time.Minute}, nil), store
}

// Redis down past max_staleness: checks answer allowed:false stale_state,
// writes 503 journal_unreachable, /readyz 503; all of it clears once the
// log is back and the instance has caught up.
func TestSharedLogStaleState(t *testing.T) {
	f, store := newSharedFixture(t)
	check := "/v1/check?phone=2025550199&channel=call&purpose=direct_marketing"
	optout := map[string]any{"phone": "2025550199", "channels": []string{"call"}, "purposes": []string{"direct_marketing"}}
	// The follower catches up right after Open: ready within moments.
	for deadline := time.Now().Add(5 * time.Second); ; {
		r := f.get("/readyz", access.Agent)
		if r.status == 200 && r.json(t)["status"] == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz on a fresh shared engine: %d %s", r.status, r.body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	store.SetDown(true)
	f.advance(30 * time.Second)
	if !f.allowed("phone=2025550199&channel=call&purpose=direct_marketing") {
		t.Fatal("within max staleness the check no longer answers from memory")
	}
	if r := f.postJSON("/v1/optouts", access.Marketer, optout); r.status != 503 {
		t.Fatalf("opt-out while the log is down: %d %s", r.status, r.body)
	} else if code, _ := r.errOf(t); code != "journal_unreachable" || r.header.Get("Retry-After") == "" {
		t.Fatalf("opt-out while the log is down: code %q, Retry-After %q", code, r.header.Get("Retry-After"))
	}
	f.advance(31 * time.Second)
	r := f.get(check, access.Agent)
	if r.status != 200 || !strings.Contains(string(r.body), `"allowed":false`) || !strings.Contains(string(r.body), `"code":"stale_state"`) {
		t.Fatalf("check past max staleness: %d %s", r.status, r.body)
	}
	batch := f.do("POST", "/v1/check", f.keys[access.Agent], "application/json", strings.NewReader(`[{"phone":"2025550100","channel":"call","purpose":"direct_marketing"}]`))
	if batch.status != 200 || !strings.Contains(string(batch.body), `"stale_state"`) {
		t.Fatalf("batch check past max staleness: %d %s", batch.status, batch.body)
	}
	if r := f.get("/readyz", access.Agent); r.status != 503 || r.json(t)["status"] != "stale" {
		t.Fatalf("readyz while stale: %d %s", r.status, r.body)
	}
	if m := f.get("/metrics", access.Admin); !strings.Contains(string(m.body), "hush_shared_log_stale 1") {
		t.Fatalf("metrics while stale lack hush_shared_log_stale 1:\n%s", m.body)
	}
	store.SetDown(false)
	deadline := time.Now().Add(60 * time.Second)
	for f.get("/readyz", access.Agent).status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("readyz did not come back after the log did")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := f.postJSON("/v1/optouts", access.Marketer, optout); r.status >= 300 {
		t.Fatalf("opt-out after the log came back: %d %s", r.status, r.body)
	}
	if f.allowed("phone=2025550199&channel=call&purpose=direct_marketing") {
		t.Fatal("the opt-out is not answered")
	}
}
