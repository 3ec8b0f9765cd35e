package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hushcrm/hush/access"
)

var (
	fuzzOnce sync.Once
	fuzzFix  *fixture
)

// fuzzServer is one fixture shared by all fuzz inputs (building one per
// input would dominate the run).
func fuzzServer(f *testing.F) *fixture {
	fuzzOnce.Do(func() { fuzzFix = newFixture(f, nil) })
	return fuzzFix
}

// FuzzCheckQuery sends arbitrary query strings to GET /v1/check: the
// answer is 200 with a decision (allowed only when every key parsed and
// no list holds it) or a 400 naming a field; never a panic or a 500.
func FuzzCheckQuery(f *testing.F) {
	fx := fuzzServer(f)
	for _, s := range []string{
		"phone=2025550100&channel=call&purpose=direct_marketing",
		"phone=%2B1%20202%20555%200199&channel=sms&purpose=direct_marketing&at=2026-01-01",
		"email=A%40B.com&channel=email&purpose=x&sponsor=acme",
		"customer=C1&address=1%20Main%20St&channel=mail&purpose=third_party_disclosure",
		"phone=&channel=&purpose=", "phone=12", "&&&", "phone=%", "phone=1&phone=1", "=x", "a=b=c", "phone=\x00",
	} {
		f.Add(s)
	}
	key := fx.keys[access.Agent]
	f.Fuzz(func(t *testing.T, q string) {
		req := httptest.NewRequest("GET", "/v1/check", nil)
		req.URL.RawQuery = q
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		fx.s.Handler().ServeHTTP(rec, req)
		checkAnswer(t, rec, q)
		if rec.Code == 200 {
			var d struct {
				Allowed *bool            `json:"allowed"`
				Reasons []map[string]any `json:"reasons"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || d.Allowed == nil {
				t.Fatalf("200 without a decision for %q: %s", q, rec.Body.Bytes())
			}
			if *d.Allowed && len(d.Reasons) > 0 {
				t.Fatalf("allowed with reasons for %q", q)
			}
			if !*d.Allowed && len(d.Reasons) == 0 {
				t.Fatalf("suppressed without a reason for %q", q)
			}
		}
	})
}

func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, in string) {
	t.Helper()
	switch rec.Code {
	case 200:
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON for %q: %q", in, rec.Body.Bytes())
		}
	case 400, 413:
		var e errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("error answer without code/message for %q: %s", in, rec.Body.Bytes())
		}
	default:
		t.Fatalf("status %d for %q: %s", rec.Code, in, rec.Body.Bytes())
	}
}

// FuzzBatchBody posts arbitrary bodies to POST /v1/check as JSON and as
// NDJSON: 200 with one result per item, or a 400/413; never a 500.
func FuzzBatchBody(f *testing.F) {
	fx := fuzzServer(f)
	for _, s := range []string{
		`[{"phone":"2025550100","channel":"call","purpose":"direct_marketing"}]`,
		`[{"phone":"x","channel":"call","purpose":"direct_marketing"},{"email":"a@b.c","channel":"email","purpose":"p"}]`,
		"{\"phone\":\"2025550100\",\"channel\":\"call\",\"purpose\":\"direct_marketing\"}\n\n{\"customer\":\"c\",\"channel\":\"push\",\"purpose\":\"p\"}\n",
		`[`, `]`, `[{}]`, `[null]`, `[1,2]`, `{"a":1}`, "", "\n", `[{"phone":"1"}] x`, `[{"phone":"\ud800"}]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	key := fx.keys[access.Agent]
	f.Fuzz(func(t *testing.T, body []byte, ndjson bool) {
		ct := "application/json"
		if ndjson {
			ct = "application/x-ndjson"
		}
		req := httptest.NewRequest("POST", "/v1/check", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		fx.s.Handler().ServeHTTP(rec, req)
		checkAnswer(t, rec, string(body))
		if rec.Code == http.StatusOK {
			var out struct {
				Results []json.RawMessage `json:"results"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Results) == 0 {
				t.Fatalf("200 without results: %s", rec.Body.Bytes())
			}
			if !ndjson {
				var items []json.RawMessage
				if json.Unmarshal(body, &items) == nil && len(items) != len(out.Results) {
					t.Fatalf("%d items, %d results", len(items), len(out.Results))
				}
			} else if n := countLines(body); n != len(out.Results) {
				t.Fatalf("%d lines, %d results", n, len(out.Results))
			}
		}
	})
}

func countLines(b []byte) int {
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// FuzzFastBatchMatchesJSON: whenever the fast decoder accepts a body,
// encoding/json accepts it too and reads the same checks.
func FuzzFastBatchMatchesJSON(f *testing.F) {
	for _, s := range []string{
		`[{"phone":"2025550100","channel":"call","purpose":"direct_marketing"}]`,
		` [ {"phone" : "a" , "phone":"b"} , {} ] `,
		`[{"email":"é@x.fr","channel":"email","purpose":"p","sponsor":"s","at":"2026-01-01"}]`,
		`[{"Phone":"1"}]`, `[{"phone":"a\"b"}]`, `[{"phone":1}]`, `[{"phone":"\xff"}]`, `[{}] x`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok, over := fastBatch(b, 10000, nil)
		if over || !ok {
			return
		}
		slow, err := decodeJSONBatch(bytes.NewReader(b), 10000)
		if err != nil {
			t.Fatalf("fast path accepted %q, encoding/json says %v", b, err)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%q: %d vs %d checks", b, len(fast), len(slow))
		}
		for i := range fast {
			if fast[i] != slow[i] {
				t.Fatalf("%q item %d: fast %+v, json %+v", b, i, fast[i], slow[i])
			}
		}
		var line checkRequest
		if len(fast) == 1 {
			inner := bytes.TrimSpace(b)
			inner = bytes.TrimSpace(inner[1 : len(inner)-1])
			if fastLine(inner, &line, &interner{}) && line != fast[0] {
				t.Fatalf("%q: line decoder differs", b)
			}
		}
	})
}
