package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hushcrm/hush/access"
)

// The handler chain alone (routing, limits, auth, parsing, decision, JSON),
// without sockets: what hush adds to net/http's own cost per request.
func BenchmarkCheckGet(b *testing.B) {
	f := newFixture(b, nil)
	h := f.s.Handler()
	req := httptest.NewRequest("GET", "/v1/check?phone=2025550100&channel=call&purpose=direct_marketing", nil)
	req.Header.Set("Authorization", "Bearer "+f.keys[access.Agent])
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.reset()
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
}

func BenchmarkCheckBatch1000(b *testing.B) {
	f := newFixture(b, nil)
	h := f.s.Handler()
	body := batchBody(1000, false)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("POST", "/v1/check", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.keys[access.Agent])
		req.Header.Set("Content-Type", "application/json")
		w.reset()
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "keys/s")
}

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) reset() {
	clear(w.h)
	w.status = 0
}
func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(s int) { w.status = s }
