package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
	"github.com/hushcrm/hush/suppression"
)

// Options configure an Engine.
type Options struct {
	// Hasher keys the hashes of emails, addresses and customer ids. Its
	// fingerprint is bound to the journal by the first record.
	Hasher *contactkey.Hasher
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// SnapshotBytes: snapshot once this many bytes of records were applied
	// since the last snapshot (0: 256 MiB).
	SnapshotBytes int64
	// Actor is recorded on every record this engine writes.
	Actor string
	// Tool names the binary in the Init record (e.g. "hush v0.1.0").
	Tool string
	// Logf receives operational notes (recovery, snapshots). May be nil.
	Logf func(format string, args ...any)

	// On a shared journal (journal.Shared; see shared.go):
	// MaxStaleness is how long decisions are answered from memory after
	// the log was last reached (0: DefaultMaxStaleness), and
	// ImportIdleTimeout how long an open import may go without a record
	// before any instance aborts it (0: DefaultImportIdleTimeout).
	MaxStaleness      time.Duration
	ImportIdleTimeout time.Duration

	// extraComponents add components after the built-in ones (tests).
	extraComponents []func(*Engine) component
}

// Errors callers can branch on.
var (
	ErrClosed         = errors.New("engine closed")
	ErrUnavailable    = errors.New("engine cannot write: the journal failed; restart to recover")
	ErrSecretMismatch = errors.New("the secret in this data dir does not match the journal")
	ErrUnknownImport  = errors.New("unknown or finished import")
)

// Engine owns the state. All methods are safe for concurrent use.
type Engine struct {
	j    journal.Journal
	opts Options
	// shared is set when j is shared with other instances (shared.go).
	shared *shared

	mu          sync.RWMutex // guards store and applied for readers
	store       *suppression.Store
	applied     journal.Seq
	fingerprint string

	// components hold the state beside the store; only the writer (or
	// recovery) calls into them, each guards what its readers see. The
	// slice is replaced whole when an instance that fell behind reloads a
	// snapshot (reload.go), hence the atomic pointer; use comps().
	components atomic.Pointer[[]component]

	reqs    chan *request
	stop    chan struct{}
	stopped chan struct{}
	closing atomic.Bool
	broken  atomic.Pointer[error]

	nextImportID atomic.Uint64

	// Writer-owned (only the writer goroutine, or recovery before it
	// starts, touches these).
	imports        map[uint64]*openImport
	bytesSinceSnap int64
	lastSnap       journal.Seq
	autoSnap       autoSnapshot

	// commitResults hands import outcomes to the goroutine that committed
	// (guarded by mu; nil during recovery, when nobody is waiting).
	commitResults map[uint64]suppression.ImportResult

	// policies caches compiled policies for the current version; readers
	// load it without locking, a miss copies it with one more entry.
	policyMu sync.Mutex
	policies atomic.Pointer[policyCache]
	// warming is the lists version whose policies the writer is compiling
	// (0: none); see policywarm.go.
	warming atomic.Uint64
}

type policyCache struct {
	version journal.Seq
	m       map[suppression.Scope]*suppression.Policy
}

type openImport struct {
	list string
	im   *suppression.Import
	err  error // BeginImport failed: chunks are ignored, commit fails with it
}

type request struct {
	recs []record.Record
	ctl  func() error // run on the writer instead of appending records
	done chan response
}

type response struct {
	first journal.Seq
	errs  []error // one per record: the apply error, if any
	err   error   // the append failed: nothing of this request is durable
}

// Open recovers the state from j (newest valid snapshot, then the log) and
// starts the writer. The caller keeps ownership of j and closes it after
// Close.
func Open(ctx context.Context, j journal.Journal, opts Options) (*Engine, error) {
	if opts.Hasher == nil {
		return nil, errors.New("engine: Options.Hasher is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SnapshotBytes <= 0 {
		opts.SnapshotBytes = 256 << 20
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	e := &Engine{
		j:       j,
		opts:    opts,
		store:   suppression.NewStore(),
		reqs:    make(chan *request, 1024),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
		imports: map[uint64]*openImport{},
	}
	e.nextImportID.Store(1)
	cs := e.newComponents()
	e.components.Store(&cs)
	e.initShared()
	recoveredAt := e.opts.Now()
	if err := e.recover(); err != nil {
		return nil, err
	}
	e.commitResults = map[uint64]suppression.ImportResult{}
	go e.writer()
	if err := e.finishRecovery(ctx); err != nil {
		e.Close()
		return nil, err
	}
	e.startFollower(recoveredAt)
	return e, nil
}

// recover loads the newest snapshot that reads back whole, then replays.
func (e *Engine) recover() error {
	snaps, err := e.j.Snapshots()
	if err != nil {
		return fmt.Errorf("list snapshots: %w", err)
	}
	var base journal.Seq
	for _, seq := range snaps {
		st, err := e.loadSnapshot(seq)
		if err != nil {
			e.opts.Logf("snapshot %d unusable, trying an older one: %v", seq, err)
			continue
		}
		e.store, e.fingerprint, base = st.store, st.fingerprint, seq
		e.components.Store(&st.components)
		e.nextImportID.Store(st.nextImportID)
		e.lastSnap = seq
		break
	}
	if len(snaps) > 0 && base == 0 {
		e.opts.Logf("no snapshot could be read; replaying the whole log")
	}
	if first := e.j.FirstSeq(); first > base+1 {
		return &journal.CorruptionError{Err: fmt.Errorf("records %d..%d are missing: the log starts at %d and no usable snapshot covers what comes before it", base+1, first-1, first)}
	}
	e.applied = base
	err = e.j.Replay(base, func(seq journal.Seq, b []byte) error {
		if seq != e.applied+1 {
			return fmt.Errorf("replay: record %d follows %d", seq, e.applied)
		}
		r, err := record.Decode(b)
		if err != nil {
			return fmt.Errorf("replay: record %d: %w", seq, err)
		}
		if err := e.apply(seq, r); err != nil && !isDomainError(err) {
			return fmt.Errorf("replay: record %d (%s): %w", seq, r.Type(), err)
		}
		e.applied = seq
		e.bytesSinceSnap += int64(len(b))
		return nil
	})
	if err != nil {
		return err
	}
	if e.fingerprint != "" && e.fingerprint != e.opts.Hasher.Fingerprint() {
		return fmt.Errorf("%w: journal was written with secret %s, the data dir holds %s", ErrSecretMismatch, e.fingerprint, e.opts.Hasher.Fingerprint())
	}
	return nil
}

// finishRecovery writes the Init record of a new journal and closes imports
// that a crash left open, so the log says what became of them.
func (e *Engine) finishRecovery(ctx context.Context) error {
	var recs []record.Record
	if e.fingerprint == "" {
		recs = append(recs, &record.Init{SecretFingerprint: e.opts.Hasher.Fingerprint(), CreatedAt: e.now(), Tool: e.opts.Tool})
	}
	for _, id := range sortedImportIDs(e.imports) {
		if e.shared != nil {
			// Another live instance may be streaming it: idle imports
			// are aborted by abortIdleImports instead.
			break
		}
		e.opts.Logf("import %d into %q was interrupted; it was not applied", id, e.imports[id].list)
		recs = append(recs, &record.ImportAbort{ID: id, At: e.now(), Reason: "interrupted: the process stopped before the import committed"})
	}
	if len(recs) == 0 {
		return nil
	}
	_, errs, err := e.submit(ctx, recs...)
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}

func (e *Engine) now() int64 { return e.opts.Now().Unix() }

// isDomainError reports whether err is a deterministic rejection by the
// domain (unknown list, list exists...). Such a record is a no-op on replay
// exactly as it was when first applied.
func isDomainError(err error) bool {
	var de *domainError
	return errors.As(err, &de)
}

type domainError struct{ err error }

func (d *domainError) Error() string { return d.err.Error() }
func (d *domainError) Unwrap() error { return d.err }

// apply changes the state by one record. It runs on the writer goroutine
// (or during recovery), so it may read e.store without the lock; it takes
// the write lock only around mutations readers could observe.
func (e *Engine) apply(seq journal.Seq, r record.Record) error {
	v := uint64(seq)
	switch r := r.(type) {
	case *record.Init:
		if e.fingerprint != "" && e.fingerprint != r.SecretFingerprint {
			return &domainError{fmt.Errorf("%w: second init record with another secret", ErrSecretMismatch)}
		}
		e.fingerprint = r.SecretFingerprint
		return nil
	case *record.ListCreate:
		spec := suppression.ListSpec{
			Name:        r.Name,
			Kind:        contactkey.Kind(r.Kind),
			Type:        suppression.ListType(r.ListType),
			Channels:    suppression.ChannelSet(r.Channels),
			Purposes:    suppression.PurposeSet{All: r.AllPurposes, Names: r.Purposes},
			Source:      r.Source,
			Description: r.Description,
		}
		return e.locked(func() error { return e.store.CreateList(spec, v, time.Unix(r.At, 0)) })
	case *record.ListDelete:
		return e.locked(func() error { return e.store.DeleteList(r.Name, v, time.Unix(r.At, 0)) })
	case *record.ImportBegin:
		if r.ID >= e.nextImportID.Load() {
			e.nextImportID.Store(r.ID + 1)
		}
		im, err := e.store.BeginImport(r.List, suppression.ImportMode(r.Mode))
		if err != nil {
			// Nothing was opened: its chunks and commit are rejected as
			// unknown, and no open import holds back snapshots.
			return &domainError{err}
		}
		e.imports[importID(seq, r)] = &openImport{list: r.List, im: im}
		return nil
	case *record.ImportChunk:
		oi := e.imports[r.ID]
		if oi == nil {
			return &domainError{fmt.Errorf("%w: chunk for import %d", ErrUnknownImport, r.ID)}
		}
		if oi.err != nil {
			return &domainError{oi.err}
		}
		// Staging is private to the writer: no lock, readers go on.
		oi.im.Add(r.Keys, r.Expires)
		return nil
	case *record.ImportCommit:
		oi := e.imports[r.ID]
		if oi == nil {
			return &domainError{fmt.Errorf("%w: commit of import %d", ErrUnknownImport, r.ID)}
		}
		delete(e.imports, r.ID)
		if oi.err != nil {
			return &domainError{oi.err}
		}
		e.autoSnap.importCommitted = true
		// The heavy part (merging, compressing a list of millions) runs
		// here without the lock: only this goroutine mutates the store,
		// and PrepareCommit only reads it, so readers go on. Publish is a
		// pointer swap (plus new dictionary ids) under the lock.
		pc, err := e.store.PrepareCommit(oi.im, v, time.Unix(r.At, 0))
		if err != nil {
			return &domainError{err}
		}
		e.mu.Lock()
		res, err := e.store.Publish(pc)
		if err == nil && e.commitResults != nil && e.keepCommitResult(r.ID) {
			e.commitResults[r.ID] = res
		}
		e.mu.Unlock()
		if errors.Is(err, suppression.ErrStalePrepared) {
			// Only possible if something else mutated the store between
			// prepare and publish: the single-writer rule is broken, so
			// this is not a deterministic outcome of the record.
			return err
		}
		if err != nil {
			return &domainError{err}
		}
		return nil
	case *record.ImportAbort:
		delete(e.imports, r.ID)
		return nil
	case *record.OptOut:
		key := contactkey.Key{Kind: contactkey.Kind(r.Kind), V: r.Key}
		ev := suppression.OptEvent{
			Version:  v,
			At:       r.At,
			Channels: suppression.ChannelSet(r.Channels),
			Purposes: suppression.PurposeSet{All: r.AllPurposes, Names: r.Purposes},
			Source:   r.Source,
			OptIn:    r.OptIn,
			Evidence: r.Evidence,
		}
		return e.locked(func() error {
			if r.OptIn {
				return e.store.OptIn(key, ev)
			}
			return e.store.OptOut(key, ev)
		})
	}
	return e.applyComponents(seq, r)
}

// locked runs a store mutation under the write lock; a domain error from
// the store is marked deterministic.
func (e *Engine) locked(fn func() error) error {
	e.mu.Lock()
	err := fn()
	e.mu.Unlock()
	if err != nil {
		return &domainError{err}
	}
	return nil
}

// writer is the one goroutine that appends and applies.
func (e *Engine) writer() {
	defer close(e.stopped)
	const maxBatch = 512
	var batch []*request
	var bufs [][]byte
	var arena []byte
	for {
		var first *request
		select {
		case first = <-e.reqs:
		case <-e.stop:
			// Drain what was already queued so no caller waits forever.
			for {
				select {
				case r := <-e.reqs:
					r.done <- response{err: ErrClosed}
				default:
					return
				}
			}
		}
		if first.ctl != nil {
			first.done <- response{err: first.ctl()}
			continue
		}
		batch = append(batch[:0], first)
		var ctl *request
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-e.reqs:
				if r.ctl != nil {
					ctl = r
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		e.runBatch(batch, &bufs, &arena)
		if ctl != nil {
			ctl.done <- response{err: ctl.ctl()}
		}
	}
}

func (e *Engine) runBatch(batch []*request, bufs *[][]byte, arena *[]byte) {
	if bp := e.broken.Load(); bp != nil {
		for _, r := range batch {
			r.done <- response{err: *bp}
		}
		return
	}
	*bufs = (*bufs)[:0]
	*arena = (*arena)[:0]
	var offs []int
	for _, r := range batch {
		for _, rec := range r.recs {
			offs = append(offs, len(*arena))
			*arena = record.Encode(*arena, rec)
		}
	}
	offs = append(offs, len(*arena))
	for i := 0; i+1 < len(offs); i++ {
		*bufs = append(*bufs, (*arena)[offs[i]:offs[i+1]])
	}
	first, err := e.j.Append(context.Background(), (*bufs)...)
	if e.shared != nil {
		e.finishSharedBatch(batch, first, err)
		return
	}
	if err != nil {
		werr := fmt.Errorf("%w: %w", ErrUnavailable, err)
		e.broken.Store(&werr)
		for _, r := range batch {
			r.done <- response{err: werr}
		}
		return
	}
	seq := first
	for _, r := range batch {
		resp := response{first: seq, errs: make([]error, len(r.recs))}
		for i, rec := range r.recs {
			changesLists := e.beforeListChange(seq, rec)
			if err := e.apply(seq, rec); err != nil {
				resp.errs[i] = err
				if !isDomainError(err) {
					// A non-deterministic failure after the log accepted
					// the record: memory no longer follows the log.
					werr := fmt.Errorf("%w: applying record %d: %w", ErrUnavailable, seq, err)
					e.broken.Store(&werr)
				}
			}
			e.mu.Lock()
			e.applied = seq
			e.mu.Unlock()
			if changesLists {
				e.warmPolicies()
			}
			seq++
		}
		r.done <- resp
	}
	e.bytesSinceSnap += int64(len(*arena))
	if e.snapshotDue() {
		if err := e.snapshot(); err != nil {
			e.opts.Logf("snapshot failed (the log still holds everything): %v", err)
		}
	}
}

// submit appends recs as one unit and waits until they are durable and
// applied. errs holds each record's apply error.
func (e *Engine) submit(ctx context.Context, recs ...record.Record) (journal.Seq, []error, error) {
	if e.closing.Load() {
		return 0, nil, ErrClosed
	}
	if bp := e.broken.Load(); bp != nil {
		return 0, nil, *bp
	}
	r := &request{recs: recs, done: make(chan response, 1)}
	select {
	case e.reqs <- r:
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	case <-e.stopped:
		return 0, nil, ErrClosed
	}
	// Once queued, wait for the outcome even if ctx ends: the record may be
	// durable already, and the caller must not be told otherwise.
	resp := <-r.done
	return resp.first, resp.errs, resp.err
}

func (e *Engine) submit1(ctx context.Context, rec record.Record) (journal.Seq, error) {
	seq, errs, err := e.submit(ctx, rec)
	if err != nil {
		return 0, err
	}
	if errs[0] != nil {
		return seq, unwrapDomain(errs[0])
	}
	return seq, nil
}

func unwrapDomain(err error) error {
	var de *domainError
	if errors.As(err, &de) {
		return de.err
	}
	return err
}

// Close stops the writer after the queued commands and releases nothing
// else: the caller closes the journal.
func (e *Engine) Close() error {
	if e.closing.Swap(true) {
		return nil
	}
	e.stopFollower()
	close(e.stop)
	<-e.stopped
	return nil
}

// Applied is the sequence number of the last record applied to memory.
func (e *Engine) Applied() journal.Seq {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.applied
}

// Read runs fn with the published store under the read lock. fn must not
// keep the store after it returns (use Store.Freeze for a lasting view).
func (e *Engine) Read(fn func(st *suppression.Store, version journal.Seq) error) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return fn(e.store, e.applied)
}

// Hasher returns the deployment's keyed hasher.
func (e *Engine) Hasher() *contactkey.Hasher { return e.opts.Hasher }

// Snapshot writes a snapshot now, after everything queued before it. It is
// refused while an import is open (its staging is not part of the state).
func (e *Engine) Snapshot(ctx context.Context) error {
	return e.control(ctx, func() error {
		if len(e.imports) > 0 {
			return errors.New("an import is in progress; snapshot after it commits")
		}
		return e.snapshot()
	})
}

// Export hands the whole state, in the snapshot format, to dst with the
// log position it covers — to seed another journal with it (an embedded
// data dir moving to Redis). It runs between record batches, so the
// state is the one at seq exactly.
func (e *Engine) Export(ctx context.Context, dst func(seq journal.Seq, write func(w io.Writer) error) error) error {
	return e.control(ctx, func() error {
		if len(e.imports) > 0 {
			return errors.New("an import is in progress; export after it commits")
		}
		seq := e.applied
		return dst(seq, func(w io.Writer) error { return e.writeSnapshotTo(w, seq) })
	})
}

// control runs fn on the writer goroutine, between record batches.
func (e *Engine) control(ctx context.Context, fn func() error) error {
	if e.closing.Load() {
		return ErrClosed
	}
	r := &request{ctl: fn, done: make(chan response, 1)}
	select {
	case e.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-e.stopped:
		return ErrClosed
	}
	return (<-r.done).err
}

func sortedImportIDs(m map[uint64]*openImport) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	return ids
}

// Snapshot format: magic, format version, seq, secret fingerprint, next
// import id, the store's own deterministic encoding, then (format 2) one
// section per component. Format 1 (no sections) is still read.
var snapMagic = [8]byte{'H', 'U', 'S', 'H', 'S', 'N', 'A', 'P'}

const snapFormat = 2

type snapState struct {
	store        *suppression.Store
	fingerprint  string
	nextImportID uint64
	components   []component
}

func (e *Engine) writeSnapshotTo(w io.Writer, seq journal.Seq) error {
	return writeSnapshotTo(w, seq, e.fingerprint, e.nextImportID.Load(), e.store, e.comps())
}

func writeSnapshotTo(w io.Writer, seq journal.Seq, fingerprint string, nextImportID uint64, st *suppression.Store, cs []component) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var hdr []byte
	hdr = append(hdr, snapMagic[:]...)
	hdr = binary.AppendUvarint(hdr, snapFormat)
	hdr = binary.AppendUvarint(hdr, uint64(seq))
	hdr = binary.AppendUvarint(hdr, uint64(len(fingerprint)))
	hdr = append(hdr, fingerprint...)
	hdr = binary.AppendUvarint(hdr, nextImportID)
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	if _, err := st.WriteTo(bw); err != nil {
		return err
	}
	if err := writeSections(bw, cs); err != nil {
		return err
	}
	return bw.Flush()
}

// readSnapshotFrom reads a snapshot into a fresh store and the fresh
// components cs. A snapshot the journal hands out as verified bytes in
// memory (wal.MappedSnapshot: mapped, its checksum checked) is read in
// place: the store keeps its bitmaps and dictionary values there instead
// of copying them.
func readSnapshotFrom(r io.Reader, want journal.Seq, cs []component) (*snapState, error) {
	if m, ok := r.(interface{ Bytes() []byte }); ok {
		return readSnapshotBytes(m.Bytes(), want, cs)
	}
	br := bufio.NewReaderSize(r, 1<<20)
	format, fp, next, err := readSnapshotHeader(br, want)
	if err != nil {
		return nil, err
	}
	var limit int64 // the content's size, when the journal says
	if s, ok := r.(interface{ Size() int64 }); ok {
		limit = s.Size()
	}
	st, err := suppression.ReadStoreLimit(br, limit)
	if err != nil {
		return nil, fmt.Errorf("snapshot state: %w", err)
	}
	if format >= 2 {
		if err := readSections(br, cs); err != nil {
			return nil, err
		}
	}
	// The journal's reader verifies the checksum when it reaches the end:
	// read to the end so damage past the store's last byte is seen too.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, err
	}
	return &snapState{store: st, fingerprint: fp, nextImportID: next, components: cs}, nil
}

// readSnapshotBytes is readSnapshotFrom for the whole content in b, whose
// checksum the journal has verified.
func readSnapshotBytes(b []byte, want journal.Seq, cs []component) (*snapState, error) {
	br := bytes.NewReader(b)
	format, fp, next, err := readSnapshotHeader(br, want)
	if err != nil {
		return nil, err
	}
	off := len(b) - br.Len()
	st, n, err := suppression.ReadStoreBytes(b[off:], true)
	if err != nil {
		return nil, fmt.Errorf("snapshot state: %w", err)
	}
	if format >= 2 {
		if err := readSections(bytes.NewReader(b[off+n:]), cs); err != nil {
			return nil, err
		}
	}
	return &snapState{store: st, fingerprint: fp, nextImportID: next, components: cs}, nil
}

type byteReader interface {
	io.Reader
	io.ByteReader
}

// readSnapshotHeader reads what precedes the store: format, seq (it must
// be want), secret fingerprint and next import id.
func readSnapshotHeader(br byteReader, want journal.Seq) (format uint64, fp string, next uint64, err error) {
	var magic [8]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return 0, "", 0, fmt.Errorf("snapshot header: %w", err)
	}
	if magic != snapMagic {
		return 0, "", 0, fmt.Errorf("snapshot header: bad magic %q", magic[:])
	}
	format, err = binary.ReadUvarint(br)
	if err != nil || format < 1 || format > snapFormat {
		return 0, "", 0, fmt.Errorf("snapshot header: unsupported format %d (%v)", format, err)
	}
	seq, err := binary.ReadUvarint(br)
	if err != nil {
		return 0, "", 0, fmt.Errorf("snapshot header: %w", err)
	}
	if journal.Seq(seq) != want {
		return 0, "", 0, fmt.Errorf("snapshot header says seq %d, file name says %d", seq, want)
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > 256 {
		return 0, "", 0, fmt.Errorf("snapshot header: fingerprint length %d (%v)", n, err)
	}
	fpb := make([]byte, n)
	if _, err := io.ReadFull(br, fpb); err != nil {
		return 0, "", 0, fmt.Errorf("snapshot header: %w", err)
	}
	next, err = binary.ReadUvarint(br)
	if err != nil {
		return 0, "", 0, fmt.Errorf("snapshot header: %w", err)
	}
	return format, string(fpb), next, nil
}

func (e *Engine) loadSnapshot(seq journal.Seq) (*snapState, error) {
	rc, err := e.j.OpenSnapshot(seq)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readSnapshotFrom(rc, seq, e.newComponents())
}

// snapshot runs on the writer goroutine (or with the writer idle).
func (e *Engine) snapshot() error {
	seq := e.applied
	if seq == 0 || seq == e.lastSnap {
		return nil
	}
	start := time.Now()
	var size countingWriter
	err := e.j.WriteSnapshot(seq, func(w io.Writer) error {
		size.w = w
		return e.writeSnapshotTo(&size, seq)
	})
	if err != nil {
		return err
	}
	e.lastSnap = seq
	e.bytesSinceSnap = 0
	e.autoSnap = autoSnapshot{lastBytes: size.n}
	e.opts.Logf("snapshot at record %d written in %s", seq, time.Since(start).Round(time.Millisecond))
	return nil
}
