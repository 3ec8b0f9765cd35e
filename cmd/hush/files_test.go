package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// An output written in many pieces, with writeback hints every few KiB,
// is renamed into place with exactly its bytes; before commit only the
// temp file exists, and discard leaves nothing.
func TestOutFileWritebackAndCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clean.csv")
	o, err := createOut(path)
	if err != nil {
		t.Fatal(err)
	}
	o.writebackEvery = 4096
	var want bytes.Buffer
	line := bytes.Repeat([]byte("x"), 97)
	for i := range 50_000 {
		p := append(line[:i%97], '\n')
		want.Write(p)
		if n, err := o.Write(p); err != nil || n != len(p) {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if o.hinted == 0 || o.hinted > o.written {
		t.Fatalf("writeback hinted %d of %d bytes", o.hinted, o.written)
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
	o2.writebackEvery = 1
	o2.Write([]byte("a,b\n"))
	o2.discard()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("after discard the dir holds %d entries, want 1", len(entries))
	}
}
