package engine

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/customers"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/rfm"
	"github.com/hushcrm/hush/suppression"
)

// campaignWorld is the campaign target: 10M customers with a
// phone each and one purchase history each (RFM scored), five deny lists
// (national registry, litigators, SMS STOP requests, complaints, a
// customer-id legal hold), one SMS consent list, and three sent runs in
// the last week for a 2-per-7-days cap.
type campaignWorld struct {
	e    *Engine
	spec campaigns.Spec
	at   time.Time
}

var (
	campaignWorldOnce sync.Once
	campaignWorld10M  *campaignWorld
)

func buildCampaignWorld(b testing.TB, n int) *campaignWorld {
	ctx := context.Background()
	e, _ := benchEngine(b, wal.Options{NoSync: true})
	at := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC) // 10:00 in New York
	rng := rand.New(rand.NewPCG(2026, 12))
	phone := func(i int) uint64 { return 12000000000 + uint64(i)*7 + 1 } // NANP, area codes 200..
	t0 := time.Now()
	// Purchases first: the purchase history assigns the dense ids.
	const batch = 200_000
	day := rfm.DayOf(at)
	for lo := 0; lo < n; lo += batch {
		evs := make([]rfm.Event, 0, batch)
		for i := lo; i < min(lo+batch, n); i++ {
			evs = append(evs, rfm.Event{Order: uint64(i + 1), Customer: uint64(1_000_000_000 + i), Day: day - rfm.Day(rng.IntN(900)), Amount: int64(500 + rng.IntN(200000))})
		}
		if _, err := e.AppendPurchases(ctx, PurchaseBatch{Source: "bench", Currency: "USD", Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("purchases: %s", time.Since(t0))
	t0 = time.Now()
	for lo := 0; lo < n; lo += batch {
		rows := make([]CustomerRow, 0, batch)
		for i := lo; i < min(lo+batch, n); i++ {
			id := strconv.Itoa(1_000_000_000 + i)
			key, _ := rfm.KeyOf([]byte(id))
			rows = append(rows, CustomerRow{ID: id, CustomerKey: key, SubjectKey: e.Hasher().Sum(contactkey.KindCustomer, id), Phones: []uint64{phone(i)}, InquiryDay: customers.NoDay})
		}
		if _, err := e.PutCustomers(ctx, "bench", rows); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("directory: %s", time.Since(t0))
	t0 = time.Now()
	list := func(name, source string, kind contactkey.Kind, typ suppression.ListType, keys []uint64) {
		if _, err := e.CreateList(ctx, suppression.ListSpec{Name: name, Kind: kind, Type: typ, Channels: suppression.ChannelSet(suppression.Call | suppression.SMS), Purposes: suppression.PurposeSet{All: true}, Source: source}); err != nil {
			b.Fatal(err)
		}
		im, err := e.BeginImport(ctx, name, suppression.Replace, "bench")
		if err != nil {
			b.Fatal(err)
		}
		for lo := 0; lo < len(keys); lo += 1 << 20 {
			if err := im.Add(ctx, keys[lo:min(lo+1<<20, len(keys))], nil); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := im.Commit(ctx, uint64(len(keys)), 0, nil); err != nil {
			b.Fatal(err)
		}
	}
	pick := func(share float64, key func(i int) uint64) []uint64 {
		var out []uint64
		for i := range n {
			if rng.Float64() < share {
				out = append(out, key(i))
			}
		}
		return out
	}
	list("national_dnc", "national_registry", contactkey.KindPhone, suppression.Deny, pick(0.20, phone))
	list("litigators", "litigator", contactkey.KindPhone, suppression.Deny, pick(0.005, phone))
	list("sms_stop", "customer_request", contactkey.KindPhone, suppression.Deny, pick(0.03, phone))
	list("complaints", "complaint", contactkey.KindPhone, suppression.Deny, pick(0.01, phone))
	list("legal_hold", "legal_hold", contactkey.KindCustomer, suppression.Deny, pick(0.002, func(i int) uint64 {
		return e.Hasher().Sum(contactkey.KindCustomer, strconv.Itoa(1_000_000_000+i))
	}))
	list("sms_consent", "customer_request", contactkey.KindPhone, suppression.Consent, pick(0.85, phone))
	b.Logf("lists: %s", time.Since(t0))
	if err := e.EnsureRFM(ctx, at); err != nil {
		b.Fatal(err)
	}
	spec := campaigns.Spec{Name: "winter_sms", Channel: suppression.SMS, Purpose: "direct_marketing", Schedule: "once",
		Audience: "NOT rfm:lost OR rfm:lost AND monetary >= 0",
		Caps:     []campaigns.Cap{{Max: 2, Days: 7, Channel: suppression.SMS, Purpose: "direct_marketing"}}}
	if _, err := e.DefineCampaign(ctx, spec); err != nil {
		b.Fatal(err)
	}
	for k := range 3 {
		sent := roaring64.NewBitmap()
		ids := pick(0.3, func(i int) uint64 { return uint64(i) })
		slices.Sort(ids)
		sent.AddMany(ids)
		if _, err := e.MarkSent(ctx, uint64(k+1), spec, at.AddDate(0, 0, -2*k-1), sent, nil); err != nil {
			b.Fatal(err)
		}
	}
	return &campaignWorld{e: e, spec: spec, at: at}
}

func world10M(b *testing.B) *campaignWorld {
	campaignWorldOnce.Do(func() { campaignWorld10M = buildCampaignWorld(b, 10_000_000) })
	if campaignWorld10M == nil {
		b.Fatal("world not built")
	}
	return campaignWorld10M
}

// BenchmarkCampaignDryRun10M: the waterfall of a 10M-customer audience
// (RFM segments and attributes), 5 deny lists, a consent list and a
// 7-day cap. Target <= 50 ms. The first run computes the customer-level
// suppression sets of the scope (reported as cold_ms); later runs reuse
// them while the lists and the directory are unchanged.
func BenchmarkCampaignDryRun10M(b *testing.B) {
	w := world10M(b)
	rules := campaigns.DefaultRules()
	t0 := time.Now()
	rp, err := w.e.PlanCampaign(w.spec.Name, w.at, rules, true)
	if err != nil {
		b.Fatal(err)
	}
	cold := time.Since(t0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if rp, err = w.e.PlanCampaign(w.spec.Name, w.at, rules, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cold.Microseconds())/1000, "cold_ms")
	b.ReportMetric(float64(rp.Waterfall.Audience), "audience")
	b.ReportMetric(float64(rp.Waterfall.Final), "final")
	if rp.Waterfall.Audience != 10_000_000 {
		b.Fatalf("audience %d", rp.Waterfall.Audience)
	}
}

// BenchmarkCampaignRun10M: the full run, writing the final list (millions
// of rows: customer id and phone) and the suppressed customers with every
// reason to files. Target <= 10 s.
func BenchmarkCampaignRun10M(b *testing.B) {
	w := world10M(b)
	rules := campaigns.DefaultRules()
	dir := b.TempDir()
	if _, err := w.e.PlanCampaign(w.spec.Name, w.at, rules, true); err != nil { // warm, as a scheduler's dry run before the run would
		b.Fatal(err)
	}
	b.ReportAllocs()
	var rows uint64
	for b.Loop() {
		rp, err := w.e.PlanCampaign(w.spec.Name, w.at, rules, false)
		if err != nil {
			b.Fatal(err)
		}
		ff, _ := os.Create(filepath.Join(dir, "final.csv"))
		if rows, err = rp.WriteFinal(ff); err != nil {
			b.Fatal(err)
		}
		ff.Close()
		sf, _ := os.Create(filepath.Join(dir, "suppressed.csv"))
		if _, err := rp.WriteSuppressed(sf); err != nil {
			b.Fatal(err)
		}
		sf.Close()
	}
	b.ReportMetric(float64(rows), "final_rows")
}
