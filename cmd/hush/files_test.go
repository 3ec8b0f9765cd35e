package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// An output written in many pieces — small lines, and pieces bigger than
// its buffers — is renamed into place with exactly its bytes, in direct
// mode (O_DIRECT, where the file system has it) and in page-cache mode
// (with writeback hints); before commit only the temp file exists, and
// discard leaves nothing, also with a write in flight.
func TestOutFileWritebackAndCommit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pageCache bool
		total     int // bytes to write: several buffers' worth
	}{
		{"direct", false, 3*directBuf + 12345},
		{"page-cache", true, 3*pageBuf + 777},
		{"direct-small", false, 100},
		{"direct-empty", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "clean.csv")
			o, err := createOut(path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.pageCache {
				forcePageCache(t, o)
				o.writebackEvery = 4096
			}
			var want bytes.Buffer
			line := bytes.Repeat([]byte("x"), 97)
			big := bytes.Repeat([]byte("0123456789abcdef"), directBuf/16+3)
			for i := 0; want.Len() < tc.total; i++ {
				p := append(line[:i%97], '\n')
				if i%1000 == 999 {
					p = big[:min(len(big), i)]
				}
				p = p[:min(len(p), tc.total-want.Len())]
				want.Write(p)
				if n, err := o.Write(p); err != nil || n != len(p) {
					t.Fatalf("write %d: %d, %v", i, n, err)
				}
			}
			if tc.pageCache && (o.hinted == 0 || o.hinted > int64(want.Len())) {
				t.Fatalf("writeback hinted %d of %d bytes", o.hinted, want.Len())
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("destination exists before commit: %v", err)
			}
			if err := o.commit(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("committed file: %d bytes (%v), want %d", len(got), err, want.Len())
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".*tmp-*"))
			if len(left) != 0 {
				t.Fatalf("temp files left: %v", left)
			}

			o2, err := createOut(filepath.Join(dir, "other.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.pageCache {
				forcePageCache(t, o2)
				o2.writebackEvery = 1
			}
			o2.Write([]byte("a,b\n"))
			o2.Write(big) // a full buffer: its write may be in flight
			o2.discard()
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Fatalf("after discard the dir holds %d entries, want 1", len(entries))
			}
		})
	}
}

func forcePageCache(t *testing.T, o *outFile) {
	t.Helper()
	if err := setDirect(o.f, false); err != nil {
		t.Fatal(err)
	}
	o.direct, o.buf = false, alignedBuf(pageBuf)
}

// The temp dir of the tests is on a file system with O_DIRECT on the
// machines hush is developed on; say so when it is not, so that a pass
// does not silently mean "page-cache mode only".
func TestOutFileDirectWhereAvailable(t *testing.T) {
	o, err := createOut(filepath.Join(t.TempDir(), "x.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer o.discard()
	t.Logf("O_DIRECT outputs in %s: %v", os.TempDir(), o.direct)
	if o.direct && (cap(o.buf) != directBuf || len(o.buf) != 0) {
		t.Fatalf("direct buffer: len %d cap %d", len(o.buf), cap(o.buf))
	}
}
