package csvio

import (
	"errors"
	"fmt"
	"strings"
)

// Row-level errors (wrapped in *RowError) and file-level errors. Branch on
// them with errors.Is.
var (
	// ErrUnbalancedQuote: a quoted field never closes, or a record that
	// spans lines is malformed; the row is cut back to its first line.
	ErrUnbalancedQuote = errors.New("unbalanced quote")
	// ErrExtraneousQuote: a quoted field is followed by something other
	// than a delimiter or the end of the record ("abc"def).
	ErrExtraneousQuote = errors.New("extraneous quote after quoted field")
	// ErrFieldCount: a ragged row; the wrapping error says want N, got M.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrRecordTooLong: the record is longer than Options.MaxRecordBytes.
	ErrRecordTooLong = errors.New("record too long")
	// ErrBinary: the row holds NUL bytes, or is invalid UTF-8 thick with
	// control bytes: not text in any encoding.
	ErrBinary = errors.New("binary data")
	// ErrEmptyFile: Header was requested but the input has no record.
	ErrEmptyFile = errors.New("empty file")
	// ErrMissingColumn: a mapped column is not in the header (or a column
	// number is out of range).
	ErrMissingColumn = errors.New("missing column")
	// ErrBadMapping: a column mapping spec that cannot be parsed, names a
	// field that is not allowed, or matches several header columns.
	ErrBadMapping = errors.New("bad column mapping")
)

// RowError is a problem with one row. The reader goes on after it.
type RowError struct {
	File string
	// Line is the 1-based line of the problem. For a record spanning
	// several lines it can be after the line where the record starts.
	Line int64
	// Column is the 1-based byte column within Line for syntax problems
	// (quotes, binary); 0 when the problem is the whole row.
	Column int
	Err    error
}

func (e *RowError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// MissingColumnError says which mapped column is not in a file's header.
type MissingColumnError struct {
	File   string   // may be empty when the header did not come from a Reader
	Field  string   // hush's field name, the mapping's key ("phone")
	Column string   // what the mapping asked for ("Tel" or "7")
	Header []string // the header that was searched
}

func (e *MissingColumnError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if isNumber(e.Column) {
		fmt.Fprintf(&b, "column %s (for %s) is out of range: the file has %d columns", e.Column, e.Field, len(e.Header))
	} else {
		fmt.Fprintf(&b, "column %q (for %s) not found", e.Column, e.Field)
	}
	if e.Header != nil {
		fmt.Fprintf(&b, "; header: %s", strings.Join(e.Header, ", "))
	}
	return b.String()
}

func (e *MissingColumnError) Unwrap() error { return ErrMissingColumn }
