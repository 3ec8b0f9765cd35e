package wal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hushcrm/hush/journal"
)

// TestHelperProcess is not a test: the tests below run the test binary as a
// separate process with HUSH_WAL_HELPER set, to hold a lock or to be killed
// with SIGKILL mid-write.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("HUSH_WAL_HELPER")
	if mode == "" {
		return
	}
	dir := os.Getenv("HUSH_WAL_DIR")
	w, err := Open(dir, Options{SegmentSize: 16 << 10})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(3)
	}
	fmt.Println("ready")
	switch mode {
	case "hold":
		// Not select {}: with every goroutine blocked and no timer the
		// runtime calls it a deadlock and exits, dropping the lock before
		// the test has tried to take it.
		for {
			time.Sleep(time.Hour)
		}
	case "append":
		helperAppend(w)
	}
	os.Exit(0)
}

// helperAppend appends from 8 goroutines (single records and batches of
// three) and writes a 256 KiB snapshot every 200 records, printing
// "ack <first> <n> <tag>" for every acknowledged Append, until killed.
func helperAppend(w *WAL) {
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	ack := func(first journal.Seq, n int, tag string) {
		mu.Lock()
		fmt.Fprintf(out, "ack %d %d %s\n", first, n, tag)
		out.Flush()
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				n := 1 + 2*((g+i)%2)
				tag := fmt.Sprintf("g%d-%d", g, i)
				recs := make([][]byte, n)
				for k := range recs {
					recs[k] = crashRecord(tag, k)
				}
				first, err := w.Append(context.Background(), recs...)
				if err != nil {
					fmt.Println("append failed:", err)
					os.Exit(4)
				}
				ack(first, n, tag)
			}
		}()
	}
	snap := make([]byte, 256<<10)
	for {
		time.Sleep(time.Millisecond)
		last := w.LastSeq()
		if last < 200 {
			continue
		}
		err := w.WriteSnapshot(last, func(wr io.Writer) error {
			_, err := wr.Write(snap)
			return err
		})
		if err != nil {
			fmt.Println("snapshot failed:", err)
			os.Exit(5)
		}
	}
}

func crashRecord(tag string, k int) []byte {
	return fmt.Appendf(nil, "%s/%d %s", tag, k, strings.Repeat("x", 40+len(tag)*k))
}

func startHelper(t *testing.T, mode, dir string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "HUSH_WAL_HELPER="+mode, "HUSH_WAL_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	// Only whole lines count: a line a kill -9 cut short was never fully
	// said, so it acknowledges nothing.
	sc.Split(wholeLines)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("helper did not start: %q", sc.Text())
	}
	return cmd, sc
}

func TestLockSameProcess(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir, Options{NoSync: true})
	_, err := Open(dir, Options{NoSync: true})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != os.Getpid() {
		t.Fatalf("second Open: %#v does not name this process", err)
	}
	host, _ := os.Hostname()
	want := fmt.Sprintf("data dir %s is in use by pid %d on host %s since ", dir, os.Getpid(), host)
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "; stop that process first") {
		t.Fatalf("message %q, want %q...", err, want)
	}
	if since := time.Since(le.Holder.Since); since < -time.Second || since > time.Minute {
		t.Fatalf("lock holder since %v", le.Holder.Since)
	}
	// The LOCK file says who holds it.
	b, err := os.ReadFile(filepath.Join(dir, "LOCK"))
	if err != nil {
		t.Fatal(err)
	}
	var h LockHolder
	if err := json.Unmarshal(b, &h); err != nil || h.PID != os.Getpid() || h.Host != host {
		t.Fatalf("LOCK holds %q (%v)", b, err)
	}
	closeT(t, w)
	w = openT(t, dir, Options{NoSync: true})
	closeT(t, w)
}

func TestLockOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd, _ := startHelper(t, "hold", dir)
	_, err := Open(dir, Options{NoSync: true})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("Open of a dir another process holds: %v", err)
	}
	if le.Holder.PID != cmd.Process.Pid || !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("error names pid %d, the holder is %d: %v", le.Holder.PID, cmd.Process.Pid, err)
	}
	// Verify reads a dir another process owns.
	if _, err := Verify(dir); err != nil {
		t.Fatalf("Verify while locked: %v", err)
	}
	// A holder killed with SIGKILL leaves its LOCK file; the kernel has
	// dropped the flock, so the dir opens.
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	w := openT(t, dir, Options{NoSync: true})
	closeT(t, w)
}

// TestKill9 kills a process appending from 8 goroutines (with segment
// rotation and snapshots going on) at random moments: each time the dir
// must open, hold every acknowledged record with its content, and keep
// its snapshots readable. The lead's test does the same with the binary.
func TestKill9(t *testing.T) {
	dir := t.TempDir()
	acked := map[journal.Seq][]byte{}
	r := rand.New(rand.NewPCG(7, 9))
	for round := range 6 {
		cmd, sc := startHelper(t, "append", dir)
		lines := make(chan string, 1024)
		go func() {
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Kill at a random moment once appends are flowing.
		var firstLine string
		select {
		case firstLine = <-lines:
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: the helper acknowledged nothing", round)
		}
		time.Sleep(time.Duration(r.IntN(150)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		n := 0
		for line := range concat(firstLine, lines) {
			var first journal.Seq
			var cnt int
			var tag string
			if _, err := fmt.Sscanf(line, "ack %d %d %s", &first, &cnt, &tag); err != nil {
				t.Fatalf("helper said %q", line)
			}
			for k := range cnt {
				acked[first+journal.Seq(k)] = crashRecord(tag, k)
			}
			n++
		}
		if _, err := Verify(dir); err != nil {
			t.Fatalf("round %d: Verify after kill -9: %v", round, err)
		}
		w, err := Open(dir, Options{NoSync: true})
		if err != nil {
			t.Fatalf("round %d: Open after kill -9: %v", round, err)
		}
		first, last := w.FirstSeq(), w.LastSeq()
		seen := 0
		err = w.Replay(first-1, func(seq journal.Seq, b []byte) error {
			if want, ok := acked[seq]; ok {
				if string(b) != string(want) {
					return fmt.Errorf("seq %d holds %q, acknowledged %q", seq, b, want)
				}
				seen++
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for seq := range acked {
			if seq > last {
				t.Fatalf("round %d: acknowledged seq %d is lost (log ends at %d)", round, seq, last)
			}
			if seq < first {
				delete(acked, seq) // dropped behind a snapshot
			}
		}
		if seen != len(acked) {
			t.Fatalf("round %d: %d of %d acknowledged records replayed", round, seen, len(acked))
		}
		snaps, _ := w.Snapshots()
		for _, s := range snaps {
			rc, err := w.OpenSnapshot(s)
			if err != nil {
				t.Fatalf("round %d: snapshot %d: %v", round, s, err)
			}
			if b, err := io.ReadAll(rc); err != nil || len(b) != 256<<10 {
				t.Fatalf("round %d: snapshot %d: %d bytes, %v", round, s, len(b), err)
			}
			rc.Close()
		}
		t.Logf("round %d: %d acks, log %d..%d, snapshots %v", round, n, first, last, snaps)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func concat(first string, rest <-chan string) <-chan string {
	out := make(chan string)
	go func() {
		out <- first
		for l := range rest {
			out <- l
		}
		close(out)
	}()
	return out
}

// wholeLines is bufio.ScanLines without its last, unterminated line.
func wholeLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF {
		return len(data), nil, nil // drop the fragment
	}
	return 0, nil, nil
}
