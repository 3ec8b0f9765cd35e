package redisstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/journal"
)

// Journal is the journal.Shared backend on a Redis stream. It is safe for
// concurrent use, and any number of Journals (in any number of processes)
// may share one namespace.
type Journal struct {
	opts  Options
	c     redis.UniversalClient
	desc  string
	keys  keys
	token string // this instance's snapshot lease token

	entrySize int // split appends into entries of about this many bytes
	chunkSize int // snapshot chunk size

	last   atomic.Uint64
	first  atomic.Uint64
	closed atomic.Bool

	snapMu sync.Mutex // one WriteSnapshot at a time in this process
}

type keys struct {
	log, seq, first, snaps, lease, snapPrefix string
}

func newKeys(ns string) keys {
	p := "{" + ns + "}:"
	return keys{log: p + "log", seq: p + "seq", first: p + "first", snaps: p + "snaps", lease: p + "snaplease", snapPrefix: p + "snap:"}
}

var _ journal.Shared = (*Journal)(nil)

// Open connects to Redis and reads where the log stands. It fails if the
// options are invalid or Redis does not answer.
func Open(ctx context.Context, o Options) (*Journal, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	routeClientLog(o.Logger)
	c, desc, err := o.newClient()
	if err != nil {
		return nil, fmt.Errorf("redisstream: %w", err)
	}
	ns := o.namespace()
	var tok [12]byte
	rand.Read(tok[:])
	j := &Journal{
		opts:      o,
		c:         c,
		desc:      desc + " ns " + ns,
		keys:      newKeys(ns),
		token:     hex.EncodeToString(tok[:]),
		entrySize: defaultEntrySize,
		chunkSize: defaultChunkSize,
	}
	if o.WaitReplicas > 0 {
		j.desc += fmt.Sprintf(" wait %d replicas", o.WaitReplicas)
		if j.opts.WaitTimeout == 0 {
			j.opts.WaitTimeout = defaultWaitTimeout
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redisstream: connect to %s: %w", j.desc, err)
	}
	if _, _, err := j.refresh(ctx); err != nil {
		c.Close()
		return nil, err
	}
	j.checkEviction(ctx)
	return j, nil
}

// checkEviction warns when Redis may evict keys: an evicted counter or
// chunk is lost state. (CONFIG may be disabled on managed Redis: then
// nothing is said.)
func (j *Journal) checkEviction(ctx context.Context) {
	if _, ok := j.c.(*redis.ClusterClient); ok {
		return // CONFIG would go to a random node
	}
	res, err := j.c.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		return
	}
	if p := res["maxmemory-policy"]; p != "" && p != "noeviction" {
		j.logf("redisstream %s: maxmemory-policy is %s: Redis may evict the journal's keys and lose acknowledged writes; set it to noeviction", j.desc, p)
	}
}

func (j *Journal) logf(format string, args ...any) {
	if j.opts.Logger != nil {
		j.opts.Logger(fmt.Sprintf(format, args...))
	}
}

// Describe says what the journal connects to, without credentials, e.g.
// "redis single 127.0.0.1:6379 db 0 ns hush".
func (j *Journal) Describe() string { return j.desc }

// Ping checks that Redis answers.
func (j *Journal) Ping(ctx context.Context) error {
	if j.closed.Load() {
		return journal.ErrClosed
	}
	if err := j.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstream: ping %s: %w", j.desc, err)
	}
	return nil
}

// raise moves a cached seq forward (never back: several calls race).
func raise(v *atomic.Uint64, to uint64) {
	for {
		cur := v.Load()
		if to <= cur || v.CompareAndSwap(cur, to) {
			return
		}
	}
}

// refresh reads the counter and the log's start from Redis.
func (j *Journal) refresh(ctx context.Context) (last, first journal.Seq, err error) {
	vals, err := j.c.MGet(ctx, j.keys.seq, j.keys.first).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("redisstream: read the log's state from %s: %w", j.desc, err)
	}
	l, f := uint64(0), uint64(1)
	if s, ok := vals[0].(string); ok {
		if l, err = strconv.ParseUint(s, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("redisstream: %s: key %s holds %q, not a sequence number", j.desc, j.keys.seq, s)
		}
	}
	if s, ok := vals[1].(string); ok {
		if f, err = strconv.ParseUint(s, 10, 64); err != nil || f == 0 {
			return 0, 0, fmt.Errorf("redisstream: %s: key %s holds %q, not a sequence number", j.desc, j.keys.first, s)
		}
	}
	raise(&j.last, l)
	raise(&j.first, f)
	return journal.Seq(l), journal.Seq(f), nil
}

// LastSeq is the last sequence number this instance has seen in the log
// (its own appends, Replay, Await and Open refresh it).
func (j *Journal) LastSeq() journal.Seq { return journal.Seq(j.last.Load()) }

// FirstSeq is the oldest record still in the log as last seen (LastSeq+1
// when the log is empty).
func (j *Journal) FirstSeq() journal.Seq {
	f, l := j.first.Load(), j.last.Load()
	if f == 0 {
		f = 1
	}
	return journal.Seq(min(f, l+1))
}

// Append adds recs to the log as one atomic step and returns the seq of the
// first. It returns once Redis has executed the append (and, with
// WaitReplicas, once enough replicas have it). Any error means "not
// acknowledged, maybe written": a timeout or a dropped connection can hide
// a successful write, which then shows up in the log like anyone else's.
func (j *Journal) Append(ctx context.Context, recs ...[]byte) (journal.Seq, error) {
	if len(recs) == 0 {
		return 0, errors.New("redisstream: Append needs at least one record")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if j.closed.Load() {
		return 0, journal.ErrClosed
	}
	total := 0
	for i, r := range recs {
		if len(r) > MaxRecordSize {
			return 0, fmt.Errorf("%w: record %d of %d is %d bytes, the limit is %d", ErrRecordTooLarge, i+1, len(recs), len(r), MaxRecordSize)
		}
		total += len(r)
	}
	if total > maxAppendSize {
		return 0, fmt.Errorf("%w: %d records of %d bytes in all, the limit for one Append is %d", ErrRecordTooLarge, len(recs), total, maxAppendSize)
	}
	batches := splitBatches(recs, j.entrySize)
	args := make([]any, 0, 2*len(batches))
	for _, b := range batches {
		args = append(args, b.n, b.payload)
	}
	keys := []string{j.keys.seq, j.keys.log}
	var res *redis.Cmd
	_, cluster := j.c.(*redis.ClusterClient)
	if j.opts.WaitReplicas == 0 && !cluster {
		res = appendScript.Run(ctx, j.c, keys, args...)
	} else {
		var err error
		if res, err = j.appendOnNode(ctx, keys, args); err != nil {
			if j.closed.Load() {
				return 0, journal.ErrClosed
			}
			return 0, fmt.Errorf("redisstream: append %d records to %s: %w", len(recs), j.desc, err)
		}
	}
	first, err := res.Int64()
	if err != nil {
		if j.closed.Load() {
			return 0, journal.ErrClosed
		}
		return 0, fmt.Errorf("redisstream: append %d records to %s: %w", len(recs), j.desc, err)
	}
	raise(&j.last, uint64(first)+uint64(len(recs))-1)
	return journal.Seq(first), nil
}

// appendOnNode runs the append on the node holding the log, then WAIT if
// WaitReplicas is set, on one connection (WAIT counts the replicas that have
// that connection's writes) in one round trip. In a Cluster it is also how
// an append avoids the cluster client's retry on a dropped connection,
// which could run it twice; only MOVED/ASK (the script did not run) and
// NOSCRIPT are tried again.
func (j *Journal) appendOnNode(ctx context.Context, keys []string, args []any) (*redis.Cmd, error) {
	cc, cluster := j.c.(*redis.ClusterClient)
	eval := appendScript.EvalSha
	for attempt := 0; ; attempt++ {
		var pipe redis.Pipeliner
		if cluster {
			node, err := cc.MasterForKey(ctx, j.keys.log)
			if err != nil {
				return nil, err
			}
			pipe = node.Pipeline()
		} else {
			pipe = j.c.Pipeline()
		}
		res := eval(ctx, pipe, keys, args...)
		var wait *redis.Cmd
		if j.opts.WaitReplicas > 0 {
			wait = pipe.Do(ctx, "wait", j.opts.WaitReplicas, j.opts.WaitTimeout.Milliseconds())
		}
		_, err := pipe.Exec(ctx)
		if err := res.Err(); err != nil && attempt < 3 {
			msg := err.Error()
			switch {
			case strings.HasPrefix(msg, "NOSCRIPT"):
				eval = appendScript.Eval
				continue
			case cluster && (strings.HasPrefix(msg, "MOVED ") || strings.HasPrefix(msg, "ASK ")):
				cc.ReloadState(ctx) // lazy: give it a moment
				time.Sleep(50 * time.Millisecond)
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		if wait != nil {
			if n, _ := wait.Int64(); n < int64(j.opts.WaitReplicas) {
				return nil, fmt.Errorf("only %d of %d replicas acknowledged within %v: not acknowledged (it may still be in the log)", n, j.opts.WaitReplicas, j.opts.WaitTimeout)
			}
		}
		return res, nil
	}
}

// maxIDSeq is the largest sequence part of a stream ID: "<n>-<max>" sorts
// after every entry ending at n.
const maxIDSeq = "18446744073709551615"

// Replay calls fn with every record after `after` up to the end of the log
// at the time of the call, in order.
func (j *Journal) Replay(after journal.Seq, fn func(seq journal.Seq, rec []byte) error) error {
	if j.closed.Load() {
		return journal.ErrClosed
	}
	ctx := context.Background()
	end, first, err := j.refresh(ctx)
	if err != nil {
		return err
	}
	if after >= end {
		return nil
	}
	if after+1 < first {
		return j.missing(after, first)
	}
	r := replayer{j: j, after: after, next: after + 1, end: end, fn: fn}
	return r.run(ctx)
}

func (j *Journal) missing(after, first journal.Seq) error {
	return &journal.CorruptionError{Dir: j.desc, File: j.keys.log, Offset: int64(first),
		Err: fmt.Errorf("%w: asked for records after %d, the log starts at %d (load a snapshot)", journal.ErrMissingRecords, after, first)}
}

// replayPageBytes is about how much one XRANGE page brings back: big enough
// to amortise the round trip, small enough to bound memory.
const replayPageBytes = 8 << 20

type replayer struct {
	j         *Journal
	after     journal.Seq
	next      journal.Seq // the next seq to deliver
	end       journal.Seq
	fn        func(journal.Seq, []byte) error
	recs      [][]byte
	pageCount int64
}

type page struct {
	msgs []redis.XMessage
	err  error
}

func (r *replayer) fetch(ctx context.Context, start string, count int64) page {
	msgs, err := r.j.c.XRangeN(ctx, r.j.keys.log, start, strconv.FormatUint(uint64(r.end), 10)+"-"+maxIDSeq, count).Result()
	return page{msgs, err}
}

// run pages through the log, fetching the next page while fn works on the
// current one.
func (r *replayer) run(ctx context.Context) error {
	r.pageCount = 64
	start := strconv.FormatUint(uint64(r.after)+1, 10) + "-0"
	cur := r.fetch(ctx, start, r.pageCount)
	for {
		if cur.err != nil {
			if r.j.closed.Load() {
				return journal.ErrClosed
			}
			return fmt.Errorf("redisstream: replay %s from %d: %w", r.j.desc, r.next, cur.err)
		}
		if len(cur.msgs) == 0 {
			break
		}
		var nextPage chan page
		lastID := cur.msgs[len(cur.msgs)-1].ID
		if _, l, _, err := parseEntryID(lastID); err == nil && l < r.end {
			nextPage = make(chan page, 1)
			start, count := "("+lastID, r.pageCount
			go func() { nextPage <- r.fetch(ctx, start, count) }()
		}
		size := 0
		for _, m := range cur.msgs {
			n, err := r.entry(m)
			size += n
			if err != nil {
				if nextPage != nil {
					<-nextPage
				}
				return err
			}
		}
		// Aim the next pages at replayPageBytes.
		if avg := size / len(cur.msgs); avg > 0 {
			r.pageCount = int64(min(max(replayPageBytes/avg, 1), 1024))
		}
		if nextPage == nil {
			break
		}
		cur = <-nextPage
	}
	if r.next <= r.end {
		return &journal.CorruptionError{Dir: r.j.desc, File: r.j.keys.log, Offset: int64(r.next),
			Err: fmt.Errorf("the log ends before seq %d, but its counter says %d records were written", r.next, r.end)}
	}
	return nil
}

// entry delivers the records of one stream entry and returns its size.
func (r *replayer) entry(m redis.XMessage) (int, error) {
	j := r.j
	where := func(off int64, err error) error {
		return &journal.CorruptionError{Dir: j.desc, File: j.keys.log + " entry " + m.ID, Offset: off, Err: err}
	}
	first, last, n, err := parseEntryID(m.ID)
	if err != nil {
		return 0, where(0, err)
	}
	if first > r.next {
		if r.next == r.after+1 {
			// Trimmed since we looked (another instance snapshotted).
			_, f, _ := j.refresh(context.Background())
			return 0, j.missing(r.after, max(f, first))
		}
		return 0, where(0, fmt.Errorf("seq gap: the entry starts at %d, the one before ended at %d", first, r.next-1))
	}
	payload, _ := m.Values[entryField].(string)
	if _, ok := m.Values[entryField]; !ok || len(m.Values) != 1 {
		return 0, where(0, fmt.Errorf("entry has fields %v, want just %q", fieldNames(m.Values), entryField))
	}
	var off int64
	r.recs, off, err = decodeEntry(payload, n, r.recs)
	if err != nil {
		return len(payload), where(off, err)
	}
	for i, rec := range r.recs {
		seq := first + journal.Seq(i)
		if seq < r.next {
			continue
		}
		if err := r.fn(seq, rec); err != nil {
			return len(payload), err
		}
		r.next = seq + 1
	}
	raise(&j.last, uint64(last))
	return len(payload), nil
}

func fieldNames(v map[string]any) []string {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	return names
}

// Await blocks until the log holds a record after `after` (an XREAD BLOCK
// on the stream), ctx ends or wait has passed, and returns the last seq it
// saw. A nil error means Redis answered.
func (j *Journal) Await(ctx context.Context, after journal.Seq, wait time.Duration) (journal.Seq, error) {
	if j.closed.Load() {
		return 0, journal.ErrClosed
	}
	last, _, err := j.refresh(ctx)
	if err != nil {
		return 0, err
	}
	if last > after || wait <= 0 {
		return last, nil
	}
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(d))
	}
	if wait < time.Millisecond {
		return last, nil
	}
	type result struct {
		seq journal.Seq
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The read runs on its own context so a cancelled caller does not
		// poison a pooled connection mid-reply; it ends within wait anyway.
		res, err := j.c.XRead(context.Background(), &redis.XReadArgs{
			Streams: []string{j.keys.log, strconv.FormatUint(uint64(after), 10) + "-" + maxIDSeq},
			Count:   1,
			Block:   wait,
		}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			done <- result{last, nil}
		case err != nil:
			done <- result{0, err}
		case len(res) == 0 || len(res[0].Messages) == 0:
			done <- result{last, nil}
		default:
			_, l, _, perr := parseEntryID(res[0].Messages[0].ID)
			if perr != nil {
				done <- result{0, &journal.CorruptionError{Dir: j.desc, File: j.keys.log + " entry " + res[0].Messages[0].ID, Err: perr}}
				return
			}
			raise(&j.last, uint64(l))
			done <- result{l, nil}
		}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			if j.closed.Load() {
				return 0, journal.ErrClosed
			}
			return 0, fmt.Errorf("redisstream: await records after %d on %s: %w", after, j.desc, r.err)
		}
		return r.seq, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Close releases the snapshot lease if this instance holds it and closes
// the connections.
func (j *Journal) Close() error {
	if j.closed.Swap(true) {
		return journal.ErrClosed
	}
	j.snapMu.Lock() // let a snapshot in progress finish or fail
	defer j.snapMu.Unlock()
	return j.c.Close()
}
