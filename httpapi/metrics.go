package httpapi

import (
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// metrics live in a registry of the server's own (no global state).
type metrics struct {
	reg        *prometheus.Registry
	latency    *prometheus.HistogramVec
	decisions  *prometheus.CounterVec
	reasons    *prometheus.CounterVec
	allowed    prometheus.Counter
	suppressed prometheus.Counter
	handler    gin.HandlerFunc
	observers  sync.Map // obsKey -> prometheus.Observer
	reasonCtrs sync.Map // reasonKey -> prometheus.Counter
	fsync      prometheus.Histogram
}

// ObserveFsync records one journal fsync's duration (wired by serve to the
// journal's OnSync hook).
func (s *Server) ObserveFsync(d time.Duration) { s.m.fsync.Observe(d.Seconds()) }

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hush_http_request_duration_seconds",
		Help:    "Time to answer a request, by route, method and status code.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "code"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hush_decisions_total", Help: "Check decisions by outcome (allowed, suppressed).",
	}, []string{"outcome"})
	m.reasons = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hush_decision_reasons_total", Help: "Reasons given in suppressed decisions, by reason code and list.",
	}, []string{"reason", "list"})
	m.fsync = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hush_journal_fsync_duration_seconds",
		Help:    "Duration of each journal fsync (a group commit waits for one).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	m.allowed = m.decisions.WithLabelValues("allowed")
	m.suppressed = m.decisions.WithLabelValues("suppressed")
	m.reg.MustRegister(m.latency, m.decisions, m.reasons, m.fsync,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&stateCollector{s: s})
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	m.handler = gin.WrapH(h)
	return m
}

type obsKey struct {
	route, method string
	status        int
}

// observe records a request's latency. The observer per (route, method,
// status) is cached: resolving label values costs more than observing.
func (m *metrics) observe(route, method string, status int, d time.Duration) {
	k := obsKey{route, method, status}
	o, ok := m.observers.Load(k)
	if !ok {
		o, _ = m.observers.LoadOrStore(k, m.latency.WithLabelValues(route, method, strconv.Itoa(status)))
	}
	o.(prometheus.Observer).Observe(d.Seconds())
}

func (m *metrics) decision(allowed bool, rs []suppression.Reason) {
	if allowed {
		m.allowed.Inc()
		return
	}
	m.suppressed.Inc()
	for _, r := range rs {
		m.reason(r.Code, r.List).Inc()
	}
}

type reasonKey struct{ code, list string }

// reason is the counter of one (reason, list), cached like the observers.
func (m *metrics) reason(code, list string) prometheus.Counter {
	k := reasonKey{code, list}
	c, ok := m.reasonCtrs.Load(k)
	if !ok {
		c, _ = m.reasonCtrs.LoadOrStore(k, m.reasons.WithLabelValues(code, list))
	}
	return c.(prometheus.Counter)
}

func (m *metrics) invalidKey() {
	m.reason("invalid_key", "").Inc()
}

func (s *Server) metricsHandler(c *gin.Context) { s.m.handler(c) }

// stateCollector reads the engine's state at scrape time: list sizes,
// journal position, fsync totals, running jobs.
type stateCollector struct{ s *Server }

var (
	descEntries   = prometheus.NewDesc("hush_list_entries", "Entries in each list.", []string{"list", "kind", "type"}, nil)
	descListBytes = prometheus.NewDesc("hush_list_memory_bytes", "Memory held by each list's entries.", []string{"list"}, nil)
	descSeq       = prometheus.NewDesc("hush_journal_sequence", "Sequence number of the last journal record applied.", nil, nil)
	descSyncs     = prometheus.NewDesc("hush_journal_fsyncs_total", "fsyncs of the journal (group commits).", nil, nil)
	descSyncSecs  = prometheus.NewDesc("hush_journal_fsync_seconds_total", "Time spent in journal fsyncs; rate(seconds)/rate(fsyncs) is the mean fsync latency.", nil, nil)
	descJobs      = prometheus.NewDesc("hush_jobs_running", "Imports and scrubs running.", nil, nil)
	descReady     = prometheus.NewDesc("hush_ready", "1 once recovery has finished.", nil, nil)

	descLogLast   = prometheus.NewDesc("hush_shared_log_last_sequence", "Shared log: sequence number of the last record the log was seen to hold.", nil, nil)
	descLogLag    = prometheus.NewDesc("hush_shared_log_lag_records", "Shared log: records in the log not yet applied here.", nil, nil)
	descStaleness = prometheus.NewDesc("hush_shared_log_staleness_seconds", "Shared log: time since the state last held the whole log.", nil, nil)
	descStale     = prometheus.NewDesc("hush_shared_log_stale", "Shared log: 1 while decisions fail closed (stale_state).", nil, nil)
	descReloads   = prometheus.NewDesc("hush_shared_log_snapshot_reloads_total", "Shared log: snapshots loaded in place after this instance fell behind a trim of the log.", nil, nil)
)

func (sc *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEntries, descListBytes, descSeq, descSyncs, descSyncSecs, descJobs, descReady, descLogLast, descLogLag, descStaleness, descStale, descReloads} {
		ch <- d
	}
}

func (sc *stateCollector) Collect(ch chan<- prometheus.Metric) {
	e := sc.s.eng.Load()
	ready := 0.0
	if e != nil {
		ready = 1
		e.Read(func(st *suppression.Store, v journal.Seq) error {
			for _, l := range st.Lists() {
				spec := l.Spec()
				ch <- prometheus.MustNewConstMetric(descEntries, prometheus.GaugeValue, float64(l.Len()), spec.Name, spec.Kind.String(), spec.Type.String())
				ch <- prometheus.MustNewConstMetric(descListBytes, prometheus.GaugeValue, float64(l.MemoryBytes()), spec.Name)
			}
			ch <- prometheus.MustNewConstMetric(descSeq, prometheus.GaugeValue, float64(v))
			return nil
		})
	}
	ch <- prometheus.MustNewConstMetric(descReady, prometheus.GaugeValue, ready)
	if e != nil {
		if ss := e.SyncState(); ss.Shared {
			age, _ := e.Staleness()
			stale := 0.0
			if ss.Stale {
				stale = 1
			}
			ch <- prometheus.MustNewConstMetric(descLogLast, prometheus.GaugeValue, float64(ss.Last))
			ch <- prometheus.MustNewConstMetric(descLogLag, prometheus.GaugeValue, float64(ss.Last-ss.Applied))
			ch <- prometheus.MustNewConstMetric(descStaleness, prometheus.GaugeValue, age.Seconds())
			ch <- prometheus.MustNewConstMetric(descStale, prometheus.GaugeValue, stale)
			ch <- prometheus.MustNewConstMetric(descReloads, prometheus.CounterValue, float64(ss.Reloads))
		}
	}
	if f := sc.s.d.JournalStats; f != nil {
		n, ns := f()
		ch <- prometheus.MustNewConstMetric(descSyncs, prometheus.CounterValue, float64(n))
		ch <- prometheus.MustNewConstMetric(descSyncSecs, prometheus.CounterValue, float64(ns)/1e9)
	}
	ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(sc.s.jobs.running()))
}

// RegisterMetrics adds the collectors of parts of the service that live
// beside the HTTP API (the purchase stream consumer) to /metrics.
func (s *Server) RegisterMetrics(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := s.m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
