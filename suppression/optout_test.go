package suppression

import (
	"errors"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

func TestOptOutNewestCoveringEventDecides(t *testing.T) {
	f := newFixture(t)
	k := phone(12025550100)
	f.optOut(k, "all", "all", SourceCustomerRequest)
	f.optIn(k, "call", DirectMarketing)
	tests := []struct {
		c       Channel
		purpose string
		sponsor string
		want    []string
	}{
		{Call, DirectMarketing, "", []string{}},
		{SMS, DirectMarketing, "", []string{"optout:direct_marketing"}},
		{Call, AutomatedDecision, "", []string{"optout:automated_decision"}},
		// Sponsored: the opt-in covers call/direct_marketing, not disclosure.
		{Call, DirectMarketing, "acme", []string{"optout:third_party_disclosure"}},
	}
	for _, tc := range tests {
		p := f.policy(tc.c, tc.purpose, tc.sponsor)
		_, rs := p.Decide([]contactkey.Key{k}, f.at().Unix(), nil)
		if !slices.Equal(codes(rs), tc.want) {
			t.Errorf("%s/%s/%q: %v, want %v", tc.c, tc.purpose, tc.sponsor, codes(rs), tc.want)
		}
	}
	// A later opt-out narrows again; its own time is the reason's Since.
	f.optOut(k, "call", "all", SourceComplaint)
	_, rs := f.policy(Call, DirectMarketing, "").Decide([]contactkey.Key{k}, 0, nil)
	if len(rs) != 1 || rs[0].Source != SourceComplaint || rs[0].Since != f.at().Unix() {
		t.Errorf("after re-opt-out: %+v", rs)
	}
	h := f.s.History(k)
	if len(h) != 3 || h[0].OptIn || !h[1].OptIn || h[2].Source != SourceComplaint {
		t.Errorf("history %+v", h)
	}
	h[0].Source = "changed"
	if f.s.History(k)[0].Source == "changed" {
		t.Error("History shares the store's events")
	}
}

func TestOptEventErrors(t *testing.T) {
	f := newFixture(t)
	ev := OptEvent{Version: 5, At: 1, Channels: AllChannels, Purposes: PurposeSet{All: true}}
	if err := f.s.OptIn(phone(1), ev); !errors.Is(err, ErrEvidenceRequired) {
		t.Errorf("opt-in without evidence: %v", err)
	}
	if len(f.s.History(phone(1))) != 0 || f.s.Version() != 0 {
		t.Error("a failed opt-in left a trace")
	}
	for name, mod := range map[string]func(*OptEvent){
		"no channels": func(e *OptEvent) { e.Channels = 0 },
		"no purposes": func(e *OptEvent) { e.Purposes = PurposeSet{} },
		"bad purpose": func(e *OptEvent) { e.Purposes = PurposeSet{Names: []string{"x y"}} },
		"bad source":  func(e *OptEvent) { e.Source = "Web Form" },
		"bad utf8":    func(e *OptEvent) { e.Evidence = "\xff" },
	} {
		e := ev
		mod(&e)
		if err := f.s.OptOut(phone(1), e); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := f.s.OptOut(contactkey.Key{Kind: 0, V: 1}, ev); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad kind: %v", err)
	}
	if err := f.s.OptOut(phone(1), ev); err != nil {
		t.Fatal(err)
	}
	if h := f.s.History(phone(1)); h[0].Source != SourceCustomerRequest {
		t.Errorf("empty source became %q", h[0].Source)
	}
	ev.Version = 4
	if err := f.s.OptOut(phone(1), ev); !errors.Is(err, ErrStaleVersion) {
		t.Errorf("older version: %v", err)
	}
}

// Imports never undo a customer's refusal; an opt-in with evidence does,
// but only from the lists whose whole scope it covers.
func TestStickyLists(t *testing.T) {
	f := newFixture(t)
	f.list("cust_dnc", contactkey.KindPhone, Deny, "call,sms", "direct_marketing", SourceCustomerRequest)
	f.list("complaints", contactkey.KindPhone, Deny, "all", "all", SourceComplaint)
	f.list("registry", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.list("emails", contactkey.KindEmail, Deny, "email", "direct_marketing", SourceCustomerRequest)
	for _, l := range []string{"cust_dnc", "complaints", "registry"} {
		f.imp(l, Add, []uint64{1, 2, 3}, nil)
	}
	f.imp("emails", Add, []uint64{0xe1}, nil)

	if res := f.imp("cust_dnc", Replace, []uint64{9}, nil); res.KeptSticky != 3 || res.Removed != 0 || res.Total != 4 {
		t.Errorf("replace sticky: %+v", res)
	}
	if res := f.imp("complaints", Remove, []uint64{1, 2}, nil); res.KeptSticky != 2 || res.Total != 3 {
		t.Errorf("remove sticky: %+v", res)
	}
	if res := f.imp("registry", Remove, []uint64{1}, nil); res.Removed != 1 {
		t.Errorf("remove non-sticky: %+v", res)
	}

	has := func(list string, k contactkey.Key) bool {
		l, _ := f.s.List(list)
		return l.Contains(k)
	}
	// Opt-in for call only: covers neither sticky list entirely.
	f.optIn(phone(2), "call", DirectMarketing)
	if !has("cust_dnc", phone(2)) || !has("complaints", phone(2)) {
		t.Error("a partial opt-in removed a sticky entry")
	}
	_, rs := f.policy(Call, DirectMarketing, "").Decide([]contactkey.Key{phone(2)}, 0, nil)
	if !slices.Equal(codes(rs), []string{"list:complaints", "list:cust_dnc", "list:registry"}) {
		t.Errorf("after partial opt-in: %v", codes(rs))
	}
	// Opt-in for call+sms direct marketing: covers cust_dnc, not complaints.
	before, _ := f.s.List("cust_dnc")
	f.optIn(phone(2), "call,sms", DirectMarketing)
	if has("cust_dnc", phone(2)) || !has("complaints", phone(2)) || !has("registry", phone(2)) {
		t.Error("opt-in covering cust_dnc must remove from it only")
	}
	if after, _ := f.s.List("cust_dnc"); after.Version() != f.v || before.Len() != 4 || after.Len() != 3 {
		t.Errorf("opt-in removal must publish a new version (old len %d, new len %d)", before.Len(), after.Len())
	}
	// Full opt-in.
	f.optIn(phone(3), "all", "all")
	if has("cust_dnc", phone(3)) || has("complaints", phone(3)) || !has("registry", phone(3)) {
		t.Error("full opt-in must clear sticky lists and leave the registry alone")
	}
	// Hashed kinds go through the dictionary.
	f.optIn(email(0xe1), "email", DirectMarketing)
	if has("emails", email(0xe1)) {
		t.Error("opt-in did not remove the e-mail")
	}
}
