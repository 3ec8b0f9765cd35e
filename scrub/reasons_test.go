package scrub

import (
	"maps"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/suppression"
)

// TestReasonSets: rendering and counting by reason set gives what
// formatReasons and AddRow give row by row, also past maxReasonSets and
// for sets that differ only in a field the rendering shows.
func TestReasonSets(t *testing.T) {
	dnc := suppression.Reason{Code: suppression.ReasonList, List: "national_dnc", Kind: contactkey.KindPhone, Source: "national_registry", Purpose: "direct_marketing", Since: 1}
	dnc2 := dnc
	dnc2.Since = 99 // not part of the set's identity
	dncEmail := dnc
	dncEmail.Kind = contactkey.KindEmail
	lit := suppression.Reason{Code: suppression.ReasonList, List: "litigators", Kind: contactkey.KindPhone, Source: "litigator"}
	opt := suppression.Reason{Code: suppression.ReasonOptOut, List: suppression.OptOutsList, Kind: contactkey.KindCustomer, Source: "customer_request", Purpose: "direct_marketing"}
	optTP := opt
	optTP.Purpose = "third_party_disclosure"
	noc := suppression.Reason{Code: suppression.ReasonNoConsent, List: "consent", Kind: contactkey.KindEmail, Source: "customer_request"}
	stale := suppression.Reason{Code: suppression.ReasonStaleState, Source: "shared_log"}
	// Strings that would run together without length prefixes.
	ab := suppression.Reason{Code: "x", List: "ab", Source: "c"}
	abc := suppression.Reason{Code: "x", List: "a", Source: "bc"}
	rows := [][]suppression.Reason{
		{dnc}, {dnc2}, {dnc, lit}, {lit, dnc}, {dncEmail}, {dnc, dnc}, {opt, optTP}, {optTP},
		{noc}, {stale, noc}, {ab}, {abc}, {dnc}, {opt, optTP}, {lit},
	}
	for _, maxSets := range []int{0, 3, maxReasonSets} {
		want, got := suppression.NewWaterfall(nil), suppression.NewWaterfall(nil)
		sets := newReasonSets(got)
		// Pretend maxReasonSets-maxSets sets are known already.
		sets.sets = make([]reasonSet, maxReasonSets-maxSets)
		for batch := range 3 {
			for i, rs := range rows {
				want.AddRow(rs)
				wantText := formatReasons(nil, rs)
				if text := sets.text(rs); string(text) != string(wantText) {
					t.Fatalf("max %d batch %d row %d: %q, want %q", maxSets, batch, i, text, wantText)
				}
			}
			sets.count()
		}
		a, b := want.Result(), got.Result()
		if !slices.Equal(a.Steps, b.Steps) || !maps.Equal(a.PerReason, b.PerReason) || a.Input != b.Input {
			t.Fatalf("max %d: row by row\n%+v\nby set\n%+v", maxSets, a, b)
		}
	}
}
