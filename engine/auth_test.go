package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/audit"
)

func TestKeysAndAccessLogSurviveRestartAndSnapshot(t *testing.T) {
	h := newHarness(t, t.TempDir())
	defer h.close()
	ctx := context.Background()
	po, poKey, err := h.e.CreateKey(ctx, access.PrivacyOfficer, "dpo", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	_, agentKey, err := h.e.CreateKey(WithActor(ctx, "key:admin"), access.Agent, "dialer", h.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.LogAccess(ctx, AccessRequest{KeyID: po.ID, Role: po.Role, Action: "subject_lookup", Subject: "phone:+12025550100", Why: "DSAR 1"}); err != nil {
		t.Fatal(err)
	}
	check := func(stage string) {
		t.Helper()
		k, err := h.e.Authenticate(poKey)
		if err != nil || k.Role != access.PrivacyOfficer || k.ID != po.ID {
			t.Fatalf("%s: authenticate po: %+v %v", stage, k, err)
		}
		if _, err := h.e.Authenticate(agentKey); err != nil {
			t.Fatalf("%s: agent: %v", stage, err)
		}
		if _, err := h.e.Authenticate(tamper(poKey)); !errors.Is(err, ErrBadKey) {
			t.Fatalf("%s: tampered key: %v", stage, err)
		}
		log, chain := h.e.AccessLog(0, 0)
		if len(log) != 1 || log[0].Why != "DSAR 1" || log[0].Role != "privacy_officer" {
			t.Fatalf("%s: log %+v", stage, log)
		}
		if head, err := audit.Verify(log, [32]byte{}); err != nil || head != chain.Head {
			t.Fatalf("%s: chain: %v", stage, err)
		}
	}
	check("live")
	h.reopen()
	check("replayed")
	if err := h.e.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	check("from snapshot")

	h.now = h.now.Add(2 * time.Hour)
	if _, err := h.e.Authenticate(agentKey); !errors.Is(err, ErrKeyExpired) {
		t.Fatalf("expired: %v", err)
	}
	if err := h.e.RevokeKey(ctx, po.ID, "left"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Authenticate(poKey); !errors.Is(err, ErrKeyRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	h.reopen()
	if _, err := h.e.Authenticate(poKey); !errors.Is(err, ErrKeyRevoked) {
		t.Fatalf("revoked after restart: %v", err)
	}
	if err := h.e.RevokeKey(ctx, "nope", ""); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown: %v", err)
	}
	keys := h.e.Keys()
	if len(keys) != 2 || keys[0].CreatedBy == "" {
		t.Fatalf("keys %+v", keys)
	}
}

// tamper changes the last hex digit of a key.
func tamper(key string) string {
	last := byte('0')
	if key[len(key)-1] == '0' {
		last = '1'
	}
	return key[:len(key)-1] + string(last)
}
