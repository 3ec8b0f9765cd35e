package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hushcrm/hush/journal"
)

const (
	walDirName  = "wal"
	snapDirName = "snapshots"
	segExt      = ".seg"
	snapExt     = ".snap"
	tmpExt      = ".tmp"
)

// segmentFile is the file appends go to. Tests wrap it to inject short
// writes and failing syncs.
type segmentFile interface {
	Write(p []byte) (int, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

// osFile is a segment file on disk; its Sync is per platform.
type osFile struct{ *os.File }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}

func segName(first journal.Seq) string { return fmt.Sprintf("%020d%s", uint64(first), segExt) }

func snapName(seq journal.Seq) string { return fmt.Sprintf("%020d%s", uint64(seq), snapExt) }

var numberedName = regexp.MustCompile(`^[0-9]{20}$`)

// parseName returns the seq in a name like 00000000000000000042.seg.
func parseName(name, ext string) (journal.Seq, bool) {
	base, ok := strings.CutSuffix(name, ext)
	if !ok || !numberedName.MatchString(base) {
		return 0, false
	}
	n, err := strconv.ParseUint(base, 10, 64)
	if err != nil {
		return 0, false
	}
	return journal.Seq(n), true
}

// listNumbered returns the seqs of dir's files named <seq><ext>, ascending.
func listNumbered(dir, ext string) ([]journal.Seq, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []journal.Seq
	for _, e := range ents {
		if seq, ok := parseName(e.Name(), ext); ok && e.Type().IsRegular() {
			out = append(out, seq)
		}
	}
	slices.Sort(out)
	return out, nil
}

// removeTemps deletes the temp files a crash left behind in dir and
// returns their names.
func removeTemps(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), tmpExt) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return removed, err
			}
			removed = append(removed, e.Name())
		}
	}
	return removed, nil
}
