package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadCountsAnswersAndStatuses(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(401)
			return
		}
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte("part one "))
			w.(http.Flusher).Flush()
			w.Write([]byte("part two"))
		case "/missing":
			http.NotFound(w, r)
		default:
			fmt.Fprintf(w, `{"allowed":true}`)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	reqs := [][]byte{GetRequest(addr, "/ok", "k"), GetRequest(addr, "/chunked", "k"), PostRequest(addr, "/ok", "k", "application/json", []byte(`[1]`))}
	res, err := Load{Addr: addr, Conns: 4, Duration: 300 * time.Millisecond, Requests: reqs}.Run(context.Background())
	if err != nil || res.Requests < 10 || res.Errors != 0 || res.Non2xx != 0 {
		t.Fatalf("load: %v %+v", err, res)
	}
	if got := n.Load(); got < res.Requests {
		t.Fatalf("server saw %d requests, load counted %d", got, res.Requests)
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Fatalf("quantiles out of order: %+v", res)
	}
	res, _ = Load{Addr: addr, Conns: 2, Duration: 100 * time.Millisecond, Requests: [][]byte{GetRequest(addr, "/missing", "k")}}.Run(context.Background())
	if res.Non2xx != res.Requests || res.Requests == 0 {
		t.Fatalf("404s not counted: %+v", res)
	}
	if _, err := (Load{Addr: "127.0.0.1:1", Conns: 1, Duration: 100 * time.Millisecond, Requests: reqs}).Run(context.Background()); err == nil {
		t.Fatal("no error when nothing answers")
	}
}

// The timeline puts each latency in the interval its request was sent in
// and takes the quantiles per interval.
func TestTimeline(t *testing.T) {
	type conn struct{ at, lat []uint32 }
	ms := time.Millisecond
	tests := []struct {
		name  string
		conns []conn
		want  []LoadInterval
	}{
		{"empty", nil, []LoadInterval{}},
		{"one interval", []conn{{at: []uint32{0, 0, 0}, lat: []uint32{300, 100, 200}}},
			[]LoadInterval{{Start: 0, Requests: 3, P50: 200 * time.Microsecond, P99: 300 * time.Microsecond, Max: 300 * time.Microsecond}}},
		{"a gap and two connections", []conn{
			{at: []uint32{0, 2, 2}, lat: []uint32{1000, 6000, 5000}},
			{at: []uint32{2}, lat: []uint32{9000}}},
			[]LoadInterval{
				{Start: 0, Requests: 1, P50: ms, P99: ms, Max: ms},
				{Start: time.Second},
				{Start: 2 * time.Second, Requests: 3, P50: 6 * ms, P99: 9 * ms, Max: 9 * ms, Over5ms: 2},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := timeline(time.Second, tc.conns, func(c conn) ([]uint32, []uint32) { return c.at, c.lat })
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// A load with a timeline reports intervals that add up to its requests.
func TestLoadTimelineAddsUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	res, err := Load{Addr: addr, Conns: 2, Duration: 300 * time.Millisecond, Requests: [][]byte{GetRequest(addr, "/", "k")}, Timeline: 50 * time.Millisecond}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, iv := range res.Timeline {
		n += iv.Requests
	}
	if n != res.Requests || len(res.Timeline) == 0 {
		t.Fatalf("timeline holds %d requests in %d intervals, the load %d", n, len(res.Timeline), res.Requests)
	}
}
