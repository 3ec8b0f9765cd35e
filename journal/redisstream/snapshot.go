package redisstream

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/journal"
)

// Snapshots are Redis strings of chunkSize bytes (the last one shorter):
//
//	{ns}:snap:<seq>                 manifest hash: seq, size, sha256, chunks, chunk_size, gen, written
//	{ns}:snap:<seq>:<gen>:<i>       chunk i of generation gen (1 MiB)
//	{ns}:snaps                      sorted set of published snapshot seqs
//	{ns}:snaplease                  the writer's lease (SET NX PX, renewed while writing)
//
// A generation is random per write, so rewriting a snapshot never touches
// the chunks a reader of the published one is reading.
const (
	// defaultChunkSize: 1 MiB GETs stream at several hundred MB/s here,
	// 8 MiB ones at under 100 (measured with go-redis on a unix socket;
	// the allocation of each huge reply dominates).
	defaultChunkSize = 1 << 20
	// readAhead is how many chunks a reader fetches ahead of itself.
	readAhead = 3
	leaseTTL  = 30 * time.Second
	// chunkTTL bounds how long chunks of an unpublished snapshot (the
	// writer crashed) stay in Redis. Publishing removes the expiry.
	chunkTTL = 6 * time.Hour
	// uploaders is how many chunk SETs are in flight while writing.
	uploaders = 2
)

func (j *Journal) manifestKey(seq journal.Seq) string {
	return j.keys.snapPrefix + strconv.FormatUint(uint64(seq), 10)
}

func (j *Journal) chunkKey(seq journal.Seq, gen string, i int) string {
	return j.manifestKey(seq) + ":" + gen + ":" + strconv.Itoa(i)
}

func (j *Journal) chunkKeys(seq journal.Seq, gen string, n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = j.chunkKey(seq, gen, i)
	}
	return ks
}

// WriteSnapshot stores a snapshot covering every record <= seq, streaming
// write's bytes to Redis in chunks, and publishes it atomically. Only one
// instance writes at a time: if another holds the lease, it returns an
// error wrapping journal.ErrSnapshotBusy. After publishing it keeps the two
// newest snapshots and trims the log up to what the older one covers.
func (j *Journal) WriteSnapshot(seq journal.Seq, write func(w io.Writer) error) error {
	if j.closed.Load() {
		return journal.ErrClosed
	}
	j.snapMu.Lock()
	defer j.snapMu.Unlock()
	ctx := context.Background()
	if seq == 0 || seq > j.LastSeq() {
		last, _, err := j.refresh(ctx)
		if err != nil {
			return err
		}
		if seq == 0 || seq > last {
			return fmt.Errorf("redisstream: snapshot at seq %d: it must be between 1 and the last record %d", seq, last)
		}
	}
	lease, err := j.acquireLease(ctx)
	if err != nil {
		return fmt.Errorf("redisstream: snapshot %d: %w", seq, err)
	}
	defer lease.release()

	var g [8]byte
	rand.Read(g[:])
	gen := hex.EncodeToString(g[:])
	cw := newChunkWriter(j, seq, gen, j.chunkSize)
	if err := write(cw); err != nil {
		cw.abort()
		return fmt.Errorf("redisstream: write snapshot %d: %w", seq, err)
	}
	if err := cw.finish(); err != nil {
		cw.abort()
		return fmt.Errorf("redisstream: write snapshot %d to %s: %w", seq, j.desc, err)
	}
	old, _ := j.readManifest(ctx, seq) // a snapshot at seq being replaced
	keys := append([]string{j.keys.lease, j.keys.snaps, j.manifestKey(seq)}, j.chunkKeys(seq, gen, cw.chunks)...)
	err = publishScript.Run(ctx, j.c, keys, j.token, uint64(seq), cw.size, hex.EncodeToString(cw.sum.Sum(nil)),
		cw.chunks, gen, time.Now().UTC().Format(time.RFC3339)).Err()
	if err != nil {
		cw.abort()
		return fmt.Errorf("redisstream: publish snapshot %d on %s: %w", seq, j.desc, err)
	}
	if old != nil && old.gen != gen {
		j.unlink(ctx, j.chunkKeys(seq, old.gen, old.chunks))
	}
	j.prune(ctx)
	return nil
}

// lease is a held snapshot lease, renewed in the background until released.
type lease struct {
	j    *Journal
	stop chan struct{}
	done chan struct{}
}

func (j *Journal) acquireLease(ctx context.Context) (*lease, error) {
	ok, err := j.c.SetNX(ctx, j.keys.lease, j.token, leaseTTL).Result()
	if err != nil {
		return nil, fmt.Errorf("take the snapshot lease on %s: %w", j.desc, err)
	}
	if !ok {
		return nil, journal.ErrSnapshotBusy
	}
	l := &lease{j: j, stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew()
	return l, nil
}

func (l *lease) renew() {
	defer close(l.done)
	t := time.NewTicker(leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			n, err := leaseRenewScript.Run(context.Background(), l.j.c, []string{l.j.keys.lease}, l.j.token, leaseTTL.Milliseconds()).Int()
			if err == nil && n == 0 {
				l.j.logf("redisstream %s: the snapshot lease was lost while writing (paused past %v?); the snapshot will not be published", l.j.desc, leaseTTL)
				return
			}
		}
	}
}

func (l *lease) release() {
	close(l.stop)
	<-l.done
	if err := leaseReleaseScript.Run(context.Background(), l.j.c, []string{l.j.keys.lease}, l.j.token).Err(); err != nil {
		l.j.logf("redisstream %s: releasing the snapshot lease: %v (it expires in %v)", l.j.desc, err, leaseTTL)
	}
}

// unlink deletes keys in the background of Redis (UNLINK frees big values
// off the main thread), in batches. Failures leave garbage, so are logged.
func (j *Journal) unlink(ctx context.Context, ks []string) {
	for len(ks) > 0 {
		n := min(len(ks), 256)
		if err := j.c.Unlink(ctx, ks[:n]...).Err(); err != nil {
			j.logf("redisstream %s: deleting old snapshot keys: %v", j.desc, err)
			return
		}
		ks = ks[n:]
	}
}

// prune keeps the two newest snapshots, deletes the others, and trims the
// log up to what the older kept snapshot covers. Failures only leave extra
// data behind, so they are logged.
func (j *Journal) prune(ctx context.Context) {
	seqs, err := j.snapshotList(ctx)
	if err != nil {
		j.logf("redisstream %s: listing snapshots to prune: %v", j.desc, err)
		return
	}
	if len(seqs) > 2 {
		for _, s := range seqs[2:] {
			m, err := j.readManifest(ctx, s)
			if err := j.c.ZRem(ctx, j.keys.snaps, strconv.FormatUint(uint64(s), 10)).Err(); err != nil {
				j.logf("redisstream %s: removing snapshot %d from the index: %v", j.desc, s, err)
				return
			}
			ks := []string{j.manifestKey(s)}
			if err == nil && m != nil {
				ks = append(ks, j.chunkKeys(s, m.gen, m.chunks)...)
			}
			j.unlink(ctx, ks)
		}
	}
	if len(seqs) < 2 {
		return // the only snapshot's fallback is the whole log
	}
	first, err := trimScript.Run(ctx, j.c, []string{j.keys.log, j.keys.first, j.keys.seq}, uint64(seqs[1])).Uint64()
	if err != nil {
		j.logf("redisstream %s: trimming the log up to snapshot %d: %v", j.desc, seqs[1], err)
		return
	}
	raise(&j.first, first)
}

// Snapshots lists the published snapshots, newest first.
func (j *Journal) Snapshots() ([]journal.Seq, error) {
	if j.closed.Load() {
		return nil, journal.ErrClosed
	}
	return j.snapshotList(context.Background())
}

func (j *Journal) snapshotList(ctx context.Context) ([]journal.Seq, error) {
	vals, err := j.c.ZRevRange(ctx, j.keys.snaps, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstream: list snapshots on %s: %w", j.desc, err)
	}
	seqs := make([]journal.Seq, 0, len(vals))
	for _, v := range vals {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redisstream: %s: snapshot index %s holds %q, not a seq", j.desc, j.keys.snaps, v)
		}
		seqs = append(seqs, journal.Seq(s))
	}
	return seqs, nil
}

type manifest struct {
	seq       journal.Seq
	size      int64
	sha256    []byte
	chunks    int
	chunkSize int64
	gen       string
}

// readManifest returns nil, nil when there is no snapshot at seq.
func (j *Journal) readManifest(ctx context.Context, seq journal.Seq) (*manifest, error) {
	key := j.manifestKey(seq)
	h, err := j.c.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstream: read snapshot manifest %s on %s: %w", key, j.desc, err)
	}
	if len(h) == 0 {
		return nil, nil
	}
	bad := func(field string) error {
		return &journal.CorruptionError{Dir: j.desc, File: key, Err: fmt.Errorf("manifest field %s is %q", field, h[field])}
	}
	m := &manifest{seq: seq, gen: h["gen"]}
	if m.size, err = strconv.ParseInt(h["size"], 10, 64); err != nil || m.size < 0 {
		return nil, bad("size")
	}
	if m.chunks, err = strconv.Atoi(h["chunks"]); err != nil || m.chunks < 0 {
		return nil, bad("chunks")
	}
	if m.sha256, err = hex.DecodeString(h["sha256"]); err != nil || len(m.sha256) != sha256.Size {
		return nil, bad("sha256")
	}
	if m.gen == "" {
		return nil, bad("gen")
	}
	return m, nil
}

// OpenSnapshot opens the snapshot covering seq. Chunks are fetched one
// ahead of the reader; the SHA-256 of the whole is checked when the reader
// reaches the end, and a mismatch is a *journal.CorruptionError.
func (j *Journal) OpenSnapshot(seq journal.Seq) (io.ReadCloser, error) {
	if j.closed.Load() {
		return nil, journal.ErrClosed
	}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := j.readManifest(ctx, seq)
	if err != nil {
		cancel()
		return nil, err
	}
	if m == nil {
		cancel()
		return nil, fmt.Errorf("redisstream: snapshot %d on %s: %w", seq, j.desc, fs.ErrNotExist)
	}
	r := &snapReader{j: j, m: m, ctx: ctx, cancel: cancel, sum: sha256.New()}
	for range readAhead {
		r.prefetch()
	}
	return r, nil
}

type chunkResult struct {
	data string
	err  error
}

type snapReader struct {
	j      *Journal
	m      *manifest
	ctx    context.Context
	cancel context.CancelFunc
	sum    hash.Hash

	next    int                // index of the next chunk to fetch
	pending []chan chunkResult // the chunks being fetched, in order
	cur     string             // the chunk being read
	off     int                // read position in cur
	read    int64              // bytes delivered
	err     error              // sticky
}

func (r *snapReader) prefetch() {
	if r.next >= r.m.chunks {
		return
	}
	ch := make(chan chunkResult, 1)
	key := r.j.chunkKey(r.m.seq, r.m.gen, r.next)
	go func() {
		s, err := r.j.c.Get(r.ctx, key).Result()
		ch <- chunkResult{s, err}
	}()
	r.pending = append(r.pending, ch)
	r.next++
}

func (r *snapReader) corrupt(file string, off int64, err error) error {
	return &journal.CorruptionError{Dir: r.j.desc, File: file, Offset: off, Err: err}
}

func (r *snapReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for r.off == len(r.cur) {
		if len(r.pending) == 0 {
			r.err = r.finish()
			return 0, r.err
		}
		i := r.next - len(r.pending)
		res := <-r.pending[0]
		r.pending = r.pending[1:]
		key := r.j.chunkKey(r.m.seq, r.m.gen, i)
		switch {
		case errors.Is(res.err, redis.Nil):
			r.err = r.corrupt(key, r.read, fmt.Errorf("chunk %d of %d is missing (the snapshot was replaced or removed while being read?)", i+1, r.m.chunks))
			return 0, r.err
		case res.err != nil:
			r.err = fmt.Errorf("redisstream: read snapshot %d chunk %d on %s: %w", r.m.seq, i, r.j.desc, res.err)
			return 0, r.err
		}
		r.cur, r.off = res.data, 0
		r.prefetch()
	}
	n := copy(p, r.cur[r.off:])
	r.off += n
	r.read += int64(n)
	r.sum.Write(p[:n])
	if r.read > r.m.size {
		r.err = r.corrupt(r.j.manifestKey(r.m.seq), r.m.size, fmt.Errorf("chunks hold more than the %d bytes the manifest says", r.m.size))
		return n, r.err
	}
	return n, nil
}

func (r *snapReader) finish() error {
	key := r.j.manifestKey(r.m.seq)
	if r.read != r.m.size {
		return r.corrupt(key, r.read, fmt.Errorf("chunks hold %d bytes, the manifest says %d", r.read, r.m.size))
	}
	if got := r.sum.Sum(nil); string(got) != string(r.m.sha256) {
		return r.corrupt(key, 0, fmt.Errorf("checksum mismatch: sha256 %x, manifest says %x", got, r.m.sha256))
	}
	return io.EOF
}

func (r *snapReader) Close() error {
	r.cancel()
	if r.err == nil {
		r.err = errors.New("redisstream: snapshot reader closed")
	}
	return nil
}

// chunkWriter cuts the snapshot into chunks and SETs them with a few in
// flight, so a snapshot of hundreds of MB streams through a bounded buffer.
type chunkWriter struct {
	j         *Journal
	seq       journal.Seq
	gen       string
	chunkSize int

	buf        []byte
	free       chan []byte
	work       chan chunkJob
	workClosed bool
	wg         sync.WaitGroup
	failed     atomic.Pointer[error]

	size   int64
	chunks int
	sum    hash.Hash
}

type chunkJob struct {
	i    int
	data []byte
}

func newChunkWriter(j *Journal, seq journal.Seq, gen string, chunkSize int) *chunkWriter {
	w := &chunkWriter{j: j, seq: seq, gen: gen, chunkSize: chunkSize, sum: sha256.New(),
		free: make(chan []byte, uploaders+1), work: make(chan chunkJob)}
	for range uploaders + 1 {
		w.free <- nil // buffers are made on first use: a small snapshot stays small
	}
	for range uploaders {
		w.wg.Add(1)
		go w.upload()
	}
	return w
}

func (w *chunkWriter) upload() {
	defer w.wg.Done()
	for job := range w.work {
		if w.failed.Load() == nil {
			err := w.j.c.Set(context.Background(), w.j.chunkKey(w.seq, w.gen, job.i), job.data, chunkTTL).Err()
			if err != nil {
				err = fmt.Errorf("chunk %d: %w", job.i, err)
				w.failed.CompareAndSwap(nil, &err)
			}
		}
		w.free <- job.data[:0]
	}
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if errp := w.failed.Load(); errp != nil {
			return written, *errp
		}
		if w.buf == nil {
			w.buf = <-w.free
			if w.buf == nil {
				w.buf = make([]byte, 0, w.chunkSize)
			}
		}
		n := min(len(p), w.chunkSize-len(w.buf))
		w.buf = append(w.buf, p[:n]...)
		w.sum.Write(p[:n])
		w.size += int64(n)
		written += n
		p = p[n:]
		if len(w.buf) == w.chunkSize {
			w.send()
		}
	}
	return written, nil
}

func (w *chunkWriter) send() {
	w.work <- chunkJob{i: w.chunks, data: w.buf}
	w.chunks++
	w.buf = nil
}

// finish sends the last chunk and waits for every upload.
func (w *chunkWriter) finish() error {
	if len(w.buf) > 0 {
		w.send()
	}
	w.workClosed = true
	close(w.work)
	w.wg.Wait()
	if errp := w.failed.Load(); errp != nil {
		return *errp
	}
	return nil
}

// abort stops the uploads and deletes what was written.
func (w *chunkWriter) abort() {
	if !w.workClosed {
		w.workClosed = true
		close(w.work)
	}
	w.wg.Wait()
	w.j.unlink(context.Background(), w.j.chunkKeys(w.seq, w.gen, w.chunks))
}
