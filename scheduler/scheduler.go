package scheduler

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hushcrm/hush/rfm"
)

// Job is one scheduled piece of work.
type Job struct {
	Name string
	Spec string // cron spec, e.g. "0 2 * * *"
	Run  func(ctx context.Context, at time.Time) error
}

// Scheduler runs jobs until Stop.
type Scheduler struct {
	c    *cron.Cron
	logf func(string, ...any)
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	runs atomic.Int64
}

// New returns a scheduler in loc (UTC when nil); logf gets one line per
// run and per failure.
func New(loc *time.Location, logf func(string, ...any)) *Scheduler {
	if loc == nil {
		loc = time.UTC
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Scheduler{c: cron.New(cron.WithLocation(loc)), logf: logf, ctx: ctx, stop: stop}
}

// Add schedules j. A spec that does not parse is an error naming the job.
func (s *Scheduler) Add(j Job) error {
	sched, err := cron.ParseStandard(j.Spec)
	if err != nil {
		return fmt.Errorf("scheduler: job %s: schedule %q: %w", j.Name, j.Spec, err)
	}
	var running atomic.Bool
	s.c.Schedule(sched, cron.FuncJob(func() {
		if !running.CompareAndSwap(false, true) {
			s.logf("%s: the previous run is still going; skipping this one", j.Name)
			return
		}
		defer running.Store(false)
		s.wg.Add(1)
		defer s.wg.Done()
		s.RunNow(j)
	}))
	return nil
}

// RunNow runs j at once on the calling goroutine, logging its outcome.
func (s *Scheduler) RunNow(j Job) error {
	t0 := time.Now()
	err := j.Run(s.ctx, t0)
	s.runs.Add(1)
	if err != nil {
		s.logf("%s failed after %s: %v", j.Name, time.Since(t0).Round(time.Millisecond), err)
		return err
	}
	s.logf("%s done in %s", j.Name, time.Since(t0).Round(time.Millisecond))
	return nil
}

// Runs counts job runs so far.
func (s *Scheduler) Runs() int64 { return s.runs.Load() }

// Start begins running jobs on their schedules.
func (s *Scheduler) Start() { s.c.Start() }

// Stop stops scheduling, cancels running jobs' context and waits for them.
func (s *Scheduler) Stop() {
	<-s.c.Stop().Done()
	s.stop()
	s.wg.Wait()
}

// RFMRefresher is what the RFM refresh job needs of the engine.
type RFMRefresher interface {
	RefreshRFM(ctx context.Context, at time.Time) (*rfm.Result, error)
}

// RFMRefresh is the job that re-scores the stored purchases as of the day
// it runs and swaps the published segments and indexes.
func RFMRefresh(spec string, e RFMRefresher, logf func(string, ...any)) Job {
	return Job{Name: "rfm.refresh", Spec: spec, Run: func(ctx context.Context, at time.Time) error {
		res, err := e.RefreshRFM(ctx, at)
		if err == nil && logf != nil {
			logf("rfm.refresh: %d customers scored as of %s", res.Len(), res.AsOf)
		}
		return err
	}}
}
