package csvio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// NDJSONReader reads newline-delimited JSON objects (one per line) as rows
// whose fields are the values of the keys it was given, in that order: a
// string is unquoted, a number, true/false is its literal text, null or an
// absent key an empty field. A line that is not a JSON object is a row
// with a *RowError (ErrBadJSON), so callers can reject it with its line
// like any other bad row. Keys match case-insensitively.
type NDJSONReader struct {
	br    *bufio.Reader
	name  string
	keys  []string
	line  int64
	stats Stats
	limit int

	fields [][]byte
	arena  []byte
	row    NDJSONRow
}

// ErrBadJSON marks a line that is not one JSON object.
var ErrBadJSON = errors.New("not a JSON object")

// NDJSONRow is one line. Its slices are valid until the next Read.
type NDJSONRow struct {
	Line   int64
	Raw    []byte
	Err    *RowError
	fields [][]byte
}

// NumFields is the number of keys asked for; 0 for a bad line.
func (r *NDJSONRow) NumFields() int { return len(r.fields) }

// Field returns the value of key i.
func (r *NDJSONRow) Field(i int) []byte { return r.fields[i] }

// NewNDJSONReader reads src; name is used in errors.
func NewNDJSONReader(src io.Reader, name string, keys []string, maxRecordBytes int) *NDJSONReader {
	if maxRecordBytes <= 0 {
		maxRecordBytes = DefaultMaxRecordBytes
	}
	lk := make([]string, len(keys))
	for i, k := range keys {
		lk[i] = strings.ToLower(k)
	}
	return &NDJSONReader{br: bufio.NewReaderSize(src, 256<<10), name: name, keys: lk, limit: maxRecordBytes}
}

// Name is the input's name.
func (r *NDJSONReader) Name() string { return r.name }

// Stats counts what was read so far.
func (r *NDJSONReader) Stats() Stats { return r.stats }

// Read returns the next non-blank line, or io.EOF.
func (r *NDJSONReader) Read() (*NDJSONRow, error) {
	for {
		line, err := r.br.ReadSlice('\n')
		long := false
		for errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: keep it up to the limit.
			if len(r.arena) == 0 {
				r.arena = append(r.arena[:0], line...)
			} else {
				r.arena = append(r.arena, line...)
			}
			if len(r.arena) > r.limit {
				long = true
			}
			line, err = r.br.ReadSlice('\n')
			if !errors.Is(err, bufio.ErrBufferFull) {
				r.arena = append(r.arena, line...)
				line = r.arena
				r.arena = r.arena[:0]
			}
		}
		if len(line) == 0 && err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
		r.line++
		r.stats.Lines++
		r.stats.Bytes += int64(len(line))
		if r.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		raw := bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(raw)) == 0 {
			r.stats.BlankLines++
			if err == io.EOF {
				return nil, io.EOF
			}
			continue
		}
		r.stats.Rows++
		r.row = NDJSONRow{Line: r.line, Raw: raw}
		if long {
			r.row.Raw = nil
			r.row.Err = &RowError{File: r.name, Line: r.line, Err: ErrRecordTooLong}
			r.stats.Errors++
			return &r.row, nil
		}
		if perr := r.parse(raw); perr != nil {
			r.row.Err = &RowError{File: r.name, Line: r.line, Err: perr}
			r.stats.Errors++
			return &r.row, nil
		}
		r.row.fields = r.fields
		return &r.row, nil
	}
}

func (r *NDJSONReader) parse(raw []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	if obj == nil {
		return ErrBadJSON
	}
	lower := make(map[string]json.RawMessage, len(obj))
	for k, v := range obj {
		lower[strings.ToLower(k)] = v
	}
	r.fields = r.fields[:0]
	for _, k := range r.keys {
		v, ok := lower[k]
		v = bytes.TrimSpace(v)
		switch {
		case !ok || len(v) == 0 || string(v) == "null":
			r.fields = append(r.fields, nil)
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("%w: key %q: %v", ErrBadJSON, k, err)
			}
			r.fields = append(r.fields, []byte(s))
		case v[0] == '{' || v[0] == '[':
			return fmt.Errorf("%w: key %q holds an object or array, want a string or number", ErrBadJSON, k)
		default:
			r.fields = append(r.fields, append([]byte(nil), v...))
		}
	}
	return nil
}
