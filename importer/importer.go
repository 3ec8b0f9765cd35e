package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// Format is a list file format.
type Format int

const (
	// CSV is a CSV file with a header row; Column names the key column.
	CSV Format = iota
	// Registry is the national do-not-call registry download: one number
	// per line, "AAA,NNNNNNN" or "AAANNNNNNN" (also with dashes/spaces).
	Registry
)

// ParseFormat reads --format.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "csv":
		return CSV, nil
	case "registry", "dnc":
		return Registry, nil
	}
	return 0, fmt.Errorf("unknown format %q (want csv or registry)", s)
}

// Options configure one import.
type Options struct {
	Format        Format
	Column        string // CSV: key column (name or 1-based number); default the column named after the list's kind, else the first
	ExpiresColumn string // CSV: optional per-entry expiry column (RFC 3339 or date)
	Mode          suppression.ImportMode
	Normalizer    *contactkey.Normalizer
	Source        string // the input's name (file path) for errors and the audit trail
	Delimiter     byte   // CSV delimiter (default ',')
	Workers       int    // registry parsing and sorting goroutines (default GOMAXPROCS)
	// WorkerStart, if set, runs first in every goroutine the import starts
	// (splitting, parsing, sorting): a server lowers their threads'
	// priority with it so that live checks keep the cores.
	WorkerStart func()
	// Yield, if set, is called by the import's parsing, sorting and
	// deduplicating loops between slices of work a fraction of a
	// millisecond long: a server hands the core to waiting checks with it
	// (an OS-level yield), so they never wait for a whole time slice of
	// the import's threads.
	Yield func()
	// Progress, if set, is called from time to time with the bytes read.
	Progress func(bytesRead int64)
}

// Result reports an import.
type Result struct {
	List     string                   `json:"list"`
	Rows     uint64                   `json:"rows"`     // data lines read
	Accepted uint64                   `json:"accepted"` // rows with a valid key
	Rejected uint64                   `json:"rejected"` // rows written to the rejected output
	Unique   uint64                   `json:"unique"`   // distinct keys staged
	Applied  suppression.ImportResult `json:"applied"`
	Version  journal.Seq              `json:"version"`
	SHA256   string                   `json:"sha256"`
	Seconds  float64                  `json:"seconds"`
}

// ErrNoRows means the file held no data rows; an empty full import would
// empty the list, which is never what someone meant by accident.
var ErrNoRows = errors.New("no data rows")

// rejectWriter writes rejected rows as CSV: line, reason, original line.
type rejectWriter struct {
	w *csvio.Writer
	n uint64
}

func newRejectWriter(w io.Writer) (*rejectWriter, error) {
	if w == nil {
		w = io.Discard
	}
	cw := csvio.NewWriter(w)
	if err := cw.WriteRecord([]byte("line"), []byte("reason"), []byte("raw")); err != nil {
		return nil, err
	}
	return &rejectWriter{w: cw}, nil
}

func (r *rejectWriter) reject(line int64, reason string, raw []byte) error {
	r.n++
	return r.w.WriteRecord([]byte(strconv.FormatInt(line, 10)), []byte(reason), raw)
}

// Run imports in into list. Rejected rows go to rejected (CSV with line
// number and reason). Nothing changes unless the whole file was read: any
// error aborts the import and leaves the list as it was.
func Run(ctx context.Context, e *engine.Engine, list string, in io.Reader, rejected io.Writer, opts Options) (res Result, err error) {
	start := time.Now()
	res.List = list
	if opts.Normalizer == nil {
		return res, errors.New("importer: Options.Normalizer is required")
	}
	var kind contactkey.Kind
	if err := e.Read(func(st *suppression.Store, _ journal.Seq) error {
		l, ok := st.List(list)
		if !ok {
			return fmt.Errorf("list %q: %w", list, suppression.ErrUnknownList)
		}
		kind = l.Spec().Kind
		return nil
	}); err != nil {
		return res, err
	}
	if opts.Format == Registry && kind != contactkey.KindPhone {
		return res, fmt.Errorf("list %q holds %s keys: the registry format is for phone lists", list, kind)
	}
	sum := sha256.New()
	r, err := maybeGunzip(io.TeeReader(in, sum), opts.Source)
	if err != nil {
		return res, err
	}
	if opts.Progress != nil {
		r = &progressReader{r: r, fn: opts.Progress}
	}
	rw, err := newRejectWriter(rejected)
	if err != nil {
		return res, err
	}
	var keys []uint64
	var expires []int64
	switch opts.Format {
	case Registry:
		keys, err = readRegistry(ctx, r, opts, rw, &res)
	default:
		keys, expires, err = readCSV(r, kind, e.Hasher(), opts, rw, &res)
	}
	if ferr := rw.w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return res, err
	}
	res.Rejected = rw.n
	if res.Rows == 0 && opts.Mode == suppression.Replace {
		return res, fmt.Errorf("%s: %w: a full import of an empty file would empty list %q", opts.Source, ErrNoRows, list)
	}
	keys, expires = sortKeys(keys, expires, opts.Workers, opts.hooks())
	res.Unique = uint64(len(keys))

	im, err := e.BeginImport(ctx, list, opts.Mode, opts.Source)
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			im.Abort(context.WithoutCancel(ctx), err.Error())
		}
	}()
	if err = im.Add(ctx, keys, expires); err != nil {
		return res, err
	}
	digest := sum.Sum(nil)
	res.SHA256 = fmt.Sprintf("%x", digest)
	res.Applied, res.Version, err = im.Commit(ctx, res.Rows, res.Rejected, digest)
	res.Seconds = time.Since(start).Seconds()
	return res, err
}

// sortKeys sorts and deduplicates keys (keeping, for duplicates with
// expiries, the longest-lived: an entry with no expiry outlives any date).
func sortKeys(keys []uint64, expires []int64, workers int, h hooks) ([]uint64, []int64) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if expires == nil {
		radixSortWorkers(keys, make([]uint64, len(keys)), workers, h)
		return dedupSorted(keys, h), nil
	}
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sortIdx(idx, keys)
	outK := make([]uint64, 0, len(keys))
	outE := make([]int64, 0, len(keys))
	for _, i := range idx {
		k, x := keys[i], expires[i]
		if n := len(outK); n > 0 && outK[n-1] == k {
			if outE[n-1] != 0 && (x == 0 || x > outE[n-1]) {
				outE[n-1] = x
			}
			continue
		}
		outK = append(outK, k)
		outE = append(outE, x)
	}
	return outK, outE
}

func maybeGunzip(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		return zr, nil
	}
	return br, nil
}

type progressReader struct {
	r  io.Reader
	n  int64
	fn func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.fn(p.n)
	return n, err
}

// readCSV reads a CSV list file with csvio.
func readCSV(r io.Reader, kind contactkey.Kind, h *contactkey.Hasher, opts Options, rw *rejectWriter, res *Result) ([]uint64, []int64, error) {
	delim := opts.Delimiter
	if delim == 0 {
		delim = ','
	}
	cr, err := csvio.NewReader(r, opts.Source, csvio.Options{Delimiter: delim, Header: true})
	if err != nil {
		return nil, nil, err
	}
	header := cr.Header()
	col := opts.Column
	if col == "" {
		col = "1"
		for _, name := range header {
			if k, err := contactkey.ParseKind(name); err == nil && k == kind {
				col = name
				break
			}
		}
	}
	mapping := map[string]string{"key": col}
	if opts.ExpiresColumn != "" {
		mapping["expires"] = opts.ExpiresColumn
	}
	cols, err := csvio.ResolveColumns(header, mapping, []string{"key", "expires"})
	if err != nil {
		return nil, nil, err
	}
	keyCol := cols["key"]
	expCol, hasExp := cols["expires"]
	var keys []uint64
	var expires []int64
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *csvio.RowError
			if !errors.As(err, &re) {
				return nil, nil, err
			}
			res.Rows++
			var raw []byte
			if row != nil {
				raw = row.Raw
			}
			if werr := rw.reject(re.Line, re.Err.Error(), raw); werr != nil {
				return nil, nil, werr
			}
			continue
		}
		res.Rows++
		k, kerr := opts.Normalizer.Key(kind, row.Fields[keyCol], h)
		if kerr != nil {
			if werr := rw.reject(row.Line, reasonOf(kind, kerr), row.Raw); werr != nil {
				return nil, nil, werr
			}
			continue
		}
		var exp int64
		if hasExp {
			if f := bytes.TrimSpace(row.Fields[expCol]); len(f) > 0 {
				t, perr := parseTime(string(f))
				if perr != nil {
					if werr := rw.reject(row.Line, "invalid_expiry: "+perr.Error(), row.Raw); werr != nil {
						return nil, nil, werr
					}
					continue
				}
				exp = t.Unix()
			}
		}
		keys = append(keys, k.V)
		if hasExp {
			expires = append(expires, exp)
		}
		res.Accepted++
	}
	if hasExp && expires == nil {
		expires = []int64{}
	}
	return keys, expires, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
}

// reasonOf turns a key error into a short reject reason.
func reasonOf(kind contactkey.Kind, err error) string {
	var ke *contactkey.KeyError
	if errors.As(err, &ke) {
		return "invalid_" + kind.String() + ": " + ke.Reason
	}
	return "invalid_" + kind.String() + ": " + err.Error()
}

// Registry files are read in blocks parsed in parallel: a 250M-line file
// must load in well under a minute on two cores.
const blockSize = 4 << 20

type block struct {
	seq       int
	firstLine int64
	data      []byte
}

type blockResult struct {
	seq     int
	keys    []uint64
	rejects []rejected
	rows    uint64
}

type rejected struct {
	line   int64
	reason string
	raw    []byte
}

func readRegistry(ctx context.Context, r io.Reader, opts Options, rw *rejectWriter, res *Result) ([]uint64, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	h := opts.hooks()
	blocks := make(chan block, workers*2)
	results := make(chan blockResult, workers*2)
	var readErr error
	if workers == 1 {
		// One goroutine reads and parses in turn: a server that gives
		// the import one worker (importcores.go) keeps its other P for
		// checks. A reader of its own beside the parser took that P too:
		// with both Ps held by the import's goroutines, checks waited
		// for a scheduler slice (10 ms) at a time while the file was
		// parsed (bench/RESULTS.md, HTTP, session 5).
		go func() {
			defer close(results)
			h.begin()
			readErr = splitBlocks(ctx, r, func(b block) { results <- parseRegistryBlock(b, opts.Normalizer, h) }, h)
		}()
	} else {
		go func() {
			defer close(blocks)
			h.begin()
			readErr = splitBlocks(ctx, r, func(b block) { blocks <- b }, h)
		}()
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.begin()
				for b := range blocks {
					results <- parseRegistryBlock(b, opts.Normalizer, h)
				}
			}()
		}
		go func() { wg.Wait(); close(results) }()
	}

	// Blocks' keys are kept apart and joined once at the end: appending to
	// one slice would copy a 250M-key import several times over.
	var parts [][]uint64
	total := 0
	pending := map[int]blockResult{}
	next := 0
	var werr error
	for br := range results {
		parts = append(parts, br.keys)
		total += len(br.keys)
		res.Rows += br.rows
		res.Accepted += uint64(len(br.keys))
		pending[br.seq] = br
		// Rejected lines are written in file order.
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			for _, rj := range p.rejects {
				if werr == nil {
					werr = rw.reject(rj.line, rj.reason, rj.raw)
				}
			}
		}
	}
	if readErr != nil {
		return nil, fmt.Errorf("%s: %w", opts.Source, readErr)
	}
	keys := make([]uint64, total)
	off := 0
	for i, p := range parts {
		off += copyYielding(keys[off:], p, h)
		parts[i] = nil
	}
	return keys, werr
}

// splitBlocks cuts the input at line boundaries and hands each block to
// emit, in order.
// A block is read (and hashed, through Run's TeeReader) in slices of
// readSlice bytes with h.step between them.
func splitBlocks(ctx context.Context, r io.Reader, emit func(block), h hooks) error {
	var carry []byte
	line := int64(1)
	for seq := 0; ; seq++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf := make([]byte, len(carry), blockSize+len(carry))
		copy(buf, carry)
		n, err := readFullYielding(r, buf[len(carry):cap(buf)], h)
		buf = buf[:len(carry)+n]
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return err
		}
		if eof {
			if len(buf) > 0 {
				emit(block{seq: seq, firstLine: line, data: buf})
			}
			return nil
		}
		cut := bytes.LastIndexByte(buf, '\n')
		if cut < 0 {
			// One line longer than a block: keep reading into it.
			carry = buf
			seq--
			continue
		}
		data := buf[:cut+1]
		carry = append([]byte(nil), buf[cut+1:]...)
		emit(block{seq: seq, firstLine: line, data: data})
		line += int64(bytes.Count(data, []byte{'\n'}))
	}
}

// readSlice is how much splitBlocks reads (and hashes) between yields:
// about 0.1 ms of SHA-256.
const readSlice = 64 << 10

// readFullYielding is io.ReadFull in reads of at most readSlice bytes,
// calling h.step after each.
func readFullYielding(r io.Reader, buf []byte, h hooks) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:min(n+readSlice, len(buf))])
		n += k
		h.step()
		if err != nil {
			switch {
			case n == len(buf):
				return n, nil
			case err == io.EOF && n > 0:
				return n, io.ErrUnexpectedEOF
			}
			return n, err
		}
	}
	return n, nil
}

func parseRegistryBlock(b block, n *contactkey.Normalizer, h hooks) blockResult {
	res := blockResult{seq: b.seq, keys: make([]uint64, 0, len(b.data)/11)}
	line := b.firstLine
	data := b.data
	var digits [32]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var ln []byte
		if i < 0 {
			ln, data = data, nil
		} else {
			ln, data = data[:i], data[i+1:]
		}
		cur := line
		line++
		if line%yieldEvery == 0 {
			h.step()
		}
		ln = bytes.TrimRight(ln, "\r")
		t := bytes.TrimSpace(ln)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		res.rows++
		// "AAA,NNNNNNN": drop the separators the registry uses, keep the
		// rest for the phone rules to judge.
		d := digits[:0]
		tooLong := false
		for _, c := range t {
			if c == ',' || c == '-' || c == ' ' || c == '\t' {
				continue
			}
			if len(d) == cap(d) {
				tooLong = true
				break
			}
			d = append(d, c)
		}
		if tooLong {
			res.rejects = append(res.rejects, rejected{cur, "invalid_phone: too_long", append([]byte(nil), ln...)})
			continue
		}
		v, err := n.Phone(d)
		if err != nil {
			res.rejects = append(res.rejects, rejected{cur, reasonOf(contactkey.KindPhone, err), append([]byte(nil), ln...)})
			continue
		}
		res.keys = append(res.keys, v)
	}
	return res
}

func (o Options) hooks() hooks { return hooks{start: o.WorkerStart, yield: o.Yield} }
