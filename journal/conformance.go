package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
)

// RunConformance checks the behaviour every Journal backend promises. open
// must return a journal stored under dir (a backend without a directory
// maps dir to its own namespace); calling it again with the same dir after
// Close must reopen the same journal. Each subtest uses its own dir from
// t.TempDir and closes what it opens.
//
// What it pins down, beyond the Journal doc comments:
//   - Append of several records is all-or-nothing and their seqs are
//     contiguous, also when 32 goroutines append at once.
//   - Append with a context that is already done fails without writing.
//   - Replay(after) with after >= LastSeq calls nothing; with
//     after < FirstSeq-1 it fails with an error wrapping ErrMissingRecords.
//   - WriteSnapshot(seq) needs 1 <= seq <= LastSeq; after it the two
//     newest snapshots remain and FirstSeq <= older kept snapshot + 1.
//   - Every method except LastSeq and FirstSeq returns ErrClosed after
//     Close; a second Close returns nil or ErrClosed.
func RunConformance(t *testing.T, open func(t *testing.T, dir string) Journal) {
	c := conformance{open: open}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Empty", c.empty},
		{"AppendReplay", c.appendReplay},
		{"ReplayAfter", c.replayAfter},
		{"ReplayCallbackError", c.replayCallbackError},
		{"CancelledContext", c.cancelledContext},
		{"ConcurrentAppend", c.concurrentAppend},
		{"Snapshots", c.snapshots},
		{"SnapshotWriteError", c.snapshotWriteError},
		{"SnapshotBounds", c.snapshotBounds},
		{"ReplayFromSnapshot", c.replayFromSnapshot},
		{"Truncation", c.truncation},
		{"Reopen", c.reopen},
		{"Closed", c.closed},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

type conformance struct {
	open func(t *testing.T, dir string) Journal
}

// openNew opens a journal in a fresh dir and closes it when the test ends.
func (c conformance) openNew(t *testing.T) (Journal, string) {
	t.Helper()
	dir := t.TempDir()
	return c.openAt(t, dir), dir
}

func (c conformance) openAt(t *testing.T, dir string) Journal {
	t.Helper()
	j := c.open(t, dir)
	if j == nil {
		t.Fatalf("open(%s) returned nil", dir)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

type entry struct {
	seq Seq
	rec []byte
}

// collect replays everything after after, copying the records.
func collect(t *testing.T, j Journal, after Seq) []entry {
	t.Helper()
	var out []entry
	err := j.Replay(after, func(seq Seq, rec []byte) error {
		out = append(out, entry{seq, bytes.Clone(rec)})
		return nil
	})
	if err != nil {
		t.Fatalf("Replay(%d): %v", after, err)
	}
	return out
}

func mustAppend(t *testing.T, j Journal, recs ...[]byte) Seq {
	t.Helper()
	first, err := j.Append(context.Background(), recs...)
	if err != nil {
		t.Fatalf("Append(%d records): %v", len(recs), err)
	}
	return first
}

// appendN appends n numbered records one Append each and returns them.
func appendN(t *testing.T, j Journal, n int, tag string) [][]byte {
	t.Helper()
	var recs [][]byte
	for i := range n {
		rec := fmt.Appendf(nil, "%s-%04d", tag, i)
		want := j.LastSeq() + 1
		if got := mustAppend(t, j, rec); got != want {
			t.Fatalf("Append returned seq %d, want %d", got, want)
		}
		recs = append(recs, rec)
	}
	return recs
}

// checkLog asserts Replay(after) returns exactly want as seqs after+1...
func checkLog(t *testing.T, j Journal, after Seq, want [][]byte) {
	t.Helper()
	got := collect(t, j, after)
	if len(got) != len(want) {
		t.Fatalf("Replay(%d): %d records, want %d", after, len(got), len(want))
	}
	for i, e := range got {
		if e.seq != after+Seq(i)+1 {
			t.Fatalf("Replay(%d): record %d has seq %d, want %d", after, i, e.seq, after+Seq(i)+1)
		}
		if !bytes.Equal(e.rec, want[i]) {
			t.Fatalf("Replay(%d): seq %d = %q, want %q", after, e.seq, trunc(e.rec), trunc(want[i]))
		}
	}
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func writeSnap(t *testing.T, j Journal, seq Seq, content []byte) {
	t.Helper()
	err := j.WriteSnapshot(seq, func(w io.Writer) error {
		_, err := w.Write(content)
		return err
	})
	if err != nil {
		t.Fatalf("WriteSnapshot(%d): %v", seq, err)
	}
}

func readSnap(t *testing.T, j Journal, seq Seq) []byte {
	t.Helper()
	rc, err := j.OpenSnapshot(seq)
	if err != nil {
		t.Fatalf("OpenSnapshot(%d): %v", seq, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading snapshot %d: %v", seq, err)
	}
	return b
}

func snapList(t *testing.T, j Journal) []Seq {
	t.Helper()
	s, err := j.Snapshots()
	if err != nil {
		t.Fatalf("Snapshots: %v", err)
	}
	return s
}

func (c conformance) empty(t *testing.T) {
	j, _ := c.openNew(t)
	if j.LastSeq() != 0 || j.FirstSeq() != 1 {
		t.Fatalf("new journal: LastSeq %d FirstSeq %d, want 0 and 1", j.LastSeq(), j.FirstSeq())
	}
	if got := collect(t, j, 0); len(got) != 0 {
		t.Fatalf("new journal replays %d records", len(got))
	}
	if s := snapList(t, j); len(s) != 0 {
		t.Fatalf("new journal has snapshots %v", s)
	}
	if _, err := j.OpenSnapshot(1); err == nil {
		t.Fatal("OpenSnapshot of a snapshot that does not exist succeeded")
	}
}

func (c conformance) appendReplay(t *testing.T) {
	j, _ := c.openNew(t)
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	binary := []byte{0, 0, 0, 0, 0xff, '\n', '\r', 0}
	steps := [][][]byte{
		{[]byte("one")},
		{[]byte("two"), {}, []byte("four")}, // a batch, with an empty record in it
		{binary},
		{big},
		{[]byte("seven"), big[:1000]},
	}
	var all [][]byte
	for _, recs := range steps {
		want := Seq(len(all)) + 1
		if got := mustAppend(t, j, recs...); got != want {
			t.Fatalf("Append of %d records returned %d, want %d", len(recs), got, want)
		}
		all = append(all, recs...)
		if j.LastSeq() != Seq(len(all)) {
			t.Fatalf("LastSeq %d after %d records", j.LastSeq(), len(all))
		}
	}
	if j.FirstSeq() != 1 {
		t.Fatalf("FirstSeq %d, want 1", j.FirstSeq())
	}
	checkLog(t, j, 0, all)
}

func (c conformance) replayAfter(t *testing.T) {
	j, _ := c.openNew(t)
	all := appendN(t, j, 20, "r")
	for after := range Seq(len(all)) + 1 {
		checkLog(t, j, after, all[after:])
	}
	if got := collect(t, j, 1000); len(got) != 0 {
		t.Fatalf("Replay past the end returned %d records", len(got))
	}
}

func (c conformance) replayCallbackError(t *testing.T) {
	j, _ := c.openNew(t)
	appendN(t, j, 10, "e")
	stop := errors.New("stop here")
	var seen []Seq
	err := j.Replay(0, func(seq Seq, _ []byte) error {
		seen = append(seen, seq)
		if seq == 4 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Replay returned %v, want the callback's error", err)
	}
	if !slices.Equal(seen, []Seq{1, 2, 3, 4}) {
		t.Fatalf("Replay went on after the callback failed: saw %v", seen)
	}
}

func (c conformance) cancelledContext(t *testing.T) {
	j, _ := c.openNew(t)
	appendN(t, j, 3, "c")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.Append(ctx, []byte("late")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a cancelled context returned %v", err)
	}
	if j.LastSeq() != 3 {
		t.Fatalf("LastSeq %d after a cancelled Append, want 3", j.LastSeq())
	}
	if got := mustAppend(t, j, []byte("next")); got != 4 {
		t.Fatalf("Append after a cancelled one returned %d, want 4", got)
	}
}

// concurrentAppend has 32 goroutines append single records and batches
// while a reader replays: every Append gets its own contiguous range, the
// ranges tile 1..N, and every replay sees a gap-free prefix.
func (c conformance) concurrentAppend(t *testing.T) {
	j, _ := c.openNew(t)
	const writers, perWriter = 32, 16
	type result struct {
		first Seq
		recs  [][]byte
	}
	results := make([][]result, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	done := make(chan struct{})
	var readerWG sync.WaitGroup
	readerWG.Add(1)
	go func() {
		defer readerWG.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			next := Seq(1)
			err := j.Replay(0, func(seq Seq, rec []byte) error {
				if seq != next {
					return fmt.Errorf("concurrent replay: seq %d after %d", seq, next-1)
				}
				if !bytes.HasPrefix(rec, []byte("w")) {
					return fmt.Errorf("concurrent replay: seq %d holds %q", seq, trunc(rec))
				}
				next++
				return nil
			})
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				n := 1 + (w+i)%3 // 1, 2 or 3 records per Append
				recs := make([][]byte, n)
				for k := range recs {
					recs[k] = fmt.Appendf(nil, "w%02d-i%02d-k%d", w, i, k)
				}
				first, err := j.Append(context.Background(), recs...)
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				results[w] = append(results[w], result{first, recs})
			}
		}()
	}
	wg.Wait()
	close(done)
	readerWG.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := map[Seq][]byte{}
	for _, rs := range results {
		for _, r := range rs {
			for k, rec := range r.recs {
				seq := r.first + Seq(k)
				if prev, dup := want[seq]; dup {
					t.Fatalf("seq %d handed out twice: %q and %q", seq, prev, rec)
				}
				want[seq] = rec
			}
		}
	}
	total := Seq(len(want))
	if j.LastSeq() != total {
		t.Fatalf("LastSeq %d, want %d", j.LastSeq(), total)
	}
	got := collect(t, j, 0)
	if Seq(len(got)) != total {
		t.Fatalf("replayed %d records, want %d", len(got), total)
	}
	for i, e := range got {
		if e.seq != Seq(i)+1 || !bytes.Equal(e.rec, want[e.seq]) {
			t.Fatalf("replay %d: seq %d = %q, want seq %d = %q", i, e.seq, e.rec, i+1, want[Seq(i)+1])
		}
	}
}

func (c conformance) snapshots(t *testing.T) {
	j, _ := c.openNew(t)
	appendN(t, j, 10, "s")
	writeSnap(t, j, 4, []byte("state at 4"))
	if got := snapList(t, j); !slices.Equal(got, []Seq{4}) {
		t.Fatalf("Snapshots = %v, want [4]", got)
	}
	if got := readSnap(t, j, 4); string(got) != "state at 4" {
		t.Fatalf("snapshot 4 reads %q", got)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	writeSnap(t, j, 7, big)
	writeSnap(t, j, 9, nil) // an empty snapshot is still a snapshot
	if got := snapList(t, j); !slices.Equal(got, []Seq{9, 7}) {
		t.Fatalf("Snapshots = %v, want [9 7] (newest first, the previous kept, older ones removed)", got)
	}
	if got := readSnap(t, j, 7); !bytes.Equal(got, big) {
		t.Fatalf("snapshot 7 reads %d bytes, want %d", len(got), len(big))
	}
	if got := readSnap(t, j, 9); len(got) != 0 {
		t.Fatalf("empty snapshot reads %q", got)
	}
	if _, err := j.OpenSnapshot(4); err == nil {
		t.Fatal("snapshot 4 should have been removed")
	}
	// Rewriting the newest snapshot replaces it.
	writeSnap(t, j, 9, []byte("again"))
	if got := readSnap(t, j, 9); string(got) != "again" {
		t.Fatalf("rewritten snapshot reads %q", got)
	}
	if got := snapList(t, j); !slices.Equal(got, []Seq{9, 7}) {
		t.Fatalf("Snapshots = %v after rewriting 9, want [9 7]", got)
	}
}

func (c conformance) snapshotWriteError(t *testing.T) {
	j, _ := c.openNew(t)
	appendN(t, j, 5, "x")
	writeSnap(t, j, 2, []byte("two"))
	boom := errors.New("encoder failed")
	err := j.WriteSnapshot(5, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteSnapshot returned %v, want the writer's error", err)
	}
	if got := snapList(t, j); !slices.Equal(got, []Seq{2}) {
		t.Fatalf("Snapshots = %v after a failed write, want [2]", got)
	}
	if _, err := j.OpenSnapshot(5); err == nil {
		t.Fatal("a failed snapshot can be opened")
	}
	if got := readSnap(t, j, 2); string(got) != "two" {
		t.Fatalf("snapshot 2 reads %q", got)
	}
}

func (c conformance) snapshotBounds(t *testing.T) {
	j, _ := c.openNew(t)
	appendN(t, j, 3, "b")
	for _, seq := range []Seq{0, 4, 100} {
		err := j.WriteSnapshot(seq, func(w io.Writer) error { return nil })
		if err == nil {
			t.Fatalf("WriteSnapshot(%d) with LastSeq 3 succeeded", seq)
		}
	}
	if got := snapList(t, j); len(got) != 0 {
		t.Fatalf("Snapshots = %v after refused writes", got)
	}
}

func (c conformance) replayFromSnapshot(t *testing.T) {
	j, _ := c.openNew(t)
	all := appendN(t, j, 10, "p")
	writeSnap(t, j, 6, []byte("six"))
	all = append(all, appendN(t, j, 5, "q")...)
	snaps := snapList(t, j)
	if len(snaps) != 1 {
		t.Fatalf("Snapshots = %v", snaps)
	}
	if j.FirstSeq() > snaps[0]+1 {
		t.Fatalf("FirstSeq %d: records after snapshot %d were dropped", j.FirstSeq(), snaps[0])
	}
	checkLog(t, j, snaps[0], all[snaps[0]:])
}

// truncation runs several snapshot cycles: the log may drop what the older
// kept snapshot covers, never more, and says so when asked for it.
func (c conformance) truncation(t *testing.T) {
	j, _ := c.openNew(t)
	var all [][]byte
	var snaps []Seq
	for cycle := range 6 {
		all = append(all, appendN(t, j, 40, fmt.Sprintf("t%d", cycle))...)
		writeSnap(t, j, j.LastSeq(), fmt.Appendf(nil, "cycle %d", cycle))
		snaps = append(snaps, j.LastSeq())
	}
	all = append(all, appendN(t, j, 7, "tail")...)
	kept := snapList(t, j)
	wantKept := []Seq{snaps[len(snaps)-1], snaps[len(snaps)-2]}
	if !slices.Equal(kept, wantKept) {
		t.Fatalf("Snapshots = %v, want %v", kept, wantKept)
	}
	older := kept[1]
	first := j.FirstSeq()
	if first < 1 || first > older+1 {
		t.Fatalf("FirstSeq %d: the log must keep everything after the older snapshot %d", first, older)
	}
	if j.LastSeq() != Seq(len(all)) {
		t.Fatalf("LastSeq %d, want %d", j.LastSeq(), len(all))
	}
	checkLog(t, j, older, all[older:])
	checkLog(t, j, first-1, all[first-1:])
	if first > 1 {
		err := j.Replay(first-2, func(Seq, []byte) error { return nil })
		if !errors.Is(err, ErrMissingRecords) {
			t.Fatalf("Replay(%d) with FirstSeq %d returned %v, want ErrMissingRecords", first-2, first, err)
		}
	}
}

func (c conformance) reopen(t *testing.T) {
	dir := t.TempDir()
	j := c.openAt(t, dir)
	all := appendN(t, j, 30, "o")
	writeSnap(t, j, 12, []byte("twelve"))
	writeSnap(t, j, 25, []byte("twenty-five"))
	all = append(all, appendN(t, j, 5, "o2")...)
	first, last := j.FirstSeq(), j.LastSeq()
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	j = c.openAt(t, dir)
	if j.FirstSeq() != first || j.LastSeq() != last {
		t.Fatalf("after reopen FirstSeq %d LastSeq %d, want %d and %d", j.FirstSeq(), j.LastSeq(), first, last)
	}
	checkLog(t, j, first-1, all[first-1:])
	if got := snapList(t, j); !slices.Equal(got, []Seq{25, 12}) {
		t.Fatalf("Snapshots after reopen = %v, want [25 12]", got)
	}
	if got := readSnap(t, j, 25); string(got) != "twenty-five" {
		t.Fatalf("snapshot 25 after reopen reads %q", got)
	}
	if got := mustAppend(t, j, []byte("after reopen")); got != last+1 {
		t.Fatalf("first Append after reopen returned %d, want %d", got, last+1)
	}
	all = append(all, []byte("after reopen"))
	// And once more, with nothing appended in between.
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	j = c.openAt(t, dir)
	checkLog(t, j, first-1, all[first-1:])
}

func (c conformance) closed(t *testing.T) {
	j, _ := c.openNew(t)
	appendN(t, j, 3, "z")
	writeSnap(t, j, 2, []byte("two"))
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checks := []struct {
		op  string
		err error
	}{
		{"Append", func() error { _, err := j.Append(context.Background(), []byte("x")); return err }()},
		{"Replay", j.Replay(0, func(Seq, []byte) error { return nil })},
		{"WriteSnapshot", j.WriteSnapshot(3, func(io.Writer) error { return nil })},
		{"Snapshots", func() error { _, err := j.Snapshots(); return err }()},
		{"OpenSnapshot", func() error {
			rc, err := j.OpenSnapshot(2)
			if err == nil {
				rc.Close()
			}
			return err
		}()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, ErrClosed) {
			t.Errorf("%s after Close returned %v, want ErrClosed", c.op, c.err)
		}
	}
	if err := j.Close(); err != nil && !errors.Is(err, ErrClosed) {
		t.Errorf("second Close returned %v", err)
	}
}
