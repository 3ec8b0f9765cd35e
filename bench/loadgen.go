package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Load is a closed-loop HTTP/1.1 load: Conns keep-alive connections, each
// sending the next request as soon as the answer to the last one is in,
// for Duration (or until Stop is closed). Requests are pre-rendered bytes
// so the generator spends its CPU on the network, not on building
// requests: one core of it drives well past 100k requests/s.
type Load struct {
	Addr     string
	Conns    int
	Duration time.Duration
	// Requests are complete HTTP/1.1 requests (with Host and, if needed,
	// Content-Length); connection i sends Requests[(i + k*Conns) % n].
	Requests [][]byte
	// Stop, if not nil, ends the load early when closed.
	Stop <-chan struct{}
	// Timeline, if > 0, also reports the requests started in each
	// interval of this length (LoadResult.Timeline): which part of a long
	// run its slowest answers came from.
	Timeline time.Duration
}

// LoadResult is what a load measured. Latencies are from writing a
// request to reading its last byte.
type LoadResult struct {
	Requests  int64         `json:"requests"`
	Non2xx    int64         `json:"non_2xx"`
	Errors    int64         `json:"errors"`
	Seconds   float64       `json:"seconds"`
	PerSecond float64       `json:"per_second"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	P99       time.Duration `json:"p99_ns"`
	P999      time.Duration `json:"p999_ns"`
	Max       time.Duration `json:"max_ns"`
	FirstErr  string        `json:"first_error,omitempty"`
	// Timeline holds one entry per Load.Timeline interval, by the time
	// each request was sent.
	Timeline []LoadInterval `json:"timeline,omitempty"`
}

// LoadInterval is what the requests sent in one interval of a load
// measured.
type LoadInterval struct {
	Start    time.Duration `json:"start_ns"` // from the start of the load
	Requests int64         `json:"requests"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
	// Over5ms counts the answers slower than 5 ms.
	Over5ms int64 `json:"over_5ms"`
}

func (r LoadResult) String() string {
	return fmt.Sprintf("%d requests in %.1f s = %.0f/s; p50 %s p90 %s p99 %s p99.9 %s max %s; non-2xx %d, errors %d",
		r.Requests, r.Seconds, r.PerSecond, r.P50, r.P90, r.P99, r.P999, r.Max, r.Non2xx, r.Errors)
}

// Run drives the load and returns what it measured.
func (l Load) Run(ctx context.Context) (LoadResult, error) {
	if len(l.Requests) == 0 || l.Conns < 1 {
		return LoadResult{}, errors.New("load: no requests or no connections")
	}
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()
	if l.Stop != nil {
		go func() {
			select {
			case <-l.Stop:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	type connResult struct {
		lat            []uint32 // microseconds
		at             []uint32 // when each was sent, in Timeline intervals
		n, non2xx, err int64
		firstErr       error
	}
	results := make([]connResult, l.Conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < l.Conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := &results[i]
			r.lat = make([]uint32, 0, 1<<16)
			conn, err := net.Dial("tcp", l.Addr)
			if err != nil {
				r.err++
				r.firstErr = err
				return
			}
			defer conn.Close()
			go func() { <-ctx.Done(); conn.SetDeadline(time.Now()) }()
			br := bufio.NewReaderSize(conn, 64<<10)
			k := i
			for ctx.Err() == nil {
				req := l.Requests[k%len(l.Requests)]
				k += l.Conns
				t0 := time.Now()
				if _, err := conn.Write(req); err != nil {
					if ctx.Err() == nil {
						r.err++
						r.firstErr = err
					}
					return
				}
				status, err := readResponse(br)
				if err != nil {
					if ctx.Err() == nil {
						r.err++
						r.firstErr = err
					}
					return
				}
				d := time.Since(t0)
				r.n++
				if status/100 != 2 {
					r.non2xx++
				}
				r.lat = append(r.lat, uint32(min(d.Microseconds(), 1<<31)))
				if l.Timeline > 0 {
					r.at = append(r.at, uint32(t0.Sub(start)/l.Timeline))
				}
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	var res LoadResult
	var all []uint32
	if l.Timeline > 0 {
		res.Timeline = timeline(l.Timeline, results, func(r connResult) ([]uint32, []uint32) { return r.at, r.lat })
	}
	for _, r := range results {
		res.Requests += r.n
		res.Non2xx += r.non2xx
		res.Errors += r.err
		if r.firstErr != nil && res.FirstErr == "" {
			res.FirstErr = r.firstErr.Error()
		}
		all = append(all, r.lat...)
	}
	res.Seconds = elapsed
	res.PerSecond = float64(res.Requests) / elapsed
	if len(all) > 0 {
		slices.Sort(all)
		q := func(p float64) time.Duration {
			return time.Duration(all[min(len(all)-1, int(p*float64(len(all))))]) * time.Microsecond
		}
		res.P50, res.P90, res.P99, res.P999 = q(.50), q(.90), q(.99), q(.999)
		res.Max = time.Duration(all[len(all)-1]) * time.Microsecond
	}
	if res.Requests == 0 {
		return res, fmt.Errorf("load: no request answered (%s)", res.FirstErr)
	}
	return res, nil
}

// timeline groups latencies (microseconds) by the interval they were
// sent in (at[i] is the interval of lat[i]), for every interval up to the
// last one that saw a request.
func timeline[T any](every time.Duration, conns []T, get func(T) (at, lat []uint32)) []LoadInterval {
	var by [][]uint32
	for _, c := range conns {
		at, lat := get(c)
		for i, a := range at {
			for int(a) >= len(by) {
				by = append(by, nil)
			}
			by[a] = append(by[a], lat[i])
		}
	}
	out := make([]LoadInterval, len(by))
	for i, ls := range by {
		out[i].Start = time.Duration(i) * every
		if len(ls) == 0 {
			continue
		}
		slices.Sort(ls)
		us := func(v uint32) time.Duration { return time.Duration(v) * time.Microsecond }
		out[i].Requests = int64(len(ls))
		out[i].P50 = us(ls[len(ls)/2])
		out[i].P99 = us(ls[min(len(ls)-1, len(ls)*99/100)])
		out[i].Max = us(ls[len(ls)-1])
		out[i].Over5ms = int64(len(ls) - sort.Search(len(ls), func(j int) bool { return ls[j] > 5000 }))
	}
	return out
}

var (
	crlf      = []byte("\r\n")
	clHeader  = []byte("content-length:")
	chunkedTE = []byte("transfer-encoding: chunked")
)

// readResponse reads one HTTP/1.1 response with a Content-Length body
// (or a chunked one) and returns its status.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	chunked := false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		lower := bytes.ToLower(h)
		if bytes.HasPrefix(lower, clHeader) {
			length, err = strconv.Atoi(string(bytes.TrimSpace(h[len(clHeader):])))
			if err != nil {
				return 0, fmt.Errorf("bad content-length %q", h)
			}
		} else if bytes.Equal(lower, chunkedTE) {
			chunked = true
		}
	}
	switch {
	case chunked:
		for {
			l, err := br.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(l, crlf))), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("bad chunk size %q", l)
			}
			if _, err := br.Discard(int(n) + 2); err != nil {
				return 0, err
			}
			if n == 0 {
				return status, nil
			}
		}
	case length >= 0:
		if _, err := br.Discard(length); err != nil {
			return 0, err
		}
		return status, nil
	}
	return 0, io.ErrUnexpectedEOF
}

// GetRequest renders a keep-alive GET.
func GetRequest(host, path, bearer string) []byte {
	return []byte(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", path, host, bearer))
}

// PostRequest renders a keep-alive POST with a body.
func PostRequest(host, path, bearer, contentType string, body []byte) []byte {
	h := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", path, host, bearer, contentType, len(body))
	return append([]byte(h), body...)
}

// RandomPhones draws n 10-digit NANP national numbers (weighted area
// codes, valid exchanges) from stream of seed: the same numbers every time.
func RandomPhones(seed, stream uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		r := newRNG(seed, stream, uint64(i))
		out[i] = randomPhone(&r)
	}
	return out
}
