package engine

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// A run is computed on one view of the state: while opt-outs keep
// landing, every plan's opt-out step holds exactly the opt-outs at or
// before the journal position the plan names, never a mix.
func TestCampaignPlanIsOneView(t *testing.T) {
	const n = 3000
	w := buildCampaignWorld(t, n)
	ctx := context.Background()
	phone := func(i int) uint64 { return 12000000000 + uint64(i)*7 + 1 } // as buildCampaignWorld

	seqs := make([]journal.Seq, n) // opt-out position per customer index
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i += 3 {
			seq, err := w.e.RecordOptOut(ctx, OptOutRequest{Key: contactkey.Key{Kind: contactkey.KindPhone, V: phone(i)},
				Channels: suppression.ChannelSet(suppression.SMS), Purposes: suppression.PurposeSet{Names: []string{"direct_marketing"}}, Source: "customer_request", At: w.at})
			if err != nil {
				t.Error(err)
				return
			}
			seqs[i] = seq
		}
	}()
	var plans []*RunPlan
	for range 20 {
		rp, err := w.e.PlanCampaign(w.spec.Name, w.at, campaigns.DefaultRules(), false)
		if err != nil {
			t.Fatal(err)
		}
		plans = append(plans, rp)
	}
	wg.Wait()
	for k, rp := range plans {
		var got map[string]bool
		for _, s := range rp.Steps {
			if s.Code == suppression.ReasonOptOut {
				got = map[string]bool{}
				for it := s.Set.Iterator(); it.HasNext(); {
					got[rp.Name(uint32(it.Next()))] = true
				}
			}
		}
		want := 0
		for i, seq := range seqs {
			if seq == 0 || uint64(seq) > rp.Run {
				continue
			}
			want++
			if id := strconv.Itoa(1_000_000_000 + i); !got[id] {
				t.Fatalf("plan %d at position %d misses the opt-out of %s made at %d", k, rp.Run, id, seq)
			}
		}
		if len(got) != want {
			t.Fatalf("plan %d at position %d holds %d opt-outs, the journal had %d by then", k, rp.Run, len(got), want)
		}
	}
}
