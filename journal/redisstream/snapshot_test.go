package redisstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/journal"
)

func rawClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

func appendRecs(t *testing.T, j *Journal, n int, tag string) {
	t.Helper()
	for i := range n {
		if _, err := j.Append(context.Background(), fmt.Appendf(nil, "%s-%d", tag, i)); err != nil {
			t.Fatal(err)
		}
	}
}

func snapKeys(t *testing.T, c *redis.Client, ns string) []string {
	t.Helper()
	ks, err := c.Keys(context.Background(), "{"+ns+"}:snap:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ks)
	return ks
}

// Two instances snapshotting at once: the one that comes second while the
// first holds the lease gets ErrSnapshotBusy; once the first is done, the
// second can write.
func TestSnapshotLease(t *testing.T) {
	url := singleURL(t)
	a, b := openT(t, Options{URL: url}), openT(t, Options{URL: url})
	appendRecs(t, a, 10, "l")
	b.refresh(context.Background())
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.WriteSnapshot(5, func(w io.Writer) error {
			close(inside)
			<-release
			_, err := w.Write([]byte("a at 5"))
			return err
		})
	}()
	<-inside
	err := b.WriteSnapshot(6, func(w io.Writer) error { t.Error("busy writer got to write"); return nil })
	if !errors.Is(err, journal.ErrSnapshotBusy) {
		t.Fatalf("second writer: %v, want ErrSnapshotBusy", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("first writer: %v", err)
	}
	if err := b.WriteSnapshot(6, func(w io.Writer) error { _, err := w.Write([]byte("b at 6")); return err }); err != nil {
		t.Fatalf("second writer after the first finished: %v", err)
	}
	for _, j := range []*Journal{a, b} {
		if got, err := j.Snapshots(); err != nil || !slices.Equal(got, []journal.Seq{6, 5}) {
			t.Fatalf("Snapshots = %v, %v", got, err)
		}
	}
	rc, err := a.OpenSnapshot(6)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || string(got) != "b at 6" {
		t.Fatalf("a reads b's snapshot: %q, %v", got, err)
	}
	rc.Close()
	if n, _ := rawClient(t, url).Exists(context.Background(), a.keys.lease).Result(); n != 0 {
		t.Fatal("the lease is still held after both writes")
	}
}

// A writer that loses its lease (paused past its expiry, another instance
// took over) must not publish: the publish script checks the token.
func TestSnapshotLeaseLost(t *testing.T) {
	url := singleURL(t)
	j := openT(t, Options{URL: url})
	raw := rawClient(t, url)
	appendRecs(t, j, 5, "x")
	err := j.WriteSnapshot(3, func(w io.Writer) error {
		w.Write([]byte("three"))
		return raw.Set(context.Background(), j.keys.lease, "someone-else", time.Minute).Err()
	})
	if err == nil || !strings.Contains(err.Error(), "lease was lost") {
		t.Fatalf("WriteSnapshot after losing the lease = %v", err)
	}
	if got, _ := j.Snapshots(); len(got) != 0 {
		t.Fatalf("a snapshot was published without the lease: %v", got)
	}
	if ks := snapKeys(t, raw, DefaultNamespace); len(ks) != 0 {
		t.Fatalf("the lost write left keys %v", ks)
	}
	if v, _ := raw.Get(context.Background(), j.keys.lease).Result(); v != "someone-else" {
		t.Fatalf("the other holder's lease was touched: %q", v)
	}
}

// A big snapshot streams: chunks reach Redis while the writer is still
// writing, carry an expiry until published, and read back whole.
func TestSnapshotStreamsChunks(t *testing.T) {
	url := singleURL(t)
	j := openT(t, Options{URL: url})
	j.chunkSize = 1 << 20
	raw := rawClient(t, url)
	appendRecs(t, j, 3, "s")
	const size = 20<<20 + 12345
	block := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	var sawChunkWhileWriting bool
	err := j.WriteSnapshot(3, func(w io.Writer) error {
		for n := 0; n < size; {
			k := min(len(block), size-n)
			if _, err := w.Write(block[:k]); err != nil {
				return err
			}
			n += k
			if n == 12<<20 {
				time.Sleep(50 * time.Millisecond) // let the uploads catch up
				ks := snapKeys(t, raw, DefaultNamespace)
				sawChunkWhileWriting = len(ks) > 0
				if len(ks) > 0 {
					if ttl, _ := raw.PTTL(context.Background(), ks[0]).Result(); ttl <= 0 {
						t.Errorf("unpublished chunk %s has no expiry (ttl %v)", ks[0], ttl)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawChunkWhileWriting {
		t.Fatal("no chunk was in Redis after 12 MiB of a 20 MiB snapshot: it is buffered, not streamed")
	}
	ks := snapKeys(t, raw, DefaultNamespace)
	if len(ks) != 21+1 { // 21 chunks + the manifest
		t.Fatalf("%d snapshot keys, want 22: %v", len(ks), ks)
	}
	for _, k := range ks {
		if ttl, _ := raw.PTTL(context.Background(), k).Result(); ttl != -1 {
			t.Fatalf("published key %s still expires (%v)", k, ttl)
		}
	}
	rc, err := j.OpenSnapshot(3)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil || n != size {
		t.Fatalf("read back %d bytes, %v; want %d", n, err, size)
	}
}

// Damage to a published snapshot is a *journal.CorruptionError: a flipped
// byte at the end of the read (the checksum), a missing or short chunk
// where it is found.
func TestSnapshotCorruption(t *testing.T) {
	url := singleURL(t)
	j := openT(t, Options{URL: url})
	j.chunkSize = 1000
	raw := rawClient(t, url)
	ctx := context.Background()
	appendRecs(t, j, 3, "c")
	content := bytes.Repeat([]byte("snapshot-content-"), 300) // 5100 bytes: 6 chunks
	write := func() *manifest {
		t.Helper()
		if err := j.WriteSnapshot(2, func(w io.Writer) error { _, err := w.Write(content); return err }); err != nil {
			t.Fatal(err)
		}
		m, err := j.readManifest(ctx, 2)
		if err != nil || m == nil || m.chunks != 6 {
			t.Fatalf("manifest %+v, %v", m, err)
		}
		return m
	}
	cases := []struct {
		name   string
		damage func(m *manifest)
		want   string
		whole  bool // the reader delivered every byte before failing
	}{
		{"flipped byte", func(m *manifest) { raw.SetRange(ctx, j.chunkKey(2, m.gen, 3), 10, "X") }, "checksum mismatch", true},
		{"missing chunk", func(m *manifest) { raw.Del(ctx, j.chunkKey(2, m.gen, 4)) }, "chunk 5 of 6 is missing", false},
		{"short chunk", func(m *manifest) { raw.Set(ctx, j.chunkKey(2, m.gen, 5), "tiny", 0) }, "manifest says 5100", false},
		{"bad manifest", func(m *manifest) { raw.HSet(ctx, j.manifestKey(2), "sha256", "zz") }, "manifest field sha256", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := write()
			c.damage(m)
			var got []byte
			rc, err := j.OpenSnapshot(2)
			if err == nil {
				got, err = io.ReadAll(rc)
				rc.Close()
			}
			var ce *journal.CorruptionError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("reading a damaged snapshot: %v, want a CorruptionError with %q", err, c.want)
			}
			if !strings.Contains(ce.File, j.manifestKey(2)) {
				t.Fatalf("CorruptionError names %q, not the snapshot", ce.File)
			}
			if c.whole && len(got) != len(content) {
				t.Fatalf("read %d bytes before the checksum error, want all %d", len(got), len(content))
			}
		})
	}
}

// A write that fails leaves no keys behind, and the published snapshots
// stand.
func TestSnapshotFailedWriteCleansUp(t *testing.T) {
	url := singleURL(t)
	j := openT(t, Options{URL: url})
	j.chunkSize = 100
	raw := rawClient(t, url)
	appendRecs(t, j, 5, "f")
	if err := j.WriteSnapshot(2, func(w io.Writer) error { _, err := w.Write([]byte("two")); return err }); err != nil {
		t.Fatal(err)
	}
	before := snapKeys(t, raw, DefaultNamespace)
	boom := errors.New("encoder failed")
	err := j.WriteSnapshot(4, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("x"), 1050))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteSnapshot = %v", err)
	}
	if after := snapKeys(t, raw, DefaultNamespace); !slices.Equal(after, before) {
		t.Fatalf("keys after a failed write %v, before %v", after, before)
	}
}

// Trimming across instances: the log keeps everything after the older kept
// snapshot, another instance can bootstrap from either snapshot + the log,
// and the trimmed entries are really gone from Redis.
func TestSnapshotTrimAcrossInstances(t *testing.T) {
	url := singleURL(t)
	a, b := openT(t, Options{URL: url}), openT(t, Options{URL: url})
	raw := rawClient(t, url)
	ctx := context.Background()
	var snaps []journal.Seq
	for cycle := range 4 {
		w := []*Journal{a, b}[cycle%2]
		appendRecs(t, w, 50, fmt.Sprint("c", cycle))
		w.refresh(ctx)
		seq := w.LastSeq() - 10 // the snapshot lags the log, as in a busy fleet
		if err := w.WriteSnapshot(seq, func(wr io.Writer) error { _, err := fmt.Fprint(wr, "state ", seq); return err }); err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, seq)
	}
	older := snaps[len(snaps)-2]
	// c, a fresh instance, bootstraps.
	c := openT(t, Options{URL: url})
	if got, _ := c.Snapshots(); !slices.Equal(got, []journal.Seq{snaps[3], snaps[2]}) {
		t.Fatalf("Snapshots = %v, want %v", got, snaps[2:])
	}
	if f := c.FirstSeq(); f > older+1 || f < snaps[1]+1 {
		t.Fatalf("FirstSeq %d: want it trimmed past %d but not past %d", f, snaps[1], older+1)
	}
	for _, from := range []journal.Seq{older, snaps[3]} {
		n := 0
		if err := c.Replay(from, func(journal.Seq, []byte) error { n++; return nil }); err != nil {
			t.Fatalf("Replay(%d): %v", from, err)
		}
		if want := int(c.LastSeq() - from); n != want {
			t.Fatalf("Replay(%d) gave %d records, want %d", from, n, want)
		}
	}
	err := c.Replay(snaps[0], func(journal.Seq, []byte) error { return nil })
	if !errors.Is(err, journal.ErrMissingRecords) {
		t.Fatalf("Replay from a dropped snapshot's seq = %v, want ErrMissingRecords", err)
	}
	entries, _ := raw.XRangeN(ctx, a.keys.log, "-", "+", 1).Result()
	if len(entries) == 0 {
		t.Fatal("log is empty")
	}
	if first, _, _, _ := parseEntryID(entries[0].ID); first != c.FirstSeq() || first > older+1 {
		t.Fatalf("first entry in Redis starts at %d, FirstSeq %d", first, c.FirstSeq())
	}
	// Dropped snapshots' keys are gone: 2 manifests + 2 single chunks.
	if ks := snapKeys(t, raw, DefaultNamespace); len(ks) != 4 {
		t.Fatalf("snapshot keys %v, want those of two snapshots", ks)
	}
}

// Damage in the log itself: a bad entry, a numbering gap, a counter ahead
// of the stream, a counter lost next to a live log.
func TestLogCorruption(t *testing.T) {
	url := singleURL(t)
	raw := rawClient(t, url)
	ctx := context.Background()
	cases := []struct {
		name   string
		damage func(j *Journal)
		want   string
	}{
		{"bad checksum", func(j *Journal) {
			raw.XAdd(ctx, &redis.XAddArgs{Stream: j.keys.log, ID: "6-1", Values: []any{"b", "\x01\x01\x01xjunk"}})
			raw.Set(ctx, j.keys.seq, 6, 0)
		}, "entry 6-1"},
		{"foreign entry", func(j *Journal) {
			raw.XAdd(ctx, &redis.XAddArgs{Stream: j.keys.log, ID: "6-1", Values: []any{"hello", "world"}})
			raw.Set(ctx, j.keys.seq, 6, 0)
		}, `want just "b"`},
		{"gap", func(j *Journal) {
			raw.XAdd(ctx, &redis.XAddArgs{Stream: j.keys.log, ID: "8-1", Values: []any{"b", string(encodeEntry([][]byte{[]byte("x")}))}})
			raw.Set(ctx, j.keys.seq, 8, 0)
		}, "seq gap"},
		{"counter ahead", func(j *Journal) { raw.Set(ctx, j.keys.seq, 9, 0) }, "log ends before seq 6"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := openT(t, Options{URL: url, Namespace: fmt.Sprint("corrupt", i)})
			appendRecs(t, j, 5, "ok")
			c.damage(j)
			var delivered []journal.Seq
			err := j.Replay(0, func(seq journal.Seq, _ []byte) error { delivered = append(delivered, seq); return nil })
			var ce *journal.CorruptionError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Replay over damage = %v, want a CorruptionError with %q", err, c.want)
			}
			if !slices.Equal(delivered, []journal.Seq{1, 2, 3, 4, 5}) {
				t.Fatalf("delivered %v before the damage, want 1..5", delivered)
			}
		})
	}
	t.Run("counter lost", func(t *testing.T) {
		j := openT(t, Options{URL: url, Namespace: "lostcounter"})
		appendRecs(t, j, 3, "ok")
		raw.Del(ctx, j.keys.seq)
		if _, err := j.Append(ctx, []byte("renumbered?")); err == nil || !strings.Contains(err.Error(), "refusing to renumber") {
			t.Fatalf("Append with the counter gone = %v", err)
		}
		if n, _ := raw.XLen(ctx, j.keys.log).Result(); n != 3 {
			t.Fatalf("log has %d entries after the refused append", n)
		}
	})
}
