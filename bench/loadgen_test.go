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
