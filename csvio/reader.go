package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// DefaultMaxRecordBytes is the record size limit when Options leaves it 0.
const DefaultMaxRecordBytes = 16 << 20

// maxRecordLimit caps MaxRecordBytes so that batch offsets fit in uint32.
const maxRecordLimit = 1 << 30

// bufSize is the read buffer a reader starts with; it grows only for records
// longer than that, up to MaxRecordBytes.
const bufSize = 256 << 10

// Options say how to split a file. The zero value is a comma-separated file
// without a header.
type Options struct {
	// Delimiter separates fields: ',' when 0; '\t', ';', '|'...
	Delimiter byte
	// Whitespace splits on runs of spaces and tabs and ignores leading and
	// trailing ones (CDNOW-style files). There is no quoting then.
	Whitespace bool
	// Header: the first record names the columns. Its field count is then
	// what every row must have.
	Header bool
	// MaxRecordBytes bounds one record (and so the reader's memory);
	// DefaultMaxRecordBytes when <= 0, at most 1 GiB.
	MaxRecordBytes int
	// MaxRecordLines, when > 0, bounds how many lines one quoted record
	// may span. A stray quote that happens to be "closed" by another stray
	// quote further down would otherwise swallow the lines between into
	// one field (RFC 4180 allows it); past this many lines the record is
	// taken as an unbalanced quote and cut back to its first line. 0 means
	// no bound.
	MaxRecordLines int
	// FieldsPerRecord: 0 means rows must have as many fields as the header
	// (or, without a header, as the first good row); > 0 is an exact count;
	// < 0 turns the check off.
	FieldsPerRecord int
}

// Row is one record as Read returns it. Its slices point into the reader's
// buffer and are only valid until the next Read.
type Row struct {
	Line   int64    // 1-based line where the record starts
	Fields [][]byte // unquoted field values; nil for rows whose syntax failed
	Raw    []byte   // the record's exact bytes without its line terminator; nil for a line too long to keep
	Err    *RowError
}

// Stats counts what a reader consumed so far.
type Stats struct {
	Rows       int64 // records returned (good and bad), header excluded
	Errors     int64 // of those, rows with a RowError
	BlankLines int64 // skipped blank lines
	Lines      int64 // physical lines consumed, header and blank lines included
	Bytes      int64 // input bytes consumed, BOM included
}

// Reader streams records from an io.Reader.
type Reader struct {
	src      io.Reader
	name     string
	delim    byte
	ws       bool
	limit    int
	maxLines int64
	maxBuf   int

	buf      []byte
	pos, end int   // unconsumed bytes are buf[pos:end]
	searched int   // buf[pos:pos+searched] is known to hold no '\n'
	eof      bool  // src is exhausted
	rerr     error // sticky read error from src
	total    int64 // bytes read from src
	line     int64 // line number of buf[pos]

	header []string
	want   int // required field count; 0 = take from the first good row; -1 = any

	offs    []int  // field bounds as start,end pairs (see rec)
	scratch []byte // unquoted field bytes of slow-path records
	qOpen   int    // slow path: offset of the quote of the field still open, or -1
	qCross  int    // slow path: offset of the quote of the first field spanning a line, or -1

	// Per-buffer knowledge that saves per-row scans (offsets into buf,
	// shifted when the buffer is compacted). There is no quote in
	// buf[pos:qScan) except at qAt (when qAt >= pos; qScan <= qAt then).
	qAt, qScan int
	// buf[:cleanEnd] holds no NUL and is valid UTF-8; rows ending at or
	// before dirtyEnd must be checked one by one.
	cleanEnd, dirtyEnd int

	row   Row
	stats Stats
}

// rec is one record located in the buffer. offs are field bounds as
// start,end pairs into the virtual concatenation raw+scratch: most fields
// are spans of raw, and only quoted fields that had to be unescaped
// (doubled quotes) live in scratch. A Batch copies raw and scratch side by
// side into its arena and keeps the offsets as they are.
type rec struct {
	line    int64
	raw     []byte
	scratch []byte
	offs    []int
	err     *RowError
}

func (rc *rec) field(i int) []byte {
	s, e := rc.offs[2*i], rc.offs[2*i+1]
	if n := len(rc.raw); s >= n {
		return rc.scratch[s-n : e-n : e-n]
	}
	return rc.raw[s:e:e]
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// NewReader starts reading src. name (the file path) is used in errors. A
// UTF-8 BOM is stripped. With opts.Header the header record is read now: an
// input without records is then an error wrapping ErrEmptyFile, and a header
// that cannot be parsed is returned as its *RowError.
func NewReader(src io.Reader, name string, opts Options) (*Reader, error) {
	r := &Reader{
		src:      src,
		name:     name,
		delim:    opts.Delimiter,
		ws:       opts.Whitespace,
		limit:    opts.MaxRecordBytes,
		want:     opts.FieldsPerRecord,
		qAt:      -1,
		maxLines: int64(max(opts.MaxRecordLines, 0)),
		line:     1,
	}
	if r.delim == 0 {
		r.delim = ','
	}
	if !r.ws && (r.delim == '"' || r.delim == '\n' || r.delim == '\r') {
		return nil, fmt.Errorf("csvio: %s: invalid delimiter %q", name, r.delim)
	}
	if r.limit <= 0 {
		r.limit = DefaultMaxRecordBytes
	}
	r.limit = min(r.limit, maxRecordLimit)
	if r.want < 0 {
		r.want = -1
	}
	// A record of limit bytes plus CRLF must fit, so that "too long" is
	// decided on what is seen, not on where a read happened to stop.
	r.maxBuf = max(bufSize, r.limit+2)
	size := bufSize
	if l, ok := src.(interface{ Len() int }); ok {
		// An in-memory input (an upload, a test) needs no more than itself.
		size = min(size, max(l.Len(), 64)+1)
	}
	r.buf = make([]byte, size)

	r.fill(len(utf8BOM))
	if r.rerr != nil {
		return nil, fmt.Errorf("csvio: reading %s: %w", name, r.rerr)
	}
	if bytes.HasPrefix(r.buf[r.pos:r.end], utf8BOM) {
		r.pos += len(utf8BOM)
	}
	if !opts.Header {
		return r, nil
	}
	var h rec
	if err := r.next(&h); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("csvio: %s: %w", name, ErrEmptyFile)
		}
		return nil, err
	}
	if h.err != nil {
		return nil, h.err
	}
	r.header = make([]string, len(h.offs)/2)
	for i := range r.header {
		r.header[i] = string(h.field(i))
	}
	if r.want == 0 {
		r.want = len(r.header)
	}
	// The header is not a row.
	r.stats.Rows = 0
	return r, nil
}

// Header returns the header fields (nil without Options.Header). Do not
// modify it.
func (r *Reader) Header() []string { return r.header }

// Name is the file name given to NewReader.
func (r *Reader) Name() string { return r.name }

// Stats says how much has been consumed so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Bytes = r.total - int64(r.end-r.pos)
	return s
}

// Read returns the next record, or io.EOF after the last. A row with a
// problem is returned together with its *RowError (also in Row.Err): the
// row is still non-nil so its Raw can go to a rejected file, and reading
// can go on. Any other error (from the underlying reader) is fatal and
// comes with a nil row. The row and its slices are reused by the next Read.
func (r *Reader) Read() (*Row, error) {
	var rc rec
	if err := r.next(&rc); err != nil {
		return nil, err
	}
	row := &r.row
	row.Line, row.Raw, row.Err = rc.line, nil, rc.err
	if rc.raw != nil {
		// Capped, so that a caller's append cannot scribble on the buffer.
		row.Raw = rc.raw[:len(rc.raw):len(rc.raw)]
	}
	row.Fields = row.Fields[:0]
	for i := 0; i < len(rc.offs)/2; i++ {
		row.Fields = append(row.Fields, rc.field(i))
	}
	if len(rc.offs) == 0 {
		row.Fields = nil
	}
	if rc.err != nil {
		return row, rc.err
	}
	return row, nil
}

// next locates the next record. It returns io.EOF at the end and a non-nil
// error only for failures of the underlying reader; row problems are in
// rc.err.
func (r *Reader) next(rc *rec) error {
	for {
		if r.pos == r.end {
			if !r.eof {
				r.fill(1)
				if r.rerr != nil {
					return r.readErr()
				}
			}
			if r.pos == r.end {
				return io.EOF
			}
		}
		// Find the end of the physical line.
		nl := -1
		for {
			if i := bytes.IndexByte(r.buf[r.pos+r.searched:r.end], '\n'); i >= 0 {
				nl = r.pos + r.searched + i
				break
			}
			r.searched = r.end - r.pos
			if r.eof {
				break
			}
			if r.end-r.pos >= r.limit+2 {
				r.skipLongLine(rc)
				return nil
			}
			r.fill(r.end - r.pos + 1)
			if r.rerr != nil {
				return r.readErr()
			}
		}
		lineEnd, next := nl, nl+1
		if nl < 0 {
			lineEnd, next = r.end, r.end
		}
		raw := r.buf[r.pos:lineEnd]
		if n := len(raw); n > 0 && raw[n-1] == '\r' {
			raw = raw[:n-1]
		}
		if r.blank(raw) {
			r.consume(next, 1)
			r.stats.BlankLines++
			continue
		}
		*rc = rec{line: r.line}
		r.stats.Rows++
		if len(raw) > r.limit {
			rc.err = r.rowErr(r.line, 0, fmt.Errorf("%w: more than %d bytes", ErrRecordTooLong, r.limit))
			r.consume(next, 1)
			r.stats.Errors++
			return nil
		}
		if !r.ws && r.hasQuote(lineEnd) {
			clean, err := r.slowRecord(rc, nl)
			if err != nil {
				return err
			}
			r.check(rc, clean)
		} else {
			rc.raw = raw
			if r.ws {
				r.offs = splitWhitespace(r.offs[:0], raw)
			} else {
				r.offs = splitDelim(r.offs[:0], raw, r.delim)
			}
			rc.offs = r.offs
			clean := r.isClean(lineEnd)
			r.consume(next, 1)
			r.check(rc, clean)
		}
		if rc.err != nil {
			r.stats.Errors++
		}
		return nil
	}
}

// check applies the whole-row checks (binary, field count) to a record;
// clean says its bytes are already known to be NUL-free valid UTF-8.
func (r *Reader) check(rc *rec, clean bool) {
	if rc.err != nil {
		// A record whose syntax failed can still be binary garbage; say
		// that, it is the more useful reason.
		if rc.raw != nil && !errors.Is(rc.err, ErrRecordTooLong) {
			if off := binaryOffset(rc.raw); off >= 0 {
				line, col := position(rc.raw, off)
				rc.err = r.rowErr(rc.line+line, col, ErrBinary)
			}
		}
		return
	}
	if !clean {
		if off := binaryOffset(rc.raw); off >= 0 {
			line, col := position(rc.raw, off)
			rc.err = r.rowErr(rc.line+line, col, ErrBinary)
			return
		}
	}
	n := len(rc.offs) / 2
	switch {
	case r.want > 0 && n != r.want:
		rc.err = r.rowErr(rc.line, 0, fmt.Errorf("%w: want %d, got %d", ErrFieldCount, r.want, n))
	case r.want == 0:
		r.want = n
	}
}

func (r *Reader) rowErr(line int64, col int, err error) *RowError {
	return &RowError{File: r.name, Line: line, Column: col, Err: err}
}

func (r *Reader) readErr() error {
	return fmt.Errorf("csvio: reading %s after line %d: %w", r.name, r.line-1, r.rerr)
}

// consume drops buf[pos:next], which held lines physical lines.
func (r *Reader) consume(next int, lines int64) {
	r.pos = next
	r.searched = 0
	r.line += lines
	r.stats.Lines += lines
}

func (r *Reader) blank(raw []byte) bool {
	if !r.ws {
		return len(raw) == 0
	}
	for _, c := range raw {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// skipLongLine reports the current physical line as too long and discards it
// without buffering it: the buffer holds more than limit bytes and no '\n'.
func (r *Reader) skipLongLine(rc *rec) {
	*rc = rec{line: r.line}
	rc.err = r.rowErr(r.line, 0, fmt.Errorf("%w: more than %d bytes", ErrRecordTooLong, r.limit))
	r.stats.Rows++
	r.stats.Errors++
	for {
		if i := bytes.IndexByte(r.buf[r.pos:r.end], '\n'); i >= 0 {
			r.consume(r.pos+i+1, 1)
			return
		}
		r.pos = r.end
		if r.eof {
			r.consume(r.end, 1)
			return
		}
		r.fill(1)
		if r.rerr != nil {
			// The error surfaces on the next call; the long line is
			// accounted for.
			r.consume(r.pos, 1)
			return
		}
	}
}

// fill reads until at least want bytes are buffered after pos, or src ends
// or fails. Unconsumed bytes move to the front first.
func (r *Reader) fill(want int) {
	if r.eof || r.rerr != nil {
		return
	}
	want = min(want, r.maxBuf)
	if shift := r.pos; shift > 0 {
		r.end = copy(r.buf, r.buf[r.pos:r.end])
		r.pos = 0
		if r.qAt >= shift {
			r.qAt -= shift
		} else {
			r.qAt = -1
		}
		r.qScan = max(r.qScan-shift, 0)
		r.cleanEnd = max(r.cleanEnd-shift, 0)
		r.dirtyEnd = max(r.dirtyEnd-shift, 0)
	}
	if want > len(r.buf) {
		nb := make([]byte, min(max(2*len(r.buf), want), r.maxBuf))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	empty := 0
	for r.end < want {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		r.total += int64(n)
		if err == io.EOF {
			r.eof = true
			return
		}
		if err != nil {
			r.rerr = err
			return
		}
		if n == 0 {
			if empty++; empty >= 100 {
				r.rerr = io.ErrNoProgress
				return
			}
		}
	}
}

// hasQuote reports whether buf[pos:lineEnd] holds a '"'. Searching on to
// the end of the buffer once, instead of once per line, makes the common
// quote-free file pay one IndexByte pass per buffer.
func (r *Reader) hasQuote(lineEnd int) bool {
	if r.qAt >= r.pos {
		return r.qAt < lineEnd
	}
	start := r.pos
	if r.qAt < 0 && r.qScan > start {
		if r.qScan >= lineEnd {
			return false
		}
		start = r.qScan
	}
	if i := bytes.IndexByte(r.buf[start:r.end], '"'); i >= 0 {
		r.qAt = start + i
		r.qScan = start
		return r.qAt < lineEnd
	}
	r.qAt, r.qScan = -1, r.end
	return false
}

// isClean reports whether buf[pos:lineEnd] is known to be NUL-free valid
// UTF-8, checking everything buffered up to the last line end in one pass
// when it does not know yet.
func (r *Reader) isClean(lineEnd int) bool {
	if lineEnd <= r.cleanEnd {
		return true
	}
	if lineEnd <= r.dirtyEnd {
		return false
	}
	stop := r.end
	if !r.eof {
		stop = r.pos + bytes.LastIndexByte(r.buf[r.pos:r.end], '\n') + 1
	}
	if stop < lineEnd {
		stop = lineEnd
	}
	// Starting at pos (a line start) and stopping at a line end keeps the
	// window from splitting a UTF-8 sequence.
	chunk := r.buf[r.pos:stop]
	if bytes.IndexByte(chunk, 0) < 0 && utf8.Valid(chunk) {
		r.cleanEnd = stop
		return true
	}
	r.dirtyEnd = stop
	return false
}

// splitDelim appends the bounds of raw's fields, split at every delim.
func splitDelim(offs []int, raw []byte, delim byte) []int {
	start := 0
	for {
		i := bytes.IndexByte(raw[start:], delim)
		if i < 0 {
			return append(offs, start, len(raw))
		}
		offs = append(offs, start, start+i)
		start += i + 1
	}
}

// splitWhitespace appends the bounds of raw's runs of non-blank bytes.
func splitWhitespace(offs []int, raw []byte) []int {
	i, n := 0, len(raw)
	for {
		for i < n && (raw[i] == ' ' || raw[i] == '\t') {
			i++
		}
		if i == n {
			return offs
		}
		s := i
		for i < n && raw[i] != ' ' && raw[i] != '\t' {
			i++
		}
		offs = append(offs, s, i)
	}
}

// binaryOffset returns the offset of the first NUL byte, or of the first
// invalid UTF-8 byte when the row is both invalid UTF-8 and at least 1/16
// control bytes, or -1. Text in a legacy encoding (GBK, Latin-1) is invalid
// UTF-8 but has no control bytes, so it passes: the caller's normaliser
// decides about it.
func binaryOffset(raw []byte) int {
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		return i
	}
	if utf8.Valid(raw) {
		return -1
	}
	ctrl := 0
	for _, c := range raw {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			ctrl++
		}
	}
	if ctrl == 0 || ctrl*16 < len(raw) {
		return -1
	}
	for i := 0; i < len(raw); {
		ru, size := utf8.DecodeRune(raw[i:])
		if ru == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// position turns an offset in a record into a line delta from the record's
// first line and a 1-based byte column.
func position(raw []byte, off int) (line int64, col int) {
	before := raw[:off]
	line = int64(bytes.Count(before, []byte{'\n'}))
	return line, off - bytes.LastIndexByte(before, '\n')
}
