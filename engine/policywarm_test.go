package engine

import (
	"testing"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// After a list change is acknowledged, the scopes in use are compiled
// already (by the writer), and they see the change.
func TestListChangesWarmPoliciesBeforeTheAck(t *testing.T) {
	h := newHarness(t, t.TempDir())
	defer h.close()
	for i := 0; i < 4; i++ { // enough lists for a union
		h.createList(string(rune('a'+i)), contactkey.KindPhone, "call", "all", "national_registry")
		h.importKeys(string(rune('a'+i)), suppression.Replace, []uint64{12025550100 + uint64(i)})
	}
	smsDM := suppression.Scope{Channel: suppression.SMS, Purpose: suppression.DirectMarketing}
	if !h.allowed(callDM, phone(12025550199)) || !h.allowed(smsDM, phone(12025550100)) {
		t.Fatal("setup")
	}
	h.importKeys("b", suppression.Add, []uint64{12025550199})
	c := h.e.policies.Load()
	if c == nil || c.version != journalSeq(h) || c.m[callDM] == nil || c.m[smsDM] == nil {
		t.Fatalf("policies not warmed for the new lists version: %+v", c)
	}
	if h.allowed(callDM, phone(12025550199)) {
		t.Fatal("acknowledged import not seen by the next check")
	}
	if h.e.warming.Load() != 0 {
		t.Fatal("warming flag left set")
	}
	h.createList("late", contactkey.KindPhone, "sms", "all", "complaint")
	h.importKeys("late", suppression.Add, []uint64{12025550300})
	if h.allowed(smsDM, phone(12025550300)) {
		t.Fatal("new list not applied to a warmed scope")
	}
}

func journalSeq(h *harness) (v journal.Seq) {
	h.e.Read(func(st *suppression.Store, _ journal.Seq) error { v = journal.Seq(st.ListsVersion()); return nil })
	return v
}

// A server warms every first-party scope before it reports ready: the
// policies are in the cache, and lists applying to several scopes share
// their unions.
func TestWarmPoliciesFillsTheCache(t *testing.T) {
	h := newHarness(t, t.TempDir())
	defer h.close()
	h.createList("dnc", contactkey.KindPhone, "call,sms", "all", "national_registry")
	h.createList("lit", contactkey.KindPhone, "call", "all", "litigator")
	h.createList("co", contactkey.KindPhone, "all", "direct_marketing", "customer_request")
	h.importKeys("dnc", suppression.Replace, []uint64{12025550100, 12025550101})
	scopes := FirstPartyScopes()
	if len(scopes) != 5*len(suppression.StandardPurposes) {
		t.Fatalf("%d first-party scopes, want every channel × standard purpose", len(scopes))
	}
	if err := h.e.WarmPolicies(scopes); err != nil {
		t.Fatal(err)
	}
	c := h.e.policies.Load()
	if c == nil {
		t.Fatal("no policies cached after warming")
	}
	for _, s := range scopes {
		if _, ok := c.m[s]; !ok {
			t.Fatalf("scope %s/%s not warmed", s.Channel, s.Purpose)
		}
	}
	if h.allowed(suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}, phone(12025550100)) {
		t.Fatal("a warmed policy answers allowed for a listed number")
	}
}
