package suppression

import (
	"maps"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

func TestWaterfall(t *testing.T) {
	f := newFixture(t)
	f.list("a_dnc", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.list("b_litigators", contactkey.KindPhone, Deny, "call", "all", SourceLitigator)
	f.list("c_ok", contactkey.KindCustomer, Consent, "call", "direct_marketing", SourceCustomerRequest)
	f.list("d_unused", contactkey.KindPhone, Deny, "call", "all", SourceInternal)
	p := f.policy(Call, DirectMarketing, "acme")
	w := NewWaterfall(p)

	opt := Reason{Code: ReasonOptOut, List: OptOutsList, Purpose: DirectMarketing}
	optTP := Reason{Code: ReasonOptOut, List: OptOutsList, Purpose: ThirdPartyDisclosure}
	dnc := Reason{Code: ReasonList, List: "a_dnc"}
	lit := Reason{Code: ReasonList, List: "b_litigators"}
	noc := Reason{Code: ReasonNoConsent, List: "c_ok"}
	w.AddRow([]Reason{dnc, lit, noc}) // removed by a_dnc
	w.AddRow([]Reason{noc, lit})      // out of order: b_litigators first
	w.AddRow([]Reason{optTP, dnc})    // opt-outs come first
	w.AddRow([]Reason{opt, optTP})
	w.AddRow([]Reason{noc, noc}) // counted once
	w.AddRow([]Reason{{Code: "frequency_cap", List: "weekly"}, noc})
	w.AddRow([]Reason{{Code: "frequency_cap", List: "weekly"}})
	w.AddRow(nil) // no reasons: clean
	w.AddClean()
	w.AddRejected("invalid_phone")
	w.AddRejected("invalid_phone")
	w.AddRejected("bad_row")

	r := w.Result()
	type line struct {
		reason             string
		removed, remaining int64
		rows               int64
	}
	var got []line
	for _, s := range r.Steps {
		got = append(got, line{s.Reason, s.Removed, s.Remaining, s.Rows})
	}
	want := []line{
		{"rejected:bad_row", 1, 11, 1},
		{"rejected:invalid_phone", 2, 9, 2},
		{"optout:direct_marketing", 1, 8, 1},
		{"optout:third_party_disclosure", 1, 7, 2},
		{"list:a_dnc", 1, 6, 2},
		{"list:b_litigators", 1, 5, 2},
		{"list:d_unused", 0, 5, 0},
		{"no_consent:c_ok", 2, 3, 4}, // the policy's steps come before reasons it does not name
		{"frequency_cap:weekly", 1, 2, 2},
	}
	if !slices.Equal(got, want) {
		t.Errorf("steps\n got %v\nwant %v", got, want)
	}
	if r.Input != 12 || r.Clean != 2 || r.Rejected != 3 {
		t.Errorf("input %d clean %d rejected %d", r.Input, r.Clean, r.Rejected)
	}
	if last := r.Steps[len(r.Steps)-1].Remaining; last != r.Clean {
		t.Errorf("the waterfall ends at %d, clean is %d", last, r.Clean)
	}
	if r.PerReason["no_consent:c_ok"] != 4 || r.PerReason["list:a_dnc"] != 2 || r.PerReason["rejected:invalid_phone"] != 2 {
		t.Errorf("per reason %v", r.PerReason)
	}
	if len(r.PerReason) != len(r.Steps) {
		t.Errorf("per reason has %d entries, steps %d", len(r.PerReason), len(r.Steps))
	}
	// Deterministic: the same rows in another order give the same report.
	w2 := NewWaterfall(p)
	w2.AddRejected("bad_row")
	w2.AddRow([]Reason{{Code: "frequency_cap", List: "weekly"}})
	w2.AddRow([]Reason{{Code: "frequency_cap", List: "weekly"}, noc})
	w2.AddRow([]Reason{noc, noc})
	w2.AddRow([]Reason{opt, optTP})
	w2.AddClean()
	w2.AddRow([]Reason{optTP, dnc})
	w2.AddRejected("invalid_phone")
	w2.AddRow([]Reason{noc, lit})
	w2.AddRow([]Reason{dnc, lit, noc})
	w2.AddRejected("invalid_phone")
	w2.AddClean()
	r2 := w2.Result()
	if !slices.Equal(r.Steps, r2.Steps) || !maps.Equal(r.PerReason, r2.PerReason) {
		t.Error("row order changed the report")
	}
}

func TestWaterfallWithoutPolicy(t *testing.T) {
	w := NewWaterfall(nil)
	w.AddRow([]Reason{{Code: ReasonList, List: "zeta"}, {Code: ReasonList, List: "alpha"}})
	w.AddRow([]Reason{{Code: ReasonList, List: "zeta"}})
	r := w.Result()
	if len(r.Steps) != 2 || r.Steps[0].Reason != "list:alpha" || r.Steps[0].Removed != 1 || r.Steps[1].Removed != 1 || r.Steps[1].Remaining != 0 {
		t.Errorf("steps %+v", r.Steps)
	}
}

// TestAddRowsIsAddRowRepeated: AddRows(rs, n) counts as n AddRow(rs).
func TestAddRowsIsAddRowRepeated(t *testing.T) {
	f := newFixture(t)
	f.list("a_dnc", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.list("c_ok", contactkey.KindCustomer, Consent, "call", "direct_marketing", SourceCustomerRequest)
	p := f.policy(Call, DirectMarketing, "acme")
	dnc := Reason{Code: ReasonList, List: "a_dnc"}
	noc := Reason{Code: ReasonNoConsent, List: "c_ok"}
	opt := Reason{Code: ReasonOptOut, List: OptOutsList, Purpose: DirectMarketing}
	capped := Reason{Code: "frequency_cap", List: "weekly"}
	sets := []struct {
		rs []Reason
		n  int64
	}{
		{[]Reason{dnc, noc}, 3},
		{[]Reason{noc}, 1},
		{nil, 4},
		{[]Reason{capped, opt}, 2},
		{[]Reason{noc, noc}, 5},
		{[]Reason{dnc}, 0},
	}
	one, many := NewWaterfall(p), NewWaterfall(p)
	for _, s := range sets {
		for range s.n {
			one.AddRow(s.rs)
		}
		many.AddRows(s.rs, s.n)
	}
	a, b := one.Result(), many.Result()
	if !slices.Equal(a.Steps, b.Steps) || !maps.Equal(a.PerReason, b.PerReason) || a.Input != b.Input || a.Clean != b.Clean {
		t.Fatalf("AddRow ×n:\n%+v\nAddRows:\n%+v", a, b)
	}
}
