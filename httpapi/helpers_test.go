package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/suppression"
)

var testSecret = bytes.Repeat([]byte{5}, 32)

// fixture is a server over a real engine and journal in a temp dir, with
// one key per role.
type fixture struct {
	t    *testing.T
	s    *Server
	e    *engine.Engine
	ts   *httptest.Server
	keys map[access.Role]string

	mu  sync.Mutex
	now time.Time
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t testing.TB, tune func(*config.Server)) *fixture {
	j, err := wal.Open(filepath.Join(t.TempDir(), "data"), wal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	f := newServerFixture(t, j, engine.Options{}, tune)
	ctx := context.Background()
	mustSpec := func(name string, kind contactkey.Kind, channels, source string) {
		ch, _ := suppression.ParseChannels(channels)
		if _, err := f.e.CreateList(ctx, suppression.ListSpec{Name: name, Kind: kind, Type: suppression.Deny, Channels: ch, Purposes: suppression.PurposeSet{All: true}, Source: source}); err != nil {
			t.Fatal(err)
		}
	}
	mustSpec("national_dnc", contactkey.KindPhone, "call,sms", "national_registry")
	mustSpec("bounces", contactkey.KindEmail, "email", "bounce")
	im, err := f.e.BeginImport(ctx, "national_dnc", suppression.Replace, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Add(ctx, []uint64{12025550100, 12025550101, 12025550102}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := im.Commit(ctx, 3, 0, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// newServerFixture is a server over an engine on j (opts with the
// fixture's clock, hasher and actor filled in), with one key per role. The
// server, the engine and j close when the test ends.
func newServerFixture(t testing.TB, j journal.Journal, opts engine.Options, tune func(*config.Server)) *fixture {
	tt, _ := t.(*testing.T)
	f := &fixture{t: tt, keys: map[access.Role]string{}, now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	h, _ := contactkey.NewHasher(testSecret)
	opts.Hasher, opts.Now, opts.Actor = h, f.clock, "test"
	e, err := engine.Open(context.Background(), j, opts)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := contactkey.NewNormalizer("US")
	cfg := config.ServerDefaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.PublicURL = "http://hush.test"
	if tune != nil {
		tune(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, Deps{Normalizer: n, TokenSecret: bytes.Repeat([]byte{6}, 32), JobsDir: filepath.Join(t.TempDir(), "jobs"), Tool: "hush test", Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	s.Ready(e)
	f.s, f.e = s, e
	f.ts = httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		f.ts.Close()
		s.jobs.shutdown(context.Background())
		e.Close()
		j.Close()
	})
	for _, r := range access.Roles {
		_, key, err := e.CreateKey(context.Background(), r, r.String(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		f.keys[r] = key
	}
	return f
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, r.body)
	}
	return m
}

// errField returns the error's code and field.
func (r resp) errOf(t testing.TB) (code, field string) {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without message: %s", r.body)
	}
	return code, field
}

func (f *fixture) do(method, path, key, ct string, body io.Reader, hdr ...string) resp {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, b}
}

func (f *fixture) get(path string, role access.Role) resp {
	f.t.Helper()
	return f.do("GET", path, f.keys[role], "", nil)
}

func (f *fixture) postJSON(path string, role access.Role, v any) resp {
	f.t.Helper()
	b, _ := json.Marshal(v)
	return f.do("POST", path, f.keys[role], "application/json", bytes.NewReader(b))
}

// allowed checks a phone for call/direct_marketing through the API.
func (f *fixture) allowed(q string) bool {
	f.t.Helper()
	r := f.get("/v1/check?"+q, access.Agent)
	if r.status != 200 {
		f.t.Fatalf("check %s: %d %s", q, r.status, r.body)
	}
	return r.json(f.t)["allowed"].(bool)
}

func (f *fixture) listLen(name string) uint64 {
	var n uint64
	f.e.Read(func(st *suppression.Store, _ journal.Seq) error {
		l, _ := st.List(name)
		n = l.Len()
		return nil
	})
	return n
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func doHandler(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}
