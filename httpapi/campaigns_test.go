package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/customers"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/rfm"
)

func TestCampaignEndpoints(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	var rows []engine.CustomerRow
	for i, p := range []uint64{12025550100, 12025550199, 12025550198} {
		id := "c" + strconv.Itoa(i)
		key, _ := rfm.KeyOf([]byte(id))
		rows = append(rows, engine.CustomerRow{ID: id, CustomerKey: key, SubjectKey: f.e.Hasher().Sum(contactkey.KindCustomer, id), Phones: []uint64{p}, InquiryDay: customers.NoDay})
	}
	rows = append(rows, engine.CustomerRow{ID: "nophone", CustomerKey: 1<<63 | 77, InquiryDay: customers.NoDay})
	if _, err := f.e.PutCustomers(ctx, "test", rows); err != nil {
		t.Fatal(err)
	}
	all := roaring64.NewBitmap()
	all.AddRange(0, 4)
	if _, err := f.e.DefineSegment(ctx, "everyone", "", all, "test"); err != nil {
		t.Fatal(err)
	}
	spec := map[string]any{"name": "dc_calls", "channel": "call", "purpose": "direct_marketing", "audience": "segment:everyone", "caps": []string{"2/7d:call:direct_marketing"}, "schedule": "0 15 * * 1"}
	if r := f.postJSON("/v1/campaigns", access.Agent, spec); r.status != http.StatusForbidden {
		t.Fatalf("agent may not create campaigns: %d %s", r.status, r.body)
	}
	for name, bad := range map[string]map[string]any{
		"bad cron":       {"name": "x", "channel": "call", "purpose": "direct_marketing", "audience": "segment:everyone", "schedule": "0 15 * *"},
		"unknown name":   {"name": "x", "channel": "call", "purpose": "direct_marketing", "audience": "segment:nobody"},
		"type error":     {"name": "x", "channel": "call", "purpose": "direct_marketing", "audience": "monetary AND segment:everyone"},
		"unbalanced":     {"name": "x", "channel": "call", "purpose": "direct_marketing", "audience": "(segment:everyone"},
		"bad channel":    {"name": "x", "channel": "fax", "purpose": "direct_marketing", "audience": "segment:everyone"},
		"empty audience": {"name": "x", "channel": "call", "purpose": "direct_marketing", "audience": ""},
	} {
		if r := f.postJSON("/v1/campaigns", access.Marketer, bad); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := f.postJSON("/v1/campaigns", access.Marketer, spec); r.status != http.StatusCreated || r.json(t)["next_run"] == nil {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := f.get("/v1/campaigns", access.Marketer); r.status != 200 || !strings.Contains(string(r.body), `"dc_calls"`) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	// 15:00 UTC is 10:00 in Washington.
	at := "2026-11-23T15:00:00Z"
	r := f.do("POST", "/v1/campaigns/dc_calls/dry-run?at="+at, f.keys[access.Marketer], "", nil)
	if r.status != 200 {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	w := r.json(t)["waterfall"].(map[string]any)
	if w["audience"].(float64) != 4 || w["final"].(float64) != 2 {
		t.Fatalf("waterfall: %s", r.body)
	}
	r = f.do("POST", "/v1/campaigns/dc_calls/run?output=final&mark_sent=true&at="+at, f.keys[access.Marketer], "", nil)
	if r.status != 200 || string(r.body) != "customer_id,contact_point,name\nc1,+12025550199,\nc2,+12025550198,\n" {
		t.Fatalf("run: %d %q", r.status, r.body)
	}
	r = f.do("POST", "/v1/campaigns/dc_calls/run?output=suppressed&at="+at, f.keys[access.Marketer], "", nil)
	if !strings.Contains(string(r.body), "c0,list:national_dnc:national_registry") || !strings.Contains(string(r.body), "nophone,no_contact_point") {
		t.Fatalf("suppressed: %s", r.body)
	}
	// At 03:00 in Washington everyone with a phone is outside calling hours.
	r = f.do("POST", "/v1/campaigns/dc_calls/dry-run?at=2026-11-23T08:00:00Z", f.keys[access.Marketer], "", nil)
	if !strings.Contains(string(r.body), `"outside_calling_window"`) {
		t.Fatalf("night: %s", r.body)
	}
	if r := f.get("/v1/segments/count?expr=segment:everyone%20AND%20NOT%20list:national_dnc", access.Marketer); r.status != 200 || r.json(t)["customers"].(float64) != 3 {
		t.Fatalf("count: %d %s", r.status, r.body)
	}
	if r := f.get("/v1/segments/count?expr=segment:everyone)", access.Marketer); r.status != 400 {
		t.Fatalf("count bad: %d %s", r.status, r.body)
	}
	if r := f.do("DELETE", "/v1/campaigns/dc_calls", f.keys[access.Marketer], "", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := f.get("/v1/campaigns/dc_calls", access.Marketer); r.status != 404 {
		t.Fatalf("get deleted: %d", r.status)
	}
}
