package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/sms"
	"github.com/hushcrm/hush/unsubscribe"
)

func TestCheckGet(t *testing.T) {
	f := newFixture(t, nil)
	cases := []struct {
		name    string
		query   string
		status  int
		allowed bool
		code    string // reason code (200) or error code
		field   string // error field
	}{
		{"listed", "phone=(202)%20555-0100&channel=call&purpose=direct_marketing", 200, false, "list", ""},
		{"clean", "phone=2025550199&channel=call&purpose=direct_marketing", 200, true, "", ""},
		{"list scope: mail not covered", "phone=2025550100&channel=mail&purpose=direct_marketing", 200, true, "", ""},
		{"invalid key fails closed with 200", "phone=12&channel=call&purpose=direct_marketing", 200, false, "invalid_key", ""},
		{"letters in phone", "phone=CALLME&channel=call&purpose=direct_marketing", 200, false, "invalid_key", ""},
		{"bad email", "email=nobody&channel=email&purpose=direct_marketing", 200, false, "invalid_key", ""},
		{"missing subject", "channel=call&purpose=direct_marketing", 400, false, "missing_parameter", "phone"},
		{"missing channel", "phone=2025550199&purpose=direct_marketing", 400, false, "missing_parameter", "channel"},
		{"missing purpose", "phone=2025550199&channel=call", 400, false, "missing_parameter", "purpose"},
		{"unknown channel", "phone=2025550199&channel=fax&purpose=direct_marketing", 400, false, "invalid_input", "channel"},
		{"unknown parameter", "phnoe=2025550199&channel=call&purpose=direct_marketing", 400, false, "invalid_parameter", "phnoe"},
		{"repeated parameter", "phone=1&phone=2&channel=call&purpose=direct_marketing", 400, false, "invalid_parameter", "phone"},
		{"bad at", "phone=2025550199&channel=call&purpose=direct_marketing&at=yesterday", 400, false, "invalid_parameter", "at"},
		{"bad escape", "phone=%zz&channel=call&purpose=direct_marketing", 400, false, "invalid_parameter", "phone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.get("/v1/check?"+c.query, access.Agent)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if c.status != 200 {
				code, field := r.errOf(t)
				if code != c.code || field != c.field {
					t.Fatalf("error %s/%s, want %s/%s: %s", code, field, c.code, c.field, r.body)
				}
				return
			}
			m := r.json(t)
			if m["allowed"] != c.allowed {
				t.Fatalf("allowed=%v: %s", m["allowed"], r.body)
			}
			rs := m["reasons"].([]any)
			if c.code == "" {
				if len(rs) != 0 {
					t.Fatalf("reasons on an allowed answer: %s", r.body)
				}
				return
			}
			if len(rs) == 0 || rs[0].(map[string]any)["code"] != c.code {
				t.Fatalf("want reason %s: %s", c.code, r.body)
			}
			if c.code == "list" {
				r0 := rs[0].(map[string]any)
				if r0["list"] != "national_dnc" || r0["source"] != "national_registry" || r0["since"] == "" || m["key"] != "+12025550100" || m["version"].(float64) == 0 {
					t.Fatalf("answer lacks list/source/since/key/version: %s", r.body)
				}
			}
		})
	}
}

func TestAuthAndRoles(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	_, expiring, _ := f.e.CreateKey(ctx, access.Agent, "temp", f.clock().Add(time.Hour))
	k, revoked, _ := f.e.CreateKey(ctx, access.Agent, "gone", time.Time{})
	f.e.RevokeKey(ctx, k.ID, "test")
	f.advance(2 * time.Hour)
	check := "/v1/check?phone=2025550199&channel=call&purpose=direct_marketing"
	cases := []struct {
		name, method, path, key string
		status                  int
	}{
		{"no key", "GET", check, "", 401},
		{"malformed key", "GET", check, "letmein", 401},
		{"unknown key", "GET", check, tamper(f.keys[access.Agent]), 401},
		{"expired key", "GET", check, expiring, 401},
		{"revoked key", "GET", check, revoked, 401},
		{"agent checks", "GET", check, f.keys[access.Agent], 200},
		{"analyst may not check", "GET", check, f.keys[access.Analyst], 403},
		{"agent may not export", "GET", "/v1/lists/national_dnc/export?why=curious", f.keys[access.Agent], 403},
		{"marketer may not export", "GET", "/v1/lists/national_dnc/export?why=curious", f.keys[access.Marketer], 403},
		{"agent may not look up subjects", "GET", "/v1/subjects/phone/2025550100?why=x", f.keys[access.Agent], 403},
		{"agent may not read the access log", "GET", "/v1/accesslog", f.keys[access.Agent], 403},
		{"agent may not see lists", "GET", "/v1/lists", f.keys[access.Agent], 403},
		{"marketer may not create keys", "GET", "/v1/keys", f.keys[access.Marketer], 403},
		{"admin lists keys", "GET", "/v1/keys", f.keys[access.Admin], 200},
		{"admin may not read subjects", "GET", "/v1/subjects/phone/2025550100?why=x", f.keys[access.Admin], 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(c.method, c.path, c.key, "", nil)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if c.status >= 400 {
				code, _ := r.errOf(t)
				if want := map[int]string{401: "unauthorized", 403: "forbidden"}[c.status]; code != want {
					t.Fatalf("code %s, want %s", code, want)
				}
			}
		})
	}
	// Keys are stored as hashes: nothing the API lists holds a secret.
	r := f.get("/v1/keys", access.Admin)
	for _, key := range f.keys {
		if contains(r.body, key) || contains(r.body, key[len(key)-20:]) {
			t.Fatal("GET /v1/keys shows a key's secret")
		}
	}
}

func tamper(key string) string {
	last := byte('0')
	if key[len(key)-1] == '0' {
		last = '1'
	}
	return key[:len(key)-1] + string(last)
}

func TestBodyLimitsAndContentTypes(t *testing.T) {
	f := newFixture(t, func(c *config.Server) { c.MaxBodyBytes = 64 << 10; c.MaxUploadBytes = 128 << 10 })
	agent := f.keys[access.Agent]
	mkt := f.keys[access.Marketer]
	big := bytes.Repeat([]byte(" "), 100<<10)
	cases := []struct {
		name, method, path, key, ct string
		body                        []byte
		chunked                     bool
		status                      int
		code                        string
	}{
		{"oversize batch (declared)", "POST", "/v1/check", agent, "application/json", big, false, 413, "body_too_large"},
		{"oversize batch (chunked)", "POST", "/v1/check", agent, "application/json", append([]byte("["), big...), true, 413, "body_too_large"},
		{"oversize upload", "POST", "/v1/lists/national_dnc/import?format=registry", mkt, "text/plain", bytes.Repeat([]byte("2025550100\n"), 20000), true, 413, "body_too_large"},
		{"batch as text", "POST", "/v1/check", agent, "text/plain", []byte(`[]`), false, 415, "unsupported_media_type"},
		{"batch without type", "POST", "/v1/check", agent, "", []byte(`[]`), false, 415, "unsupported_media_type"},
		{"opt-out as form", "POST", "/v1/optouts", mkt, "application/x-www-form-urlencoded", []byte(`phone=1`), false, 415, "unsupported_media_type"},
		{"import as JSON", "POST", "/v1/lists/national_dnc/import", mkt, "application/json", []byte(`{}`), false, 415, "unsupported_media_type"},
		{"scrub as JSON", "POST", "/v1/scrub?channel=call&purpose=direct_marketing&map=phone=phone", mkt, "application/json", []byte(`{}`), false, 415, "unsupported_media_type"},
		{"sms as JSON", "POST", "/v1/inbound/sms", "", "application/json", []byte(`{"From":"+12025550100"}`), false, 415, "unsupported_media_type"},
		{"malformed JSON", "POST", "/v1/check", agent, "application/json", []byte(`[{"phone": "2025550100", "channel": }]`), false, 400, "malformed_json"},
		{"JSON not an array", "POST", "/v1/check", agent, "application/json", []byte(`{"phone":"1"}`), false, 400, "invalid_parameter"},
		{"JSON cut short", "POST", "/v1/check", agent, "application/json", []byte(`[{"phone":"2025550100","channel":"call","purpose":"x"}`), false, 400, "malformed_json"},
		{"JSON trailing data", "POST", "/v1/check", agent, "application/json", []byte(`[{"phone":"2025550100","channel":"call","purpose":"x"}] []`), false, 400, "invalid_parameter"},
		{"JSON unknown field", "POST", "/v1/check", agent, "application/json", []byte(`[{"phnoe":"2025550100","channel":"call","purpose":"x"}]`), false, 400, "unknown_field"},
		{"JSON wrong type", "POST", "/v1/check", agent, "application/json", []byte(`[{"phone":2025550100,"channel":"call","purpose":"x"}]`), false, 400, "malformed_json"},
		{"empty batch", "POST", "/v1/check", agent, "application/json", []byte(`[]`), false, 400, "invalid_parameter"},
		{"malformed NDJSON", "POST", "/v1/check", agent, "application/x-ndjson", []byte("{\"phone\":\"2025550100\",\"channel\":\"call\",\"purpose\":\"x\"}\n{\"phone\":\n"), false, 400, "malformed_json"},
		{"two values on an NDJSON line", "POST", "/v1/check", agent, "application/x-ndjson", []byte(`{"phone":"1","channel":"call","purpose":"x"} {"phone":"2"}`), false, 400, "invalid_parameter"},
		{"malformed opt-out", "POST", "/v1/optouts", mkt, "application/json", []byte(`{"phone":`), false, 400, "malformed_json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body = bytes.NewReader(c.body)
			req, _ := http.NewRequest(c.method, f.ts.URL+c.path, body)
			if c.chunked {
				req, _ = http.NewRequest(c.method, f.ts.URL+c.path, struct{ *bytes.Reader }{body}) // hides the length
			}
			if c.key != "" {
				req.Header.Set("Authorization", "Bearer "+c.key)
			}
			if c.ct != "" {
				req.Header.Set("Content-Type", c.ct)
			}
			res, err := f.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(res.Body)
			r := resp{res.StatusCode, res.Header, b.Bytes()}
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if code, _ := r.errOf(t); code != c.code {
				t.Fatalf("code %s, want %s: %s", code, c.code, r.body)
			}
		})
	}
	if n := f.listLen("national_dnc"); n != 3 {
		t.Fatalf("refused upload changed the list: %d entries", n)
	}
}

func batchBody(n int, ndjson bool) []byte {
	var b bytes.Buffer
	if !ndjson {
		b.WriteByte('[')
	}
	for i := 0; i < n; i++ {
		if i > 0 && !ndjson {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"phone":"+1202555%04d","channel":"call","purpose":"direct_marketing"}`, i%10000)
		if ndjson {
			b.WriteByte('\n')
		}
	}
	if !ndjson {
		b.WriteByte(']')
	}
	return b.Bytes()
}

func TestBatchCheck(t *testing.T) {
	f := newFixture(t, func(c *config.Server) { c.MaxBodyBytes = 8 << 20 })
	agent := f.keys[access.Agent]
	for _, ndjson := range []bool{false, true} {
		ct := map[bool]string{false: "application/json", true: "application/x-ndjson"}[ndjson]
		t.Run(ct, func(t *testing.T) {
			r := f.do("POST", "/v1/check", agent, ct, bytes.NewReader(batchBody(10000, ndjson)))
			if r.status != 200 {
				t.Fatalf("10,000: %d %s", r.status, r.body[:min(len(r.body), 300)])
			}
			var out struct {
				Results []struct {
					Allowed bool   `json:"allowed"`
					Key     string `json:"key"`
				} `json:"results"`
			}
			if err := json.Unmarshal(r.body, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Results) != 10000 {
				t.Fatalf("%d results", len(out.Results))
			}
			for i, d := range out.Results {
				if want := fmt.Sprintf("+1202555%04d", i); d.Key != want {
					t.Fatalf("result %d is for %s, want %s: order not kept", i, d.Key, want)
				}
				if want := i < 100 || i > 102; d.Allowed != want {
					t.Fatalf("result %d allowed=%v", i, d.Allowed)
				}
			}
			r = f.do("POST", "/v1/check", agent, ct, bytes.NewReader(batchBody(10001, ndjson)))
			if r.status != 413 {
				t.Fatalf("10,001: status %d", r.status)
			}
			if code, field := r.errOf(t); code != "batch_too_large" || field != "body" {
				t.Fatalf("10,001: %s/%s", code, field)
			}
		})
	}
	// A bad item names its index; invalid keys fail closed in place.
	r := f.do("POST", "/v1/check", agent, "application/json", strings.NewReader(`[{"phone":"2025550199","channel":"call","purpose":"direct_marketing"},{"phone":"2025550199","purpose":"direct_marketing"}]`))
	if code, field := r.errOf(t); r.status != 400 || code != "missing_parameter" || field != "1.channel" {
		t.Fatalf("missing channel in item 1: %d %s", r.status, r.body)
	}
	r = f.do("POST", "/v1/check", agent, "application/json", strings.NewReader(`[{"phone":"x1","channel":"call","purpose":"direct_marketing"},{"phone":"2025550199","channel":"call","purpose":"direct_marketing"}]`))
	if r.status != 200 || !contains(r.body, `{"allowed":false,"reasons":[{"code":"invalid_key"`) || !contains(r.body, `"allowed":true`) {
		t.Fatalf("invalid key in a batch: %d %s", r.status, r.body)
	}
}

func TestOptOutReadYourWritesAndSubjectLog(t *testing.T) {
	f := newFixture(t, nil)
	for i := 0; i < 200; i++ {
		phone := fmt.Sprintf("+1312555%04d", i)
		q := "phone=" + url.QueryEscape(phone) + "&channel=call&purpose=direct_marketing"
		if !f.allowed(q) {
			t.Fatalf("%s suppressed before its opt-out", phone)
		}
		r := f.postJSON("/v1/optouts", access.Marketer, map[string]any{"phone": phone, "channels": []string{"call"}, "purposes": []string{"direct_marketing"}, "evidence": "call recording 1"})
		if r.status != 200 {
			t.Fatalf("opt-out: %d %s", r.status, r.body)
		}
		if f.allowed(q) {
			t.Fatalf("check right after the acknowledged opt-out of %s says allowed", phone)
		}
	}
	// Opting back in needs evidence.
	body := `{"phone":"+13125550000","channels":["call"],"purposes":["direct_marketing"]}`
	r := f.do("DELETE", "/v1/optouts", f.keys[access.Marketer], "application/json", strings.NewReader(body))
	if code, field := r.errOf(t); r.status != 400 || code != "evidence_required" || field != "evidence" {
		t.Fatalf("opt-in without evidence: %d %s", r.status, r.body)
	}
	body = `{"phone":"+13125550000","channels":["call"],"purposes":["direct_marketing"],"evidence":"signed form 7"}`
	if r := f.do("DELETE", "/v1/optouts", f.keys[access.PrivacyOfficer], "application/json", strings.NewReader(body)); r.status != 200 {
		t.Fatalf("opt-in: %d %s", r.status, r.body)
	}
	if !f.allowed("phone=%2B13125550000&channel=call&purpose=direct_marketing") {
		t.Fatal("opt-in with evidence not applied")
	}
	// Subject look-ups need a why, and are logged before they answer.
	if r := f.get("/v1/subjects/phone/3125550001", access.PrivacyOfficer); r.status != 400 {
		t.Fatalf("look-up without why: %d", r.status)
	}
	r = f.get("/v1/subjects/phone/3125550001?why=DSAR-42", access.PrivacyOfficer)
	if r.status != 200 || !contains(r.body, `"evidence":"call recording 1"`) {
		t.Fatalf("subject: %d %s", r.status, r.body)
	}
	r = f.get("/v1/subjects/phone/2025550100?why=DSAR-43", access.PrivacyOfficer)
	if !contains(r.body, `"list":"national_dnc"`) {
		t.Fatalf("subject on a list: %s", r.body)
	}
	if r := f.get("/v1/lists/national_dnc/export?why=regulator%20request", access.PrivacyOfficer); r.status != 200 || string(r.body) != "phone,expires\n+12025550100,\n+12025550101,\n+12025550102,\n" {
		t.Fatalf("export: %d %q", r.status, r.body)
	}
	r = f.get("/v1/accesslog", access.PrivacyOfficer)
	var log struct {
		Entries []struct {
			Action, Subject, Why string
			KeyID                string `json:"key_id"`
		} `json:"entries"`
	}
	json.Unmarshal(r.body, &log)
	if len(log.Entries) != 3 || log.Entries[0].Why != "DSAR-42" || log.Entries[0].Subject != "phone:+13125550001" || log.Entries[2].Action != "list_export" || log.Entries[2].KeyID == "" {
		t.Fatalf("access log: %s", r.body)
	}
}

func TestImportJobAndCutOffUpload(t *testing.T) {
	f := newFixture(t, nil)
	mkt := f.keys[access.Marketer]
	file := "2025550100\n202-555-0200\nnot a number\n(202) 555-0201\n"
	r := f.do("POST", "/v1/lists/national_dnc/import?format=registry&mode=add&wait=true", mkt, "text/plain", strings.NewReader(file))
	if r.status != 200 || !contains(r.body, `"state":"done"`) || !contains(r.body, `"rejected":1`) {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	if n := f.listLen("national_dnc"); n != 5 {
		t.Fatalf("after import %d entries", n)
	}
	var j struct {
		Job struct {
			ID    string            `json:"id"`
			Files map[string]string `json:"files"`
		} `json:"job"`
	}
	json.Unmarshal(r.body, &j)
	if rej := f.do("GET", j.Job.Files["rejected"], mkt, "", nil); rej.status != 200 || !contains(rej.body, "not a number") {
		t.Fatalf("rejected rows: %d %s", rej.status, rej.body)
	}
	if other := f.do("GET", "/v1/jobs/"+j.Job.ID, f.keys[access.Analyst], "", nil); other.status != 403 {
		t.Fatalf("analyst reads a job: %d", other.status)
	}
	// Async: 202 with a job to poll.
	r = f.do("POST", "/v1/lists/national_dnc/import?format=registry&mode=add", mkt, "text/plain", strings.NewReader("2025550300\n"))
	if r.status != 202 || r.header.Get("Location") == "" {
		t.Fatalf("async import: %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := f.do("GET", r.header.Get("Location"), mkt, "", nil)
		if contains(p.body, `"state":"done"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never finished: %s", p.body)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// An upload cut off half-way: the connection closes after half the
	// declared bytes. The list is unchanged and the job says why.
	before := f.listLen("national_dnc")
	full := strings.Repeat("2025551234\n", 1000)
	conn, err := net.Dial("tcp", f.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /v1/lists/national_dnc/import?format=registry&mode=replace HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", mkt, len(full), full[:len(full)/2])
	conn.(*net.TCPConn).CloseWrite()
	bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	deadline = time.Now().Add(10 * time.Second)
	for {
		jobs := f.get("/v1/jobs", access.Marketer)
		if contains(jobs.body, `"state":"failed"`) {
			if !contains(jobs.body, "cut off after") || !contains(jobs.body, fmt.Sprintf("of %d", len(full))) {
				t.Fatalf("failed job does not say why: %s", jobs.body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed job: %s", jobs.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.listLen("national_dnc"); n != before {
		t.Fatalf("cut-off replace import changed the list: %d -> %d", before, n)
	}
	// A file with a bad gzip body fails the job, list unchanged.
	r = f.do("POST", "/v1/lists/national_dnc/import?format=registry&wait=true", mkt, "application/gzip", bytes.NewReader([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3}))
	if r.status != 422 || !contains(r.body, "unchanged") {
		t.Fatalf("bad gzip: %d %s", r.status, r.body)
	}
	if n := f.listLen("national_dnc"); n != before {
		t.Fatalf("failed import changed the list")
	}
	if r := f.do("POST", "/v1/lists/nope/import", mkt, "text/plain", strings.NewReader("1\n")); r.status != 404 {
		t.Fatalf("unknown list: %d", r.status)
	}
}

func TestScrubJob(t *testing.T) {
	f := newFixture(t, nil)
	mkt := f.keys[access.Marketer]
	in := "id,phone\n1,2025550100\n2,2025550199\n3,12\n"
	r := f.do("POST", "/v1/scrub?channel=call&purpose=direct_marketing&map=phone=phone&wait=true", mkt, "text/csv", strings.NewReader(in))
	if r.status != 200 {
		t.Fatalf("scrub: %d %s", r.status, r.body)
	}
	var j struct {
		Job struct {
			Files map[string]string `json:"files"`
		} `json:"job"`
	}
	json.Unmarshal(r.body, &j)
	want := map[string]string{"clean": "2,2025550199", "suppressed": "national_dnc", "rejected": "invalid_phone", "manifest": `"hush-scrub-manifest/1"`}
	for name, s := range want {
		d := f.do("GET", j.Job.Files[name], mkt, "", nil)
		if d.status != 200 || !contains(d.body, s) {
			t.Fatalf("%s: %d %s", name, d.status, d.body)
		}
	}
	if r := f.do("POST", "/v1/scrub?channel=call&purpose=direct_marketing", mkt, "text/csv", strings.NewReader(in)); r.status != 400 {
		t.Fatalf("scrub without map: %d", r.status)
	}
}

func TestSMSKeywords(t *testing.T) {
	const token = "gateway-secret"
	f := newFixture(t, func(c *config.Server) { c.SMSAuthToken = token })
	post := func(form url.Values, sig string) resp {
		return f.do("POST", "/v1/inbound/sms", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "X-Twilio-Signature", sig)
	}
	signed := func(from, body string) resp {
		form := url.Values{"From": {from}, "To": {"+18005550000"}, "Body": {body}, "MessageSid": {"SM1"}}
		return post(form, sms.Signature(token, "http://hush.test/v1/inbound/sms", form))
	}
	smsAllowed := func(phone string) bool {
		return f.allowed("phone=" + url.QueryEscape(phone) + "&channel=sms&purpose=direct_marketing")
	}
	form := url.Values{"From": {"+12025557777"}, "Body": {"STOP"}}
	for _, sig := range []string{"", "bm90IGEgc2lnbmF0dXJl", sms.Signature("wrong", "http://hush.test/v1/inbound/sms", form), sms.Signature(token, "http://evil.test/v1/inbound/sms", form)} {
		if r := post(form, sig); r.status != 403 {
			t.Fatalf("bad signature %q: %d %s", sig, r.status, r.body)
		}
	}
	if !smsAllowed("+12025557777") {
		t.Fatal("a request with a bad signature opted the number out")
	}
	r := signed("+12025557777", "  stop \n")
	if r.status != 200 || !contains(r.body, "<Response><Message>You are unsubscribed") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/xml") {
		t.Fatalf("STOP: %d %s", r.status, r.body)
	}
	if smsAllowed("+12025557777") {
		t.Fatal("STOP did not opt out")
	}
	if !f.allowed("phone=%2B12025557777&channel=call&purpose=direct_marketing") {
		t.Fatal("SMS STOP suppressed calls too")
	}
	if r := signed("+12025557777", "Stop sending me stuff"); r.status != 200 || contains(r.body, "<Message>") {
		t.Fatalf("a sentence is not a keyword: %s", r.body)
	}
	if r := signed("+12025557777", "help"); !contains(r.body, "Reply STOP") {
		t.Fatalf("HELP: %s", r.body)
	}
	if r := signed("+12025557777", "UNSTOP"); !contains(r.body, "subscribed again") || !smsAllowed("+12025557777") {
		t.Fatalf("START after a keyword STOP: %s", r.body)
	}
	for _, kw := range []string{"STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"} {
		phone := "+1202555" + fmt.Sprintf("%04d", 8000+len(kw))
		signed(phone, kw)
		if smsAllowed(phone) {
			t.Fatalf("%s did not opt out", kw)
		}
	}
	// START does not undo an opt-out made another way.
	f.postJSON("/v1/optouts", access.Marketer, map[string]any{"phone": "+12025556666", "channels": []string{"sms"}, "purposes": []string{"all"}, "source": "customer_request"})
	if r := signed("+12025556666", "YES"); !contains(r.body, "cannot be undone by text") || smsAllowed("+12025556666") {
		t.Fatalf("START undid a non-SMS opt-out: %s", r.body)
	}
}

func TestOneClickUnsubscribe(t *testing.T) {
	f := newFixture(t, nil)
	n, _ := contactkey.NewNormalizer("US")
	key, _ := n.Key(contactkey.KindEmail, []byte("ann@example.com"), f.e.Hasher())
	tok, _ := unsubscribe.Mint(f.s.d.TokenSecret, unsubscribe.Token{Key: key.V, Purpose: "direct_marketing", Campaign: "xmas"})
	mailOK := func(addr string) bool {
		return f.allowed("email=" + url.QueryEscape(addr) + "&channel=email&purpose=direct_marketing")
	}
	// A GET shows a page and unsubscribes nobody.
	r := f.do("GET", "/u/"+tok, "", "", nil)
	if r.status != 200 || !contains(r.body, `<form method="post"`) || !contains(r.body, `name="List-Unsubscribe" value="One-Click"`) {
		t.Fatalf("GET page: %d %s", r.status, r.body)
	}
	if !mailOK("ann@example.com") {
		t.Fatal("GET /u/{token} unsubscribed")
	}
	// Forged and tampered tokens are refused and change nothing.
	other, _ := n.Key(contactkey.KindEmail, []byte("bob@example.com"), f.e.Hasher())
	forged, _ := unsubscribe.Mint([]byte("not the server secret at all!!"), unsubscribe.Token{Key: other.V, Purpose: "direct_marketing"})
	b := []byte(tok)
	b[5] ^= 1
	for _, bad := range []string{forged, string(b), tok[:len(tok)-3], "garbage"} {
		r := f.do("POST", "/u/"+bad, "", "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if r.status != 403 && r.status != 400 {
			t.Fatalf("bad token %q: %d", bad, r.status)
		}
	}
	if !mailOK("bob@example.com") || !mailOK("ann@example.com") {
		t.Fatal("a bad token unsubscribed someone")
	}
	if r := f.do("POST", "/u/"+tok, "", "application/x-www-form-urlencoded", strings.NewReader("foo=bar")); r.status != 400 {
		t.Fatalf("POST without List-Unsubscribe=One-Click: %d", r.status)
	}
	r = f.do("POST", "/u/"+tok, "", "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if r.status != 200 || mailOK("ann@example.com") {
		t.Fatalf("one-click: %d %s", r.status, r.body)
	}
	if !mailOK("bob@example.com") {
		t.Fatal("ann's token unsubscribed bob")
	}
	// Minting through the API for a send file.
	send := "id,email\n1,ann@example.com\n2,broken\n"
	r = f.do("POST", "/v1/tokens?purpose=direct_marketing&campaign=xmas", f.keys[access.Marketer], "text/csv", strings.NewReader(send))
	if r.status != 200 || !contains(r.body, "<http://hush.test/u/") || !contains(r.body, "invalid_email") {
		t.Fatalf("tokens: %d %s", r.status, r.body)
	}
}

func TestReadinessAndListAdmin(t *testing.T) {
	f := newFixture(t, nil)
	cfg := config.ServerDefaults()
	cfg.Listen = ":0"
	cfg.Validate()
	n, _ := contactkey.NewNormalizer("US")
	s, err := New(cfg, Deps{Normalizer: n, TokenSecret: make([]byte, 32), JobsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/readyz", "/v1/check?phone=1&channel=call&purpose=x"} {
		rec := doHandler(s.Handler(), "GET", p)
		if rec.Code != 503 {
			t.Fatalf("%s before recovery: %d", p, rec.Code)
		}
	}
	if rec := doHandler(s.Handler(), "GET", "/healthz"); rec.Code != 200 {
		t.Fatalf("healthz: %d", rec.Code)
	}
	admin := access.Admin
	r := f.postJSON("/v1/lists", admin, map[string]any{"name": "mail_dnm", "kind": "address", "channels": []string{"mail"}, "purposes": []string{"direct_marketing"}, "source": "customer_request"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := f.postJSON("/v1/lists", admin, map[string]any{"name": "mail_dnm", "kind": "address", "source": "x"}); r.status != 409 {
		t.Fatalf("duplicate: %d", r.status)
	}
	if r := f.postJSON("/v1/lists", admin, map[string]any{"name": "x", "kind": "fax", "source": "x"}); r.status != 400 {
		t.Fatalf("bad kind: %d", r.status)
	} else if _, field := r.errOf(t); field != "kind" {
		t.Fatalf("bad kind field %q", field)
	}
	if r := f.get("/v1/lists/mail_dnm", access.Marketer); r.status != 200 || !contains(r.body, `"digest":"sha256:`) {
		t.Fatalf("describe: %d %s", r.status, r.body)
	}
	if r := f.do("DELETE", "/v1/lists/mail_dnm", f.keys[admin], "", nil); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := f.get("/v1/lists/mail_dnm", access.Marketer); r.status != 404 {
		t.Fatalf("deleted list: %d", r.status)
	}
	m := f.do("GET", "/metrics", "", "", nil)
	for _, want := range []string{`hush_http_request_duration_seconds_bucket{code="200",method="GET",route="/v1/lists/:name"`, `hush_list_entries{kind="phone",list="national_dnc",type="deny"} 3`, "hush_journal_sequence", "hush_decisions_total"} {
		if !contains(m.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestTooManyInFlightAndJobs(t *testing.T) {
	f := newFixture(t, func(c *config.Server) { c.MaxInFlight = 1; c.MaxJobs = 1 })
	f.s.inflight <- struct{}{} // one request in flight
	r := f.get("/v1/check?phone=2025550199&channel=call&purpose=direct_marketing", access.Agent)
	if code, _ := r.errOf(t); r.status != 429 || code != "too_many_requests" || r.header.Get("Retry-After") == "" {
		t.Fatalf("over max_in_flight: %d %s", r.status, r.body)
	}
	<-f.s.inflight
	f.s.jobs.slots <- struct{}{} // one job running
	r = f.do("POST", "/v1/lists/national_dnc/import?format=registry", f.keys[access.Marketer], "text/plain", strings.NewReader("2025550100\n"))
	if code, _ := r.errOf(t); r.status != 429 || code != "too_many_jobs" {
		t.Fatalf("over max_jobs: %d %s", r.status, r.body)
	}
	<-f.s.jobs.slots
	if r := f.get("/v1/check?phone=2025550199&channel=call&purpose=direct_marketing", access.Agent); r.status != 200 {
		t.Fatalf("after the limits cleared: %d", r.status)
	}
}

func TestPrivacyOfficerRemovesAnEntry(t *testing.T) {
	f := newFixture(t, nil)
	if f.allowed("phone=2025550101&channel=call&purpose=direct_marketing") {
		t.Fatal("setup")
	}
	if r := f.do("DELETE", "/v1/lists/national_dnc/entries/2025550101?why=listed+in+error", f.keys[access.Marketer], "", nil); r.status != 403 {
		t.Fatalf("marketer removes: %d", r.status)
	}
	if r := f.do("DELETE", "/v1/lists/national_dnc/entries/2025550101", f.keys[access.PrivacyOfficer], "", nil); r.status != 400 {
		t.Fatalf("without why: %d", r.status)
	}
	r := f.do("DELETE", "/v1/lists/national_dnc/entries/2025550101?why=listed+in+error", f.keys[access.PrivacyOfficer], "", nil)
	if r.status != 200 || !contains(r.body, `"removed":1`) {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	if !f.allowed("phone=2025550101&channel=call&purpose=direct_marketing") || f.allowed("phone=2025550100&channel=call&purpose=direct_marketing") {
		t.Fatal("removal did not apply, or applied to more than the one entry")
	}
}

// A client that stops sending mid-upload is cut after the idle timeout;
// the job says so and nothing is applied.
func TestStalledUploadIsCut(t *testing.T) {
	f := newFixture(t, func(c *config.Server) { c.UploadIdleTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", f.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/lists/national_dnc/import?format=registry HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n2025551234\n", f.keys[access.Marketer])
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, _ := bufio.NewReader(conn).ReadString('\n')
	if !strings.Contains(status, "400") {
		t.Fatalf("stalled upload answered %q", status)
	}
	jobs := f.get("/v1/jobs", access.Marketer)
	if !contains(jobs.body, `"state":"failed"`) || !contains(jobs.body, "timeout") {
		t.Fatalf("job: %s", jobs.body)
	}
	if n := f.listLen("national_dnc"); n != 3 {
		t.Fatalf("stalled upload changed the list: %d", n)
	}
}

// Uploads of one spool buffer or many, cut anywhere, arrive whole: every
// line of the file is in the list after the import.
func TestImportSpoolsUploadsOfAnySize(t *testing.T) {
	f := newFixture(t, nil)
	mkt := f.keys[access.Marketer]
	for _, lines := range []int{1, 23831, 23832, 100_000} { // 11-byte lines: 23831 fit in 256 KiB
		t.Run(fmt.Sprint(lines), func(t *testing.T) {
			var b strings.Builder
			for i := range lines {
				fmt.Fprintf(&b, "%03d%03d%04d\n", 212+100*(i%3), 234+i/10000, i%10000)
			}
			r := f.do("POST", "/v1/lists/national_dnc/import?format=registry&mode=replace&wait=true", mkt, "text/plain", strings.NewReader(b.String()))
			if r.status != 200 || !contains(r.body, `"state":"done"`) {
				t.Fatalf("import: %d %s", r.status, r.body)
			}
			if n := f.listLen("national_dnc"); n != uint64(lines) {
				t.Fatalf("%d entries after importing %d lines", n, lines)
			}
		})
	}
}
