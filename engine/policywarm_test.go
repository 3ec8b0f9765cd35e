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
