package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// remote is a running hush server that a command talks to instead of
// opening a data dir (--server URL --key KEY), so operators keep one tool.
type remote struct {
	base string
	key  string
	hc   *http.Client
}

func (c *cli) remote() (*remote, bool, error) {
	if c.server == "" {
		return nil, false, nil
	}
	u, err := url.Parse(c.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, true, userErr("--server %q: want an http(s) URL such as http://localhost:8080", c.server)
	}
	if c.apiKey == "" {
		return nil, true, userErr("--server needs --key KEY (env HUSH_KEY)")
	}
	return &remote{base: strings.TrimSuffix(c.server, "/"), key: c.apiKey, hc: &http.Client{Timeout: 0}}, true, nil
}

// remoteError is an error answer of the server; 4xx are the user's.
type remoteError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func (e *remoteError) Error() string {
	s := fmt.Sprintf("server: %s (%d %s", e.Message, e.Status, e.Code)
	if e.Field != "" {
		s += ", field " + e.Field
	}
	return s + ")"
}

// do sends a request; a non-2xx answer becomes an error (a user error for
// 4xx). The caller closes the body of a 2xx answer.
func (r *remote) do(ctx context.Context, method, path string, q url.Values, ct string, body io.Reader) (*http.Response, error) {
	u := r.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, &userError{err}
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, &userError{fmt.Errorf("server %s: %w", r.base, err)}
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb struct {
		Error remoteError `json:"error"`
	}
	re := &eb.Error
	if json.Unmarshal(b, &eb) != nil || re.Message == "" {
		re.Message = strings.TrimSpace(string(b))
	}
	re.Status = resp.StatusCode
	if resp.StatusCode/100 == 4 {
		return nil, &userError{re}
	}
	return nil, re
}

// doJSON sends v as JSON (nil: no body) and decodes the answer into out.
func (r *remote) doJSON(ctx context.Context, method, path string, q url.Values, v, out any) error {
	var body io.Reader
	ct := ""
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	resp, err := r.do(ctx, method, path, q, ct, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// remoteJob is the part of a job answer the CLI reads.
type remoteJob struct {
	Job struct {
		ID     string            `json:"id"`
		State  string            `json:"state"`
		Error  string            `json:"error"`
		Result json.RawMessage   `json:"result"`
		Files  map[string]string `json:"files"`
	} `json:"job"`
}

// upload streams body to path with ?wait=true and returns the finished job.
func (r *remote) upload(ctx context.Context, path string, q url.Values, ct string, body io.Reader) (*remoteJob, error) {
	q.Set("wait", "true")
	resp, err := r.do(ctx, "POST", path, q, ct, body)
	if err != nil {
		var re *remoteError
		if errors.As(err, &re) && re.Status == http.StatusUnprocessableEntity {
			return nil, &userError{fmt.Errorf("job failed: %s", re.Message)}
		}
		return nil, err
	}
	defer resp.Body.Close()
	var j remoteJob
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		return nil, fmt.Errorf("server answer: %w", err)
	}
	if j.Job.State != "done" {
		return &j, userErr("job %s %s: %s", j.Job.ID, j.Job.State, j.Job.Error)
	}
	return &j, nil
}

// download saves a job file to dst (written whole, then renamed).
func (r *remote) download(ctx context.Context, path, dst string) error {
	resp, err := r.do(ctx, "GET", path, nil, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	o, err := createOut(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, resp.Body); err != nil {
		o.discard()
		return fmt.Errorf("download %s: %w", path, err)
	}
	return o.commit()
}

func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
