package httpapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/importer"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/scrub"
	"github.com/hushcrm/hush/suppression"
)

// A job is an import or a scrub: the upload is spooled to disk as it
// arrives (never held in memory), then processed in the background. Jobs
// live in memory and their files under JobsDir; they do not survive a
// restart (an import interrupted by one is aborted by the engine: its list
// stays as it was).
type job struct {
	jobView
	dir      string
	done     chan struct{}
	finished time.Time
	received atomic.Int64
	progress atomic.Int64
}

// jobView is what GET /v1/jobs/{id} shows.
type jobView struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"` // import, scrub
	Owner    string `json:"owner"`
	Target   string `json:"target,omitempty"` // list name for imports
	State    string `json:"state"`            // receiving, queued, running, done, failed
	Error    string `json:"error,omitempty"`
	Created  string `json:"created"`
	Finished string `json:"finished,omitempty"`

	Received  int64 `json:"bytes_received"`
	Processed int64 `json:"bytes_processed"`

	Result any               `json:"result,omitempty"`
	Files  map[string]string `json:"files,omitempty"` // name -> download URL
}

type jobTable struct {
	instance  string // prefix of the job ids ("" outside a fleet)
	dir       string
	retention time.Duration
	now       func() time.Time
	slots     chan struct{}

	mu   sync.Mutex
	jobs map[string]*job
	wg   sync.WaitGroup

	ctx    context.Context
	cancel context.CancelFunc
}

func newJobTable(dir string, maxJobs int, retention time.Duration, now func() time.Time, instance string) (*jobTable, error) {
	if dir == "" {
		return nil, errors.New("httpapi: Deps.JobsDir is required")
	}
	// Jobs of an earlier run are gone with it: clear their files.
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clear jobs dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("jobs dir: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &jobTable{instance: instance, dir: dir, retention: retention, now: now, slots: make(chan struct{}, maxJobs), jobs: map[string]*job{}, ctx: ctx, cancel: cancel}, nil
}

func (jt *jobTable) running() int { return len(jt.slots) }

// start reserves a slot and makes a job, or answers 429.
func (jt *jobTable) start(kind, owner, target string) (*job, error) {
	select {
	case jt.slots <- struct{}{}:
	default:
		return nil, newErr(http.StatusTooManyRequests, "too_many_jobs", "%d jobs are running, the most this server runs at once; retry when one finishes", cap(jt.slots))
	}
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	if jt.instance != "" {
		id = jt.instance + "-" + id
	}
	j := &job{jobView: jobView{ID: id, Kind: kind, Owner: owner, Target: target, State: "receiving", Created: jt.now().UTC().Format(time.RFC3339)},
		dir: filepath.Join(jt.dir, id), done: make(chan struct{})}
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		<-jt.slots
		return nil, err
	}
	jt.mu.Lock()
	jt.gc()
	jt.jobs[id] = j
	jt.mu.Unlock()
	return j, nil
}

// gc drops finished jobs past their retention (mu held).
func (jt *jobTable) gc() {
	for id, j := range jt.jobs {
		if !j.finished.IsZero() && jt.now().Sub(j.finished) > jt.retention {
			os.RemoveAll(j.dir)
			delete(jt.jobs, id)
		}
	}
}

// run processes j in the background; fn's error fails the job.
func (jt *jobTable) run(j *job, fn func(ctx context.Context) (any, map[string]string, error)) {
	jt.setState(j, "running", "")
	jt.wg.Add(1)
	go func() {
		defer jt.wg.Done()
		res, files, err := fn(jt.ctx)
		jt.finish(j, res, files, err)
	}()
}

func (jt *jobTable) setState(j *job, state, msg string) {
	jt.mu.Lock()
	j.State, j.Error = state, msg
	jt.mu.Unlock()
}

func (jt *jobTable) finish(j *job, res any, files map[string]string, err error) {
	jt.mu.Lock()
	j.Result, j.Files = res, files
	j.finished = jt.now()
	j.Finished = j.finished.UTC().Format(time.RFC3339)
	if err != nil {
		j.State, j.Error = "failed", err.Error()
	} else {
		j.State = "done"
	}
	os.Remove(filepath.Join(j.dir, "upload"))
	jt.mu.Unlock()
	<-jt.slots
	close(j.done)
}

// view is a copy of j for JSON.
func (jt *jobTable) view(j *job) jobView {
	jt.mu.Lock()
	defer jt.mu.Unlock()
	v := j.jobView
	v.Received = j.received.Load()
	v.Processed = j.progress.Load()
	return v
}

func (jt *jobTable) get(id string) (*job, bool) {
	jt.mu.Lock()
	defer jt.mu.Unlock()
	j, ok := jt.jobs[id]
	return j, ok
}

func (jt *jobTable) list() []*job {
	jt.mu.Lock()
	defer jt.mu.Unlock()
	out := make([]*job, 0, len(jt.jobs))
	for _, j := range jt.jobs {
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool {
		return out[a].Created > out[b].Created || out[a].Created == out[b].Created && out[a].ID < out[b].ID
	})
	return out
}

// shutdown waits for running jobs until ctx ends, then cancels them.
func (jt *jobTable) shutdown(ctx context.Context) {
	done := make(chan struct{})
	go func() { jt.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		jt.cancel()
		<-done
	}
}

// spool copies the request body to the job's upload file. An upload cut
// off (connection closed, short of its Content-Length, stalled past the
// idle timeout, over the size limit) fails the job: nothing was imported
// or scrubbed, and the job says why.
func (s *Server) spool(c *gin.Context, j *job) (string, error) {
	path := filepath.Join(j.dir, "upload")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := c.Request.Body.Read(buf)
		if k > 0 {
			if _, err := f.Write(buf[:k]); err != nil {
				return "", fmt.Errorf("spool upload: %w", err)
			}
			n += int64(k)
			j.received.Store(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			var mbe *http.MaxBytesError
			if errors.As(rerr, &mbe) {
				return "", rerr
			}
			want := ""
			if cl := c.Request.ContentLength; cl > 0 {
				want = fmt.Sprintf(" of %d", cl)
			}
			return "", &apiError{status: 400, code: "upload_incomplete", field: "body",
				message: fmt.Sprintf("upload cut off after %d bytes%s: %v; nothing was applied", n, want, rerr), err: rerr}
		}
	}
	if n == 0 {
		return "", badRequest("body", "the upload is empty")
	}
	return path, nil
}

// receive runs the upload part of a job; on failure the job is finished
// as failed and the caller answers with err.
func (s *Server) receive(c *gin.Context, j *job) (string, bool) {
	path, err := s.spool(c, j)
	if err != nil {
		s.jobs.finish(j, nil, nil, err)
		ae := *classify(err)
		ae.message += " (job " + j.ID + ")"
		c.Header("Location", "/v1/jobs/"+j.ID)
		s.fail(c, &ae)
		return "", false
	}
	return path, true
}

// accepted answers a started job: 202 with its id, or with ?wait=true the
// finished job (200 done, or the failure's status).
func (s *Server) accepted(c *gin.Context, j *job) {
	c.Header("Location", "/v1/jobs/"+j.ID)
	if c.Query("wait") == "true" {
		select {
		case <-j.done:
		case <-c.Request.Context().Done():
			return
		}
		v := s.jobs.view(j)
		status := http.StatusOK
		if v.State == "failed" {
			status = http.StatusUnprocessableEntity
		}
		c.JSON(status, gin.H{"job": v})
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"job": s.jobs.view(j)})
}

func uploadType(c *gin.Context) error {
	switch ct := contentType(c); ct {
	case "text/csv", "text/plain", "application/gzip", "application/x-gzip", "application/octet-stream":
		return nil
	default:
		return unsupported(ct, "text/csv", "text/plain", "application/gzip")
	}
}

// listImport answers POST /v1/lists/{name}/import?format=&mode=&column=&expires_column=.
func (s *Server) listImport(c *gin.Context) {
	if err := uploadType(c); err != nil {
		s.fail(c, err)
		return
	}
	e := s.engine()
	name := c.Param("name")
	mode, err := suppression.ParseImportMode(defaultStr(c.Query("mode"), "replace"))
	if err != nil {
		s.fail(c, fieldErr("mode", err))
		return
	}
	format := importer.CSV
	if f := c.Query("format"); f != "" {
		if format, err = importer.ParseFormat(f); err != nil {
			s.fail(c, fieldErr("format", err))
			return
		}
	}
	if err := s.requireList(name); err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	j, err := s.jobs.start("import", p.ID, name)
	if err != nil {
		s.fail(c, err)
		return
	}
	path, ok := s.receive(c, j)
	if !ok {
		return
	}
	opts := importer.Options{Format: format, Column: c.Query("column"), ExpiresColumn: c.Query("expires_column"), Mode: mode,
		Normalizer: s.d.Normalizer, Source: "upload:" + defaultStr(c.Query("filename"), j.ID)}
	s.jobs.run(j, func(ctx context.Context) (any, map[string]string, error) {
		// One P stays free for live checks while a big file is parsed
		// and sorted (a second one is added on a one-P server).
		opts.Workers = s.cores.acquire()
		defer s.cores.release()
		// Parsing and sorting yield the core to live checks
		// (lowprio_linux.go): this goroutine and every one the import
		// starts.
		lowerThreadPriority()
		opts.WorkerStart = lowerThreadPriority
		// And they step aside every fraction of a millisecond, so a
		// check that arrives never waits for their time slice.
		opts.Yield = yieldCore
		in, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		defer in.Close()
		rejPath := filepath.Join(j.dir, "rejected.csv")
		rej, err := os.Create(rejPath)
		if err != nil {
			return nil, nil, err
		}
		defer rej.Close()
		bw := bufio.NewWriterSize(rej, 1<<20)
		opts.Progress = func(b int64) { j.progress.Store(b) }
		// Records carry the uploader's key, as the request would have.
		ctx = engine.WithActor(ctx, "key:"+p.ID)
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		res, err := importer.Run(ctx, e, name, in, bw, opts)
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		files := map[string]string{"rejected": "/v1/jobs/" + j.ID + "/files/rejected"}
		if err != nil {
			return nil, files, fmt.Errorf("%w; list %q is unchanged", err, name)
		}
		return res, files, nil
	})
	s.accepted(c, j)
}

func (s *Server) requireList(name string) error {
	return s.engine().Read(func(st *suppression.Store, _ journal.Seq) error {
		if _, ok := st.List(name); !ok {
			return fmt.Errorf("list %q: %w", name, suppression.ErrUnknownList)
		}
		return nil
	})
}

func defaultStr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// scrubPost answers POST /v1/scrub?channel=&purpose=&sponsor=&map=&delimiter=&at=.
func (s *Server) scrubPost(c *gin.Context) {
	if err := uploadType(c); err != nil {
		s.fail(c, err)
		return
	}
	ch := c.Query("channel")
	purpose := c.Query("purpose")
	mapping := c.Query("map")
	for _, f := range []struct{ n, v string }{{"channel", ch}, {"purpose", purpose}, {"map", mapping}} {
		if f.v == "" {
			s.fail(c, missing(f.n))
			return
		}
	}
	channel, err := suppression.ParseChannel(ch)
	if err != nil {
		s.fail(c, fieldErr("channel", err))
		return
	}
	m, err := csvio.ParseMapping(mapping)
	if err != nil {
		s.fail(c, fieldErr("map", err))
		return
	}
	for k := range m {
		switch k {
		case "phone", "email", "address", "customer":
		default:
			s.fail(c, badRequest("map", "unknown key %q (want phone, email, address or customer)", k))
			return
		}
	}
	delim := byte(',')
	switch d := c.Query("delimiter"); d {
	case "":
	case "tab", "\t":
		delim = '\t'
	default:
		if len(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r' {
			s.fail(c, badRequest("delimiter", "want one character, or tab"))
			return
		}
		delim = d[0]
	}
	at := s.now()
	if v := c.Query("at"); v != "" {
		if at, err = parseTime(v); err != nil {
			s.fail(c, badRequest("at", "%q: want RFC 3339 or a date", v))
			return
		}
	}
	e := s.engine()
	p := principal(c)
	j, err := s.jobs.start("scrub", p.ID, "")
	if err != nil {
		s.fail(c, err)
		return
	}
	path, ok := s.receive(c, j)
	if !ok {
		return
	}
	scope := suppression.Scope{Channel: channel, Purpose: strings.TrimSpace(purpose), Sponsor: strings.TrimSpace(c.Query("sponsor"))}
	inputName := defaultStr(c.Query("filename"), "upload-"+j.ID+".csv")
	s.jobs.run(j, func(ctx context.Context) (any, map[string]string, error) {
		in, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		defer in.Close()
		names := []string{"clean", "suppressed", "rejected"}
		fs := make([]*os.File, 3)
		ws := make([]*bufio.Writer, 3)
		for i, n := range names {
			if fs[i], err = os.Create(filepath.Join(j.dir, n+".csv")); err != nil {
				return nil, nil, err
			}
			defer fs[i].Close()
			ws[i] = bufio.NewWriterSize(fs[i], 1<<20)
		}
		man, err := scrub.Run(ctx, e, in, scrub.Outputs{Clean: ws[0], Suppressed: ws[1], Rejected: ws[2]}, scrub.Options{
			Scope: scope, Mapping: m, Normalizer: s.d.Normalizer, Hasher: e.Hasher(),
			CSV: csvio.Options{Delimiter: delim, Header: true, MaxRecordLines: 16}, At: at, InputName: inputName, Tool: s.d.Tool,
			Progress: func(_, b int64) { j.progress.Store(b) },
		})
		if err != nil {
			return nil, nil, err
		}
		for _, w := range ws {
			if err := w.Flush(); err != nil {
				return nil, nil, err
			}
		}
		files := map[string]string{}
		for _, n := range names {
			d := man.Outputs[n]
			d.Name = n + ".csv"
			man.Outputs[n] = d
			files[n] = "/v1/jobs/" + j.ID + "/files/" + n
		}
		mb, err := json.MarshalIndent(man, "", "  ")
		if err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(filepath.Join(j.dir, "manifest.json"), append(mb, '\n'), 0o600); err != nil {
			return nil, nil, err
		}
		files["manifest"] = "/v1/jobs/" + j.ID + "/files/manifest"
		return gin.H{"counts": man.Counts, "waterfall": man.Waterfall, "per_reason": man.PerReason, "state_version": man.StateVersion, "seconds": man.Seconds}, files, nil
	})
	s.accepted(c, j)
}

// jobVisible: a job's owner sees it, and so do privacy officers and admins.
func jobVisible(c *gin.Context, j *job) bool {
	p := principal(c)
	return j.Owner == p.ID || p.Role == access.PrivacyOfficer || p.Role == access.Admin
}

func (s *Server) findJob(c *gin.Context) (*job, bool) {
	j, ok := s.jobs.get(c.Param("id"))
	if !ok && s.forwardJob(c) {
		return nil, false
	}
	if !ok || !jobVisible(c, j) {
		s.fail(c, newErr(http.StatusNotFound, "not_found", "no job %q (jobs are kept %s after they finish, and not across restarts)", c.Param("id"), s.cfg.JobRetention))
		return nil, false
	}
	return j, true
}

func (s *Server) jobGet(c *gin.Context) {
	j, ok := s.findJob(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"job": s.jobs.view(j)})
}

func (s *Server) jobsGet(c *gin.Context) {
	out := []jobView{}
	for _, j := range s.jobs.list() {
		if jobVisible(c, j) {
			out = append(out, s.jobs.view(j))
		}
	}
	c.JSON(http.StatusOK, gin.H{"jobs": out})
}

// jobFile downloads an output: clean, suppressed, rejected, manifest.
func (s *Server) jobFile(c *gin.Context) {
	j, ok := s.findJob(c)
	if !ok {
		return
	}
	v := s.jobs.view(j)
	name := c.Param("file")
	if _, ok := v.Files[name]; !ok {
		if v.State != "done" && v.State != "failed" {
			s.fail(c, newErr(http.StatusConflict, "job_running", "job %s is %s; its files are ready when it is done", j.ID, v.State))
			return
		}
		s.fail(c, newErr(http.StatusNotFound, "not_found", "job %s has no file %q", j.ID, name))
		return
	}
	file, ct := name+".csv", "text/csv; charset=utf-8"
	if name == "manifest" {
		file, ct = "manifest.json", "application/json"
	}
	f, err := os.Open(filepath.Join(j.dir, file))
	if err != nil {
		s.fail(c, err)
		return
	}
	defer f.Close()
	fi, _ := f.Stat()
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s"`, j.ID, file))
	c.DataFromReader(http.StatusOK, fi.Size(), ct, f, nil)
}
