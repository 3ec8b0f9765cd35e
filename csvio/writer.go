package csvio

import (
	"bufio"
	"encoding/binary"
	"io"
	"strings"
)

const writerBufSize = 1 << 20

// Writer writes CSV records, buffered. Errors are sticky: after one, every
// call returns it. Call Flush at the end.
type Writer struct {
	bw    *bufio.Writer
	delim byte
}

// NewWriter writes comma-separated records to w through a 1 MiB buffer.
func NewWriter(w io.Writer) *Writer { return NewWriterDelim(w, ',') }

// NewWriterDelim is NewWriter with another delimiter (use the input's, so
// that a rejected file can be read back like the original).
func NewWriterDelim(w io.Writer, delim byte) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, writerBufSize), delim: delim}
}

// WriteRaw writes raw (a Row's Raw) and a '\n'.
func (w *Writer) WriteRaw(raw []byte) error {
	// Appending to AvailableBuffer builds the line in place when it fits.
	_, err := w.bw.Write(append(append(w.bw.AvailableBuffer(), raw...), '\n'))
	return err
}

// WriteRecord writes fields as one record, quoting those that need it
// (RFC 4180), and a '\n'.
func (w *Writer) WriteRecord(fields ...[]byte) error {
	b := w.bw.AvailableBuffer()
	for i, f := range fields {
		if i > 0 {
			b = append(b, w.delim)
		}
		b = appendField(b, f, w.delim)
	}
	// A lone empty field would be a blank line, which readers skip.
	if len(fields) == 1 && len(fields[0]) == 0 {
		b = append(b, '"', '"')
	}
	b = append(b, '\n')
	_, err := w.bw.Write(b)
	return err
}

// WriteRawWith writes raw followed by the extra fields (quoted as needed)
// and a '\n': the original row plus reasons, for suppressed and rejected
// outputs. A nil raw (a record too long to keep) leaves the first field
// empty.
func (w *Writer) WriteRawWith(raw []byte, extra ...string) error {
	b := append(w.bw.AvailableBuffer(), raw...)
	for _, f := range extra {
		b = append(b, w.delim)
		b = appendField(b, f, w.delim)
	}
	b = append(b, '\n')
	_, err := w.bw.Write(b)
	return err
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.bw.Flush() }

// appendField appends f, quoted when needsQuotes says so.
func appendField[T string | []byte](b []byte, f T, delim byte) []byte {
	var quote bool
	switch v := any(f).(type) {
	case []byte:
		quote = needsQuotes(v, delim)
	case string:
		quote = needsQuotesString(v, delim)
	}
	if !quote {
		return append(b, f...)
	}
	b = append(b, '"')
	for i := 0; i < len(f); i++ {
		if f[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, f[i])
	}
	return append(b, '"')
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// needsQuotes reports whether f holds the delimiter, a quote, CR or LF, or
// starts with a UTF-8 BOM (which a reader would strip at the start of a
// file). It tests eight bytes at a time: writing clean lists is hot too.
func needsQuotes(f []byte, delim byte) bool {
	if len(f) >= 3 && f[0] == 0xEF && f[1] == 0xBB && f[2] == 0xBF {
		return true
	}
	d := uint64(delim) * ones
	i := 0
	for ; i+8 <= len(f); i += 8 {
		x := binary.LittleEndian.Uint64(f[i:])
		if hasZeroByte(x^d)|hasZeroByte(x^('"'*ones))|hasZeroByte(x^('\n'*ones))|hasZeroByte(x^('\r'*ones)) != 0 {
			return true
		}
	}
	for ; i < len(f); i++ {
		switch f[i] {
		case delim, '"', '\n', '\r':
			return true
		}
	}
	return false
}

func needsQuotesString(f string, delim byte) bool {
	if strings.HasPrefix(f, "\ufeff") {
		return true
	}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case delim, '"', '\n', '\r':
			return true
		}
	}
	return false
}

// hasZeroByte is non-zero exactly when some byte of x is zero.
func hasZeroByte(x uint64) uint64 { return (x - ones) &^ x & highs }

// WriteLines writes lines as they are: whole records, each already ending
// in '\n' (what Batch.Lines returns).
func (w *Writer) WriteLines(lines []byte) error {
	_, err := w.bw.Write(lines)
	return err
}
