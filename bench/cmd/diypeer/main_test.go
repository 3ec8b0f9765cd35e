package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/internal/redistest"
)

// The peer must be a correct service, or the comparison means nothing:
// it answers from the Redis sets exactly.
func TestPeerAnswersFromRedisSets(t *testing.T) {
	sock := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Network: "unix", Addr: sock})
	defer rdb.Close()
	ctx := context.Background()
	rdb.SAdd(ctx, "list0", "12025550100")
	rdb.SAdd(ctx, "list1", "12025550100", "12025550101")
	n, _ := contactkey.NewNormalizer("US")
	r := newRouter(rdb, []string{"list0", "list1"}, n)
	get := func(phone string) decision {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/check?channel=call&purpose=direct_marketing&phone="+phone, nil))
		var d decision
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || rec.Code != 200 {
			t.Fatalf("%s: %d %s", phone, rec.Code, rec.Body.Bytes())
		}
		return d
	}
	if d := get("202-555-0100"); d.Allowed || len(d.Reasons) != 2 || d.Reasons[0].List != "list0" || d.Key != "+12025550100" {
		t.Fatalf("member of both: %+v", d)
	}
	if d := get("2025550101"); d.Allowed || len(d.Reasons) != 1 || d.Reasons[0].List != "list1" {
		t.Fatalf("member of list1: %+v", d)
	}
	if d := get("2025550199"); !d.Allowed || len(d.Reasons) != 0 {
		t.Fatalf("member of none: %+v", d)
	}
	if d := get("12"); d.Allowed || d.Reasons[0].Code != "invalid_key" {
		t.Fatalf("invalid: %+v", d)
	}
	rec := httptest.NewRecorder()
	body := `[{"phone":"2025550199","channel":"call","purpose":"x"},{"phone":"x","channel":"call","purpose":"x"},{"phone":"2025550100","channel":"call","purpose":"x"}]`
	r.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/check", strings.NewReader(body)))
	var out struct{ Results []decision }
	json.Unmarshal(rec.Body.Bytes(), &out)
	if len(out.Results) != 3 || !out.Results[0].Allowed || out.Results[1].Reasons[0].Code != "invalid_key" || out.Results[2].Allowed || len(out.Results[2].Reasons) != 2 {
		t.Fatalf("batch: %s", rec.Body.Bytes())
	}
}
