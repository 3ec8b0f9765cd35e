package engine

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/suppression"
)

// BenchmarkCampaignDryRunAfterChange10M: the dry run of the 10M-customer
// campaign (BenchmarkCampaignDryRun10M's world) right after a change to
// the suppression state — one opt-out, 1,000 opt-outs, an import adding
// 100k (and 1M) numbers to a deny list — with the customer-level
// suppression carried forward (patched), against the same dry run after
// the same kind of change with the carried state dropped (the full
// derivation), in the same run. Each case runs rounds times; the metrics
// are medians in ms, and ratio is rebuild / patched.
func BenchmarkCampaignDryRunAfterChange10M(b *testing.B) {
	benchDryRunAfterChange(b, world10M(b), 10_000_000)
}

// BenchmarkCampaignDryRunAfterChange200k is the same on a world of 200k
// customers (built in seconds): imports of 2k and 20k numbers.
func BenchmarkCampaignDryRunAfterChange200k(b *testing.B) {
	benchDryRunAfterChange(b, buildCampaignWorld(b, 200_000), 200_000)
}

func benchDryRunAfterChange(b *testing.B, w *campaignWorld, n int) {
	ctx := context.Background()
	rules := campaigns.DefaultRules()
	rng := rand.New(rand.NewPCG(5, 5))
	phone := func(i int) uint64 { return 12000000000 + uint64(i)*7 + 1 } // as buildCampaignWorld
	plan := func(b *testing.B) (time.Duration, *RunPlan) {
		t0 := time.Now()
		rp, err := w.e.PlanCampaign(w.spec.Name, w.at, rules, true)
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(t0), rp
	}
	scope := w.spec.Scope()
	lastPatched := func() bool {
		a := w.e.audience()
		a.cacheMu.Lock()
		defer a.cacheMu.Unlock()
		s := a.scopeCache[scopeKey(scope)]
		return s != nil && s.patched
	}
	dropCarried := func() {
		a := w.e.audience()
		a.cacheMu.Lock()
		a.scopeCache = nil
		a.cacheMu.Unlock()
	}
	optOuts := func(b *testing.B, k int) {
		for range k {
			if _, err := w.e.RecordOptOut(ctx, OptOutRequest{Key: contactkey.Key{Kind: contactkey.KindPhone, V: phone(rng.IntN(n))},
				Channels: suppression.ChannelSet(suppression.SMS), Purposes: suppression.PurposeSet{Names: []string{scope.Purpose}}, At: w.at}); err != nil {
				b.Fatal(err)
			}
		}
	}
	importPhones := func(b *testing.B, k int) {
		keys := make([]uint64, k)
		for i := range keys {
			keys[i] = phone(rng.IntN(n))
		}
		slices.Sort(keys)
		im, err := w.e.BeginImport(ctx, "litigators", suppression.Add, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := im.Add(ctx, keys, nil); err != nil {
			b.Fatal(err)
		}
		if _, _, err := im.Commit(ctx, uint64(k), 0, nil); err != nil {
			b.Fatal(err)
		}
	}
	// Warm: the first derivation (the reverse indexes are built beside
	// it), then the first patch.
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			t0 := time.Now()
			plan(b)
			derived := time.Since(t0)
			optOuts(b, 1)
			t0 = time.Now()
			plan(b)
			b.ReportMetric(float64(derived.Microseconds())/1000, "first_derivation_ms")
			b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, "first_patch_ms")
		}
		var idxBytes uint64
		for _, k := range scopeKinds(scope.Channel) {
			idxBytes += w.e.keyIndex(w.e.Campaigns().Directory, k).MemoryBytes()
		}
		b.ReportMetric(float64(idxBytes)/float64(n), "index_bytes/customer")
	})

	const rounds = 5
	cases := []struct {
		name   string
		change func(b *testing.B)
	}{
		{"optouts=1", func(b *testing.B) { optOuts(b, 1) }},
		{"optouts=1000", func(b *testing.B) { optOuts(b, 1000) }},
		{"import=" + count(n/100), func(b *testing.B) { importPhones(b, n/100) }},
		{"import=" + count(n/10), func(b *testing.B) { importPhones(b, n/10) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var patched, rebuilt []float64
			for b.Loop() {
				for range rounds {
					c.change(b)
					d, _ := plan(b)
					if !lastPatched() {
						b.Fatalf("%s: the plan was not patched", c.name)
					}
					patched = append(patched, float64(d.Microseconds())/1000)
					c.change(b)
					dropCarried()
					d, _ = plan(b)
					rebuilt = append(rebuilt, float64(d.Microseconds())/1000)
				}
			}
			mp, mr := median(patched), median(rebuilt)
			b.ReportMetric(mp, "patched_ms")
			b.ReportMetric(mr, "rebuilt_ms")
			b.ReportMetric(mr/mp, "ratio")
			b.Logf("%s: patched %v ms, rebuilt %v ms", c.name, patched, rebuilt)
		})
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}
