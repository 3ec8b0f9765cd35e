package scrub

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// State is the read side of the engine the scrub needs.
type State interface {
	Read(fn func(st *suppression.Store, version journal.Seq) error) error
}

// staleState is implemented by a State on a shared log (the engine): while
// it is stale every row is suppressed with reason stale_state.
type staleState interface {
	Staleness() (age time.Duration, stale bool)
}

// Options configure a scrub.
type Options struct {
	Scope      suppression.Scope
	Mapping    map[string]string // key kind name ("phone") → column name or 1-based number
	Normalizer *contactkey.Normalizer
	Hasher     *contactkey.Hasher
	CSV        csvio.Options
	At         time.Time // decide as of (default now)
	InputName  string
	Tool       string // written into the manifest
	Workers    int    // default GOMAXPROCS
	BatchRows  int    // default DefaultBatchRows
	// Progress, if set, is called from the writer with rows and input bytes done.
	Progress func(rows, bytes int64)
}

// Outputs are where the three row streams go. Each gets the input's header
// plus hush's columns.
type Outputs struct {
	Clean, Suppressed, Rejected io.Writer
}

// ErrNoContactColumn: the mapping lacks the channel's own contact point.
var ErrNoContactColumn = errors.New("the mapping has no column for the channel's contact point")

// ContactKind is the key kind a channel reaches people through.
func ContactKind(c suppression.Channel) contactkey.Kind {
	switch c {
	case suppression.Call, suppression.SMS:
		return contactkey.KindPhone
	case suppression.Email:
		return contactkey.KindEmail
	case suppression.Mail:
		return contactkey.KindAddress
	}
	return contactkey.KindCustomer
}

type mappedCol struct {
	kind contactkey.Kind
	col  int
}

// rowStatus of one input row.
const (
	statusClean uint8 = iota
	statusSuppressed
	statusRejected
)

type work struct {
	seq     int
	inBytes int64 // input bytes read when the batch was full
	batch   *csvio.Batch
	status  []uint8
	reasons [][]suppression.Reason
	reject  []string
	// per-kind keys and the rows they came from
	keys [5][]uint64
	rows [5][]int32
	has  [5][]bool
}

func (w *work) reset(n int) {
	w.status = resize(w.status, n)
	clear(w.status)
	if cap(w.reasons) < n {
		w.reasons = make([][]suppression.Reason, n)
	}
	w.reasons = w.reasons[:n]
	for i := range w.reasons {
		w.reasons[i] = w.reasons[i][:0]
	}
	if cap(w.reject) < n {
		w.reject = make([]string, n)
	}
	w.reject = w.reject[:n]
	clear(w.reject)
	for k := range w.keys {
		w.keys[k] = w.keys[k][:0]
		w.rows[k] = w.rows[k][:0]
		w.has[k] = resize(w.has[k], n)
		clear(w.has[k])
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Run scrubs in against state. It returns the manifest (also on a
// cancelled run, marked incomplete, for the log) or the error that
// stopped it.
func Run(ctx context.Context, state State, in io.Reader, out Outputs, opts Options) (*Manifest, error) {
	return RunOpening(ctx, func() (State, error) { return state, nil }, in, out, opts)
}

// RunOpening is Run against a state that is still being opened (a
// process recovering its engine from a snapshot): reading the input and
// normalising its keys need no state, so they start at once and overlap
// the opening; decisions wait for it. open is called once, by the first
// batch ready for decisions; its error fails the scrub (nothing is
// written as clean before the state is there).
//
// The work is a pipeline over a fixed number of batches in flight, so
// memory stays bounded whatever the input's size: the reader parses
// batches of rows; normalising workers turn their fields into keys
// (contactkey, SipHash); deciding workers probe the lists
// (Policy.DecideBatch); the writer puts the rows of each batch, in input
// order, into the three outputs and their SHA-256. Every stage but the
// reader and the writer runs on Workers goroutines, so both cores of a
// small machine are busy whichever stage a batch is in.
func RunOpening(ctx context.Context, open func() (State, error), in io.Reader, out Outputs, opts Options) (*Manifest, error) {
	started := time.Now()
	if opts.Normalizer == nil || opts.Hasher == nil {
		return nil, errors.New("scrub: Normalizer and Hasher are required")
	}
	if opts.At.IsZero() {
		opts.At = started
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	contact := ContactKind(opts.Scope.Channel)

	inHash := &hashingReader{r: in, h: sha256.New()}
	cr, err := csvio.NewReader(inHash, opts.InputName, opts.CSV)
	if err != nil {
		return nil, err
	}
	header := cr.Header()
	allowed := []string{"customer", "phone", "email", "address"}
	cols, err := cr.ResolveColumns(opts.Mapping, allowed)
	if err != nil {
		return nil, err
	}
	var mapped []mappedCol
	for _, name := range allowed {
		if c, ok := cols[name]; ok {
			k, _ := contactkey.ParseKind(name)
			mapped = append(mapped, mappedCol{kind: k, col: c})
		}
	}
	if _, ok := cols[contact.String()]; !ok {
		return nil, fmt.Errorf("%w: channel %s reaches people by %s; add --map %s=COLUMN", ErrNoContactColumn, opts.Scope.Channel, contact, contact)
	}
	view := &stateView{open: open, scope: opts.Scope}

	outs := [3]*hashingWriter{{w: out.Clean, h: sha256.New()}, {w: out.Suppressed, h: sha256.New()}, {w: out.Rejected, h: sha256.New()}}
	for _, o := range outs {
		if o.w == nil {
			o.w = io.Discard
		}
	}
	clean, supp, rej := csvio.NewWriter(outs[0]), csvio.NewWriter(outs[1]), csvio.NewWriter(outs[2])
	if err := writeHeader(clean, header); err != nil {
		return nil, err
	}
	if err := writeHeader(supp, header, "hush_reasons"); err != nil {
		return nil, err
	}
	if err := writeHeader(rej, header, "hush_line", "hush_reason"); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var fail firstError
	stop := func(err error) { fail.set(err); cancel() }
	// Batches in flight: one being read, one per normalising and per
	// deciding worker, one being written, and one more per worker
	// queued, so that no stage waits for a free batch while another is
	// busy; while RunOpening waits for the state the reader and the
	// normalisers run ahead by that many (8 × 64k rows on 2 cores). More
	// cost more than they gain: every batch is memory touched (page
	// faults, cache misses). Every channel holds them all: a send never
	// blocks.
	inflight := 3*opts.Workers + 2
	free := make(chan *work, inflight)
	for range inflight {
		free <- &work{batch: &csvio.Batch{}}
	}
	todo := make(chan *work, inflight)
	normed := make(chan *work, inflight)
	done := make(chan *work, inflight)

	go func() {
		defer close(todo)
		for seq := 0; ; seq++ {
			var w *work
			select {
			case w = <-free:
			case <-ctx.Done():
				fail.set(ctx.Err())
				return
			}
			w.seq = seq
			w.batch.Reset()
			err := cr.ReadBatch(w.batch, opts.BatchRows)
			w.inBytes = inHash.n // read here, on the reader's goroutine
			if w.batch.Len() > 0 {
				todo <- w
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				stop(err)
				return
			}
		}
	}()

	var normWG, decideWG sync.WaitGroup
	for range opts.Workers {
		normWG.Add(1)
		go func() {
			defer normWG.Done()
			for w := range todo {
				if !fail.failed() {
					normalizeBatch(w, mapped, contact, opts)
				}
				normed <- w
			}
		}()
		decideWG.Add(1)
		go func() {
			defer decideWG.Done()
			for w := range normed {
				if !fail.failed() {
					if err := view.decide(w, opts.At.Unix()); err != nil {
						stop(err)
					}
				}
				done <- w
			}
		}()
	}
	go func() { normWG.Wait(); close(normed) }()
	go func() { decideWG.Wait(); close(done) }()

	var wf *suppression.Waterfall
	var rows int64
	pending := map[int]*work{}
	next := 0
	var sets *reasonSets
	for w := range done {
		pending[w.seq] = w
		for {
			w, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if !fail.failed() {
				if wf == nil {
					wf = suppression.NewWaterfall(view.policy)
					sets = newReasonSets(wf)
				}
				if err := writeBatch(w, wf, clean, supp, rej, sets); err != nil {
					stop(err)
				}
				rows += int64(w.batch.Len())
				if opts.Progress != nil {
					opts.Progress(rows, w.inBytes)
				}
			}
			free <- w
		}
	}
	if err := fail.get(); err != nil {
		return nil, err
	}
	for _, wr := range []*csvio.Writer{clean, supp, rej} {
		if err := wr.Flush(); err != nil {
			return nil, err
		}
	}
	// An input with no rows decided nothing: open the state for the
	// manifest's proof all the same.
	if err := view.ready(); err != nil {
		return nil, err
	}
	if wf == nil {
		wf = suppression.NewWaterfall(view.policy)
	}
	policy, version := view.policy, view.version
	finished := time.Now()
	m := &Manifest{
		Format:       "hush-scrub-manifest/1",
		Tool:         opts.Tool,
		StartedAt:    started.UTC().Format(time.RFC3339Nano),
		FinishedAt:   finished.UTC().Format(time.RFC3339Nano),
		Seconds:      finished.Sub(started).Seconds(),
		DecidedAt:    opts.At.UTC().Format(time.RFC3339),
		Channel:      opts.Scope.Channel.String(),
		Purpose:      opts.Scope.Purpose,
		Sponsor:      opts.Scope.Sponsor,
		Region:       opts.Normalizer.Region(),
		Mapping:      opts.Mapping,
		StateVersion: uint64(version),
		Input:        FileDigest{Name: opts.InputName, SHA256: hex.EncodeToString(inHash.h.Sum(nil)), Bytes: inHash.n},
		Outputs: map[string]FileDigest{
			"clean":      outs[0].digest(),
			"suppressed": outs[1].digest(),
			"rejected":   outs[2].digest(),
		},
	}
	for _, l := range policy.Lists() {
		m.Lists = append(m.Lists, ListProof{Name: l.Name, Kind: l.Kind.String(), Type: l.Type.String(), Source: l.Source, Version: l.Version, Entries: l.Len, SHA256: hex.EncodeToString(l.Digest[:])})
	}
	m.Counts, m.Waterfall, m.PerReason = summarise(wf)
	if m.Counts.Rows != m.Counts.Clean+m.Counts.Suppressed+m.Counts.Rejected {
		return m, fmt.Errorf("internal: row accounting broken: %d in, %d+%d+%d out", m.Counts.Rows, m.Counts.Clean, m.Counts.Suppressed, m.Counts.Rejected)
	}
	return m, nil
}

// DefaultBatchRows is the batch size of a scrub. Batch decisions get
// faster per key as batches grow (the lists' containers are walked once
// per batch; 17M phones/s at 256k keys, 12M at 64k), but every row of a
// batch in flight is memory touched: at 10M rows, 128k-row batches cost
// more in the reader (cache misses, page faults: 40 % more CPU reading
// the 10M-row benchmark file) than they saved in the decisions.
const DefaultBatchRows = 1 << 16

// writeBatch writes the rows of w, each to its output. Runs of clean
// rows go out as the batch's own bytes where they lie as they would be
// written (Batch.Lines), one copy per run instead of a call per row.
func writeBatch(w *work, wf *suppression.Waterfall, clean, supp, rej *csvio.Writer, sets *reasonSets) error {
	n := w.batch.Len()
	for i := 0; i < n; {
		var err error
		switch w.status[i] {
		case statusRejected:
			row := w.batch.Row(i)
			wf.AddRejected(reasonCode(w.reject[i]))
			err = rej.WriteRawWith(row.Raw, strconv.FormatInt(row.Line, 10), w.reject[i])
			i++
		case statusSuppressed:
			text := sets.text(w.reasons[i])
			// The writer copies the reasons at once: no string to allocate.
			err = supp.WriteRawWith(w.batch.Row(i).Raw, unsafe.String(unsafe.SliceData(text), len(text)))
			i++
		default:
			j := i + 1
			for j < n && w.status[j] == statusClean {
				j++
			}
			wf.AddRows(nil, int64(j-i)) // no reasons: clean
			if lines := w.batch.Lines(i, j); lines != nil {
				err = clean.WriteLines(lines)
			} else {
				for k := i; k < j && err == nil; k++ {
					err = clean.WriteRaw(w.batch.Row(k).Raw)
				}
			}
			i = j
		}
		if err != nil {
			return err
		}
	}
	sets.count()
	return nil
}

// reasonSets renders the reasons of suppressed rows and counts them for
// the waterfall once per distinct set of reasons instead of once per row:
// the 3.5M suppressed rows of a 10M-row scrub share a few dozen sets. A
// set is told by what its rendering and its waterfall steps depend on
// (code, list, source, kind, purpose; not Since). Past maxReasonSets
// sets, the others are rendered and counted row by row.
type reasonSets struct {
	index map[string]int
	sets  []reasonSet
	order []int  // sets with rows in this batch, in first-row order
	key   []byte // scratch
	text1 []byte // scratch for an uncached set
	wf    *suppression.Waterfall
}

type reasonSet struct {
	reasons []suppression.Reason
	text    []byte
	rows    int64 // in this batch
}

const maxReasonSets = 1024

func newReasonSets(wf *suppression.Waterfall) *reasonSets {
	return &reasonSets{index: map[string]int{}, wf: wf}
}

// text returns the rendering of rs (formatReasons) and notes one row with
// them; the bytes are valid until the next call.
func (s *reasonSets) text(rs []suppression.Reason) []byte {
	s.key = appendReasonsKey(s.key[:0], rs)
	i, ok := s.index[string(s.key)]
	if !ok {
		if len(s.sets) >= maxReasonSets {
			s.wf.AddRow(rs)
			s.text1 = formatReasons(s.text1[:0], rs)
			return s.text1
		}
		i = len(s.sets)
		s.index[string(s.key)] = i
		s.sets = append(s.sets, reasonSet{reasons: slices.Clone(rs), text: formatReasons(nil, rs)})
	}
	set := &s.sets[i]
	if set.rows == 0 {
		s.order = append(s.order, i)
	}
	set.rows++
	return set.text
}

// count adds the rows noted since the last count to the waterfall.
func (s *reasonSets) count() {
	for _, i := range s.order {
		s.wf.AddRows(s.sets[i].reasons, s.sets[i].rows)
		s.sets[i].rows = 0
	}
	s.order = s.order[:0]
}

// appendReasonsKey appends the identity of rs as reasonSets tells sets
// apart: every string length-prefixed, so that no two sets share a key.
func appendReasonsKey(dst []byte, rs []suppression.Reason) []byte {
	str := func(dst []byte, v string) []byte {
		return append(binary.AppendUvarint(dst, uint64(len(v))), v...)
	}
	for i := range rs {
		r := &rs[i]
		dst = append(dst, byte(r.Kind))
		dst = str(dst, r.Code)
		dst = str(dst, r.List)
		dst = str(dst, r.Source)
		dst = str(dst, r.Purpose)
	}
	return dst
}

// stateView is the state a scrub decides against, opened on first use:
// one consistent view for the whole run (the lists as they were then).
type stateView struct {
	open  func() (State, error)
	scope suppression.Scope

	once    sync.Once
	err     error
	state   State
	policy  *suppression.Policy
	version journal.Seq
	consent []suppression.ListRef
}

// ready opens the state, once; every caller gets the same outcome.
func (v *stateView) ready() error {
	v.once.Do(func() {
		st, err := v.open()
		if err != nil {
			v.err = err
			return
		}
		var frozen *suppression.Store
		if err := st.Read(func(s *suppression.Store, ver journal.Seq) error {
			frozen, v.version = s.Freeze(), ver
			return nil
		}); err != nil {
			v.err = err
			return
		}
		policy, err := frozen.Compile(v.scope)
		if err != nil {
			v.err = err
			return
		}
		for _, l := range policy.Lists() {
			if l.Type == suppression.Consent {
				v.consent = append(v.consent, l)
			}
		}
		v.state, v.policy = st, policy
	})
	return v.err
}

// firstError keeps the first error any stage reports.
type firstError struct {
	mu  sync.Mutex
	err error
	bad atomic.Bool
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
		f.bad.Store(true)
	}
}

func (f *firstError) failed() bool { return f.bad.Load() }

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func writeHeader(w *csvio.Writer, header []string, extra ...string) error {
	fields := make([][]byte, 0, len(header)+len(extra))
	for _, h := range header {
		fields = append(fields, []byte(h))
	}
	for _, x := range extra {
		fields = append(fields, []byte(x))
	}
	return w.WriteRecord(fields...)
}

// reasonCode is the stable part of a reject reason ("invalid_phone: too_short" → "invalid_phone").
func reasonCode(s string) string {
	if i := strings.IndexByte(s, ':'); i > 0 {
		return s[:i]
	}
	return s
}

// formatReasons renders reasons for the suppressed output as
// "list(kind):source:purpose" joined by ";", e.g.
// "national_dnc(phone):national_registry:direct_marketing;optouts(customer):customer_request:third_party_disclosure".
// Identical renderings (one subject matched twice the same way) are shown once.
func formatReasons(dst []byte, rs []suppression.Reason) []byte {
	start := len(dst)
	for _, r := range rs {
		mark := len(dst)
		if mark > start {
			dst = append(dst, ';')
		}
		item := len(dst)
		if r.Code == suppression.ReasonStaleState {
			// Not a list's entry: the state could not be trusted.
			dst = append(append(dst, "stale_state:"...), r.Source...)
			continue
		}
		if r.Code == suppression.ReasonNoConsent {
			dst = append(dst, "no_consent:"...)
		}
		dst = append(dst, r.List...)
		dst = append(dst, '(')
		dst = append(dst, r.Kind.String()...)
		dst = append(dst, ')')
		if r.Source != "" {
			dst = append(dst, ':')
			dst = append(dst, r.Source...)
		}
		if r.Purpose != "" {
			dst = append(dst, ':')
			dst = append(dst, r.Purpose...)
		}
		if containsItem(dst[start:mark], dst[item:]) {
			dst = dst[:mark]
		}
	}
	return dst
}

// containsItem reports whether the ";"-joined list has item.
func containsItem(list, item []byte) bool {
	for len(list) > 0 {
		i := 0
		for i < len(list) && list[i] != ';' {
			i++
		}
		if string(list[:i]) == string(item) {
			return true
		}
		if i == len(list) {
			break
		}
		list = list[i+1:]
	}
	return false
}

// normalizeBatch turns the mapped fields of w's rows into keys, grouped
// by kind; rows with a bad record, a missing contact point or a key that
// does not parse are marked rejected with the reason.
func normalizeBatch(w *work, mapped []mappedCol, contact contactkey.Kind, opts Options) {
	n := w.batch.Len()
	w.reset(n)
	// Room for a key per row of every mapped kind at once: grown by
	// append, each of the batches in flight would reallocate its key and
	// row slices a dozen times on the way to full size, every step fresh
	// pages (page faults, ≈ 8 µs each on the benchmark's VM).
	for _, mc := range mapped {
		if cap(w.keys[mc.kind]) < n {
			w.keys[mc.kind] = make([]uint64, 0, n)
			w.rows[mc.kind] = make([]int32, 0, n)
		}
	}
	var rowKeys [4]contactkey.Key
	for i := 0; i < n; i++ {
		if _, rerr := w.batch.RowInfo(i); rerr != nil {
			w.status[i] = statusRejected
			w.reject[i] = "bad_row: " + rerr.Error()
			continue
		}
		nk := 0
		for _, mc := range mapped {
			f := trimSpace(w.batch.Field(i, mc.col))
			if len(f) == 0 {
				if mc.kind == contact {
					w.status[i] = statusRejected
					w.reject[i] = "missing_" + contact.String()
					break
				}
				continue
			}
			k, err := opts.Normalizer.Key(mc.kind, f, opts.Hasher)
			if err != nil {
				w.status[i] = statusRejected
				var ke *contactkey.KeyError
				if errors.As(err, &ke) {
					w.reject[i] = "invalid_" + mc.kind.String() + ": " + ke.Reason
				} else {
					w.reject[i] = "invalid_" + mc.kind.String() + ": " + err.Error()
				}
				break
			}
			rowKeys[nk] = k
			nk++
		}
		if w.status[i] == statusRejected {
			continue
		}
		for _, k := range rowKeys[:nk] {
			w.keys[k.Kind] = append(w.keys[k.Kind], k.V)
			w.rows[k.Kind] = append(w.rows[k.Kind], int32(i))
			w.has[k.Kind][i] = true
		}
	}
}

// decide checks w's keys against the lists (waiting for the state to be
// open) and marks the rows with reasons suppressed.
func (v *stateView) decide(w *work, at int64) error {
	if err := v.ready(); err != nil {
		return err
	}
	err := v.state.Read(func(*suppression.Store, journal.Seq) error {
		for _, kind := range contactkey.Kinds {
			if len(w.keys[kind]) == 0 {
				continue
			}
			rows := w.rows[kind]
			v.policy.DecideBatch(kind, w.keys[kind], at, func(j int, r suppression.Reason) {
				i := rows[j]
				w.reasons[i] = append(w.reasons[i], r)
			})
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A state that lost its shared log for too long cannot say "clean".
	stale := false
	if sc, ok := v.state.(staleState); ok {
		_, stale = sc.Staleness()
	}
	for i := range w.batch.Len() {
		if w.status[i] == statusRejected {
			continue
		}
		if stale {
			w.reasons[i] = append(w.reasons[i], suppression.Reason{Code: suppression.ReasonStaleState, Source: "shared_log"})
		}
		for _, c := range v.consent {
			if !w.has[c.Kind][i] {
				w.reasons[i] = append(w.reasons[i], suppression.Reason{Code: "no_consent", List: c.Name, Source: c.Source, Kind: c.Kind})
			}
		}
		if len(w.reasons[i]) > 0 {
			w.status[i] = statusSuppressed
		}
	}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

type hashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (h *hashingWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

func (h *hashingWriter) digest() FileDigest {
	return FileDigest{SHA256: hex.EncodeToString(h.h.Sum(nil)), Bytes: h.n}
}
