package scrub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// State is the read side of the engine the scrub needs.
type State interface {
	Read(fn func(st *suppression.Store, version journal.Seq) error) error
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
	BatchRows  int    // default 65536: batch decisions get faster per key as batches grow
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

// Run scrubs in. It returns the manifest (also on a cancelled run, marked
// incomplete, for the log) or the error that stopped it.
func Run(ctx context.Context, state State, in io.Reader, out Outputs, opts Options) (*Manifest, error) {
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
		opts.BatchRows = 65536
	}
	contact := ContactKind(opts.Scope.Channel)

	// One consistent view for the whole run: the lists as they are now.
	var frozen *suppression.Store
	var version journal.Seq
	if err := state.Read(func(st *suppression.Store, v journal.Seq) error {
		frozen, version = st.Freeze(), v
		return nil
	}); err != nil {
		return nil, err
	}
	policy, err := frozen.Compile(opts.Scope)
	if err != nil {
		return nil, err
	}

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
	var consent []suppression.ListRef
	for _, l := range policy.Lists() {
		if l.Type == suppression.Consent {
			consent = append(consent, l)
		}
	}

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
	inflight := opts.Workers*2 + 2
	free := make(chan *work, inflight)
	for range inflight {
		free <- &work{batch: &csvio.Batch{}}
	}
	todo := make(chan *work, inflight)
	done := make(chan *work, inflight)

	var readErr error
	go func() {
		defer close(todo)
		for seq := 0; ; seq++ {
			var w *work
			select {
			case w = <-free:
			case <-ctx.Done():
				readErr = ctx.Err()
				return
			}
			w.seq = seq
			w.batch.Reset()
			err := cr.ReadBatch(w.batch, opts.BatchRows)
			if w.batch.Len() > 0 {
				todo <- w
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				readErr = err
				return
			}
		}
	}()

	var wg sync.WaitGroup
	var decideErr error
	var decideOnce sync.Once
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range todo {
				if err := decideBatch(state, policy, w, mapped, contact, consent, opts); err != nil {
					decideOnce.Do(func() { decideErr = err; cancel() })
				}
				done <- w
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	wf := suppression.NewWaterfall(policy)
	var rows int64
	var writeErr error
	pending := map[int]*work{}
	next := 0
	var reasonBuf []byte
	for w := range done {
		pending[w.seq] = w
		for {
			w, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if writeErr == nil && decideErr == nil {
				for i := 0; i < w.batch.Len(); i++ {
					row := w.batch.Row(i)
					switch w.status[i] {
					case statusRejected:
						wf.AddRejected(reasonCode(w.reject[i]))
						writeErr = rej.WriteRawWith(row.Raw, strconv.FormatInt(row.Line, 10), w.reject[i])
					case statusSuppressed:
						wf.AddRow(w.reasons[i])
						reasonBuf = formatReasons(reasonBuf[:0], w.reasons[i])
						writeErr = supp.WriteRawWith(row.Raw, string(reasonBuf))
					default:
						wf.AddClean()
						writeErr = clean.WriteRaw(row.Raw)
					}
					if writeErr != nil {
						cancel()
						break
					}
				}
				rows += int64(w.batch.Len())
				if opts.Progress != nil {
					opts.Progress(rows, inHash.n)
				}
			}
			free <- w
		}
	}
	for _, err := range []error{decideErr, writeErr, readErr} {
		if err != nil {
			return nil, err
		}
	}
	for _, wr := range []*csvio.Writer{clean, supp, rej} {
		if err := wr.Flush(); err != nil {
			return nil, err
		}
	}
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

func decideBatch(state State, policy *suppression.Policy, w *work, mapped []mappedCol, contact contactkey.Kind, consent []suppression.ListRef, opts Options) error {
	n := w.batch.Len()
	w.reset(n)
	var rowKeys [4]contactkey.Key
	for i := 0; i < n; i++ {
		row := w.batch.Row(i)
		if row.Err != nil {
			w.status[i] = statusRejected
			w.reject[i] = "bad_row: " + row.Err.Error()
			continue
		}
		nk := 0
		for _, mc := range mapped {
			f := trimSpace(row.Field(mc.col))
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
	at := opts.At.Unix()
	err := state.Read(func(*suppression.Store, journal.Seq) error {
		for _, kind := range contactkey.Kinds {
			if len(w.keys[kind]) == 0 {
				continue
			}
			rows := w.rows[kind]
			policy.DecideBatch(kind, w.keys[kind], at, func(j int, r suppression.Reason) {
				i := rows[j]
				w.reasons[i] = append(w.reasons[i], r)
			})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if w.status[i] == statusRejected {
			continue
		}
		for _, c := range consent {
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
