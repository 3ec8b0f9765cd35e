package httpapi

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hushcrm/hush/access"
)

func TestPurchasesPostAndRFMReport(t *testing.T) {
	f := newFixture(t, nil)
	var body strings.Builder
	for i := range 300 {
		fmt.Fprintf(&body, `{"order":"o%d","cust":"c%d","ts":"2026-%02d-%02d","amount":"%d.50"}`+"\n", i, i%60, 1+i%10, 1+i%27, 5+i%40)
	}
	body.WriteString(`{"order":"bad1","cust":"","ts":"2026-01-01","amount":"1"}` + "\n")
	body.WriteString(`{"order":"bad2","cust":"x","ts":"2026-01-01","amount":"1,000.00"}` + "\n")
	body.WriteString("not json\n")
	post := func(role access.Role) resp {
		return f.do("POST", "/v1/purchases?map=customer=cust,date=ts", f.keys[role], "application/x-ndjson", strings.NewReader(body.String()))
	}
	if r := post(access.Analyst); r.status != 403 {
		t.Fatalf("analyst may not post purchases: %d %s", r.status, r.body)
	}
	r := post(access.Marketer)
	if r.status != 200 {
		t.Fatalf("POST /v1/purchases: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["rows"].(float64) != 303 || m["applied"].(float64) != 300 || m["rejected"].(float64) != 3 {
		t.Fatalf("answer %s", r.body)
	}
	rejects := m["rejects"].([]any)
	if len(rejects) != 3 || !strings.HasPrefix(rejects[0].(map[string]any)["reason"].(string), "missing_customer") ||
		rejects[1].(map[string]any)["line"].(float64) != 302 || !strings.Contains(rejects[1].(map[string]any)["reason"].(string), "thousands separator") {
		t.Fatalf("rejects %s", r.body)
	}
	// Idempotent: the same body again stores nothing new.
	r = post(access.Admin)
	if m := r.json(t); m["applied"].(float64) != 0 || m["duplicates"].(float64) != 300 {
		t.Fatalf("second post %s", r.body)
	}

	if r := f.get("/v1/rfm/report", access.Agent); r.status != 403 {
		t.Fatalf("agent may not read reports: %d", r.status)
	}
	r = f.get("/v1/rfm/report?as_of=2026-11-22", access.Analyst)
	if r.status != 200 {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	rep := r.json(t)
	if rep["customers"].(float64) != 60 || len(rep["segments"].([]any)) != 11 || len(rep["rf_grid"].([]any)) != 25 {
		t.Fatalf("report %s", r.body)
	}
	if bytes.Contains(r.body, []byte(`"<10"`)) {
		t.Errorf("groups of 12+ suppressed at k=10: %s", r.body)
	}
	r = f.get("/v1/rfm/report?as_of=2026-11-22&k=15", access.Analyst)
	if !bytes.Contains(r.body, []byte(`"customers":"<15"`)) || bytes.Contains(r.body, []byte(`"customers":12`)) {
		t.Errorf("k=15 leaves a group of 12 exact: %s", r.body)
	}
	if r := f.get("/v1/rfm/report?k=5", access.Analyst); r.status != 400 {
		t.Errorf("k below the configured minimum: %d", r.status)
	}
	r = f.get("/v1/rfm/report?format=csv&k=20", access.Analyst)
	if r.status != 200 || !bytes.HasPrefix(r.body, []byte("segment,key,customers,")) {
		t.Fatalf("csv report: %d %s", r.status, r.body)
	}
	// The published scoring is swapped whole.
	before := f.e.RFM()
	if before == nil {
		t.Fatal("the first report did not publish a scoring")
	}
	if _, err := f.e.RefreshRFM(t.Context(), f.now); err != nil {
		t.Fatal(err)
	}
	if after := f.e.RFM(); after == before || after.Len() != 60 || before.Segment("champions") == nil {
		t.Fatal("refresh did not publish a new, whole scoring")
	}
}
