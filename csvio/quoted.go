package csvio

import (
	"bytes"
	"fmt"
	"math"
)

type qstatus uint8

const (
	qDone     qstatus = iota
	qMore             // the buffered bytes end inside the record
	qUnclosed         // the input ends inside a quoted field
	qJunk             // a record spanning lines has junk after a closing quote
)

// slowRecord parses the record at buf[pos] with the RFC 4180 state machine.
// firstNL is the offset of the record's first '\n' (-1: none before EOF).
// clean says the record is known to be NUL-free valid UTF-8.
func (r *Reader) slowRecord(rc *rec, firstNL int) (clean bool, err error) {
	fnl := -1
	if firstNL >= 0 {
		fnl = firstNL - r.pos
	}
	for {
		st, rawEnd, next, junk := r.parseQuoted(fnl)
		switch st {
		case qMore:
			if r.end-r.pos >= r.limit+2 {
				if r.qOpen >= 0 {
					r.cutBack(rc, fnl, ErrUnbalancedQuote)
				} else {
					r.cutBack(rc, fnl, ErrRecordTooLong)
				}
				return clean, nil
			}
			// Parsing restarts from the record's start, so ask for twice
			// as much each time: the rescans then cost O(record) in all.
			r.fill(min(2*(r.end-r.pos), r.limit+2))
			if r.rerr != nil {
				return false, r.readErr()
			}
		case qDone:
			if rawEnd > r.limit {
				r.cutBack(rc, fnl, ErrRecordTooLong)
				return clean, nil
			}
			raw := r.buf[r.pos : r.pos+rawEnd]
			lines := int64(1)
			if fnl >= 0 && fnl < rawEnd {
				lines += int64(bytes.Count(raw, []byte{'\n'}))
			}
			if r.maxLines > 0 && lines > r.maxLines {
				r.cutBack(rc, fnl, ErrUnbalancedQuote)
				return clean, nil
			}
			rc.raw, rc.offs, rc.scratch = raw, r.offs, r.scratch
			clean = r.isClean(r.pos + rawEnd)
			if junk >= 0 {
				line, col := position(raw, junk)
				rc.err = r.rowErr(rc.line+line, col, ErrExtraneousQuote)
			}
			r.consume(r.pos+next, lines)
			return clean, nil
		case qUnclosed:
			if fnl < 0 {
				raw := r.buf[r.pos:r.end]
				if n := len(raw); n > 0 && raw[n-1] == '\r' {
					raw = raw[:n-1]
				}
				rc.raw = raw
				rc.err = r.rowErr(rc.line, r.qOpen+1, ErrUnbalancedQuote)
				r.consume(r.end, 1)
				return clean, nil
			}
			r.cutBack(rc, fnl, ErrUnbalancedQuote)
			return clean, nil
		case qJunk:
			r.cutBack(rc, fnl, ErrUnbalancedQuote)
			return clean, nil
		}
	}
}

// cutBack reports a malformed record that spans lines as just its first
// line, and resumes at the second: a stray quote then costs one row, and
// the lines after it are parsed again on their own.
func (r *Reader) cutBack(rc *rec, fnl int, kind error) {
	raw := r.buf[r.pos : r.pos+fnl]
	if n := len(raw); n > 0 && raw[n-1] == '\r' {
		raw = raw[:n-1]
	}
	rc.raw, rc.offs = raw, nil
	if kind == ErrRecordTooLong {
		rc.err = r.rowErr(rc.line, 0, fmt.Errorf("%w: more than %d bytes", ErrRecordTooLong, r.limit))
	} else {
		// The quote that made the record span its first line is on that
		// line: the first quoted field holding a newline, or else the one
		// still open.
		q := r.qCross
		if q < 0 {
			q = r.qOpen
		}
		rc.err = r.rowErr(rc.line, q+1, kind)
	}
	r.consume(r.pos+fnl+1, 1)
}

// parseQuoted runs the RFC 4180 state machine over buf[pos:end]. On qDone
// the fields are in r.offs (see rec: bounds into raw, or past it into
// r.scratch for fields that had to be unescaped), rawEnd is where the
// record's bytes end (before its terminator), next is where the following
// record starts, and junk is the offset of the first byte after a closing
// quote that was neither a delimiter nor a terminator (-1 if none). Offsets
// are relative to pos.
//
// fnl is the offset of the record's first '\n' (-1: none). Outside quotes a
// newline ends the record, so the first quoted segment reaching past fnl is
// the one holding it: that spares a newline search per quoted field.
func (r *Reader) parseQuoted(fnl int) (st qstatus, rawEnd, next, junk int) {
	if fnl < 0 {
		fnl = math.MaxInt
	}
	// The parser never looks past limit+2 bytes, so whether a long record
	// is "too long" or "unbalanced" does not depend on how much happened to
	// be buffered.
	data := r.buf[r.pos:r.end]
	more := !r.eof
	if len(data) > r.limit+2 {
		data, more = data[:r.limit+2], true
	}
	delim := r.delim
	r.scratch = r.scratch[:0]
	r.offs = r.offs[:0]
	r.qOpen, r.qCross = -1, -1
	junk = -1
	// Scratch bounds are stored as -(offset+1) until rawEnd is known.
	usedScratch := false
	done := func(rawEnd, next int) (qstatus, int, int, int) {
		if usedScratch {
			for k, v := range r.offs {
				if v < 0 {
					r.offs[k] = rawEnd - v - 1
				}
			}
		}
		return qDone, rawEnd, next, junk
	}
	i := 0
	for {
		// fs >= 0: the current field is being unescaped into scratch from
		// fs on; -1: it is a span of raw.
		fs := -1
		s := i // start of the field's value in raw
		if i < len(data) && data[i] == '"' {
			open := i
			r.qOpen = open
			i++
			s = i
			for {
				j := bytes.IndexByte(data[i:], '"')
				if j < 0 {
					if more {
						return qMore, 0, 0, -1
					}
					return qUnclosed, 0, 0, -1
				}
				seg := data[i : i+j]
				if r.qCross < 0 && i+j > fnl {
					r.qCross = open
				}
				if fs >= 0 {
					r.scratch = append(r.scratch, seg...)
				}
				i += j + 1
				if i == len(data) {
					if more {
						return qMore, 0, 0, -1
					}
					break
				}
				if data[i] != '"' {
					break
				}
				// A doubled quote: from here on the value differs from raw.
				if fs < 0 {
					fs = len(r.scratch)
					usedScratch = true
					r.scratch = append(r.scratch, data[s:i-1]...)
				}
				r.scratch = append(r.scratch, '"')
				i++
			}
			r.qOpen = -1
			closeQ := i - 1
			emit := func() {
				if fs >= 0 {
					r.offs = append(r.offs, -fs-1, -len(r.scratch)-1)
				} else {
					r.offs = append(r.offs, s, closeQ)
				}
			}
			if i == len(data) {
				emit()
				return done(i, i)
			}
			switch c := data[i]; {
			case c == delim:
				emit()
				i++
				continue
			case c == '\n':
				emit()
				return done(i, i+1)
			case c == '\r' && i+1 == len(data):
				if more {
					return qMore, 0, 0, -1
				}
				emit()
				return done(i, i+1)
			case c == '\r' && data[i+1] == '\n':
				emit()
				return done(i, i+2)
			}
			// Junk after a closing quote. Across lines it most likely means
			// the quote that opened the span was stray: give up on the
			// record. On one line keep the rest of the field as data and
			// flag the row.
			if r.qCross >= 0 {
				return qJunk, 0, 0, -1
			}
			if junk < 0 {
				junk = i
			}
			if fs < 0 {
				fs = len(r.scratch)
				usedScratch = true
				r.scratch = append(r.scratch, data[s:closeQ]...)
			}
		}
		// Unquoted field, or the rest of a field after junk: it runs to the
		// next delimiter or line end; quotes in it are data.
		u := i
		for i < len(data) && data[i] != delim && data[i] != '\n' {
			i++
		}
		if i == len(data) && more {
			return qMore, 0, 0, -1
		}
		e := i
		atDelim := i < len(data) && data[i] == delim
		if !atDelim && e > u && data[e-1] == '\r' {
			e--
		}
		if fs >= 0 {
			r.scratch = append(r.scratch, data[u:e]...)
			r.offs = append(r.offs, -fs-1, -len(r.scratch)-1)
		} else {
			r.offs = append(r.offs, s, e)
		}
		if atDelim {
			i++
			continue
		}
		// End of record: '\n' at i, or the end of the input.
		if i == len(data) {
			return done(e, i)
		}
		return done(e, i+1)
	}
}
