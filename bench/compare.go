package bench

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strings"
)

// Outputs are the three files a scrub writes.
type Outputs struct {
	Clean      string `json:"clean"`
	Suppressed string `json:"suppressed"`
	Rejected   string `json:"rejected"`
}

func (o Outputs) files() [3]string { return [3]string{o.Clean, o.Suppressed, o.Rejected} }

var outputNames = [3]string{"clean", "suppressed", "rejected"}

// Counts are the data rows of each output.
type Counts struct {
	Clean      int64 `json:"clean"`
	Suppressed int64 `json:"suppressed"`
	Rejected   int64 `json:"rejected"`
}

// Rows is the total.
func (c Counts) Rows() int64 { return c.Clean + c.Suppressed + c.Rejected }

func (c Counts) String() string {
	return fmt.Sprintf("clean %d, suppressed %d, rejected %d", c.Clean, c.Suppressed, c.Rejected)
}

// ErrMismatch is wrapped by CompareOutputs when two tools disagree.
var ErrMismatch = errors.New("outputs differ")

// Fingerprint is the multiset of an output set's rows, each row reduced to
// a 64-bit hash of its first n fields (the campaign's own columns: tools add
// different extra columns, and quote fields differently).
type Fingerprint struct {
	Outputs Outputs
	Fields  int
	Counts  Counts
	hashes  [3][]uint64 // sorted
}

// FingerprintOutputs reads the three files of o.
func FingerprintOutputs(o Outputs, fields int) (*Fingerprint, error) {
	fp := &Fingerprint{Outputs: o, Fields: fields}
	for i, path := range o.files() {
		err := scanRows(path, fields, func(_ []string, h uint64) bool {
			fp.hashes[i] = append(fp.hashes[i], h)
			return true
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(fp.hashes[i])
	}
	fp.Counts = Counts{int64(len(fp.hashes[0])), int64(len(fp.hashes[1])), int64(len(fp.hashes[2]))}
	return fp, nil
}

// scanRows calls fn with the first fields of every data row of a CSV file
// and their hash, until fn returns false.
func scanRows(path string, fields int, fn func(rec []string, h uint64) bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // header
		if err == io.EOF {
			return fmt.Errorf("bench: %s: empty file, want a header row", path)
		}
		return fmt.Errorf("bench: %s: %w", path, err)
	}
	h := fnv.New64a()
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("bench: %s: %w", path, err)
		}
		if len(rec) < fields {
			line, _ := r.FieldPos(0)
			return fmt.Errorf("bench: %s:%d: %d fields, want at least %d", path, line, len(rec), fields)
		}
		rec = rec[:fields]
		h.Reset()
		for _, s := range rec {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		if !fn(rec, h.Sum64()) {
			return nil
		}
	}
}

// Compare checks that a and b hold the same rows in each output. On a
// difference the error (wrapping ErrMismatch) shows the counts and the
// first rows found in one tool's output but not the other's.
func Compare(aName string, a *Fingerprint, bName string, b *Fingerprint, show int) error {
	var diffs []string
	for i := range 3 {
		onlyA, onlyB := diffSorted(a.hashes[i], b.hashes[i], show)
		if len(onlyA) == 0 && len(onlyB) == 0 {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s: %s has %d rows, %s has %d", outputNames[i], aName, len(a.hashes[i]), bName, len(b.hashes[i])))
		for _, side := range []struct {
			name, other string
			fp          *Fingerprint
			hs          []uint64
		}{{aName, bName, a, onlyA}, {bName, aName, b, onlyB}} {
			if len(side.hs) == 0 {
				continue
			}
			rows, err := findRows(side.fp.Outputs.files()[i], side.fp.Fields, side.hs)
			if err != nil {
				return err
			}
			for _, r := range rows {
				diffs = append(diffs, fmt.Sprintf("  only in %s %s: %s", side.name, outputNames[i], r))
			}
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%w between %s (%v) and %s (%v):\n%s", ErrMismatch, aName, a.Counts, bName, b.Counts, strings.Join(diffs, "\n"))
	}
	return nil
}

// diffSorted returns up to max hashes of each multiset missing from the other.
func diffSorted(a, b []uint64, max int) (onlyA, onlyB []uint64) {
	i, j := 0, 0
	for (i < len(a) || j < len(b)) && (len(onlyA) < max || len(onlyB) < max) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			if len(onlyA) < max {
				onlyA = append(onlyA, a[i])
			}
			i++
		case i == len(a) || b[j] < a[i]:
			if len(onlyB) < max {
				onlyB = append(onlyB, b[j])
			}
			j++
		default:
			i++
			j++
		}
	}
	return onlyA, onlyB
}

// findRows returns the rows of a file whose hash is in hs, as CSV text with
// their data-row number.
func findRows(path string, fields int, hs []uint64) ([]string, error) {
	want := map[uint64]bool{}
	for _, h := range hs {
		want[h] = true
	}
	var out []string
	n := 0
	err := scanRows(path, fields, func(rec []string, h uint64) bool {
		n++
		if want[h] {
			delete(want, h)
			out = append(out, fmt.Sprintf("row %d: %q", n, rec))
		}
		return len(want) > 0
	})
	return out, err
}
