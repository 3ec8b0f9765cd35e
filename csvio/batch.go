package csvio

import (
	"bytes"
	"io"
)

// batchArenaLimit stops a batch early when its rows are big, so that a batch
// of max huge records does not hold max×MaxRecordBytes, and so uint32
// offsets cannot overflow.
const batchArenaLimit = 32 << 20

// Batch holds rows whose bytes it owns (one arena plus offsets), so a batch
// can be handed to another goroutine while the reader goes on. Reuse it with
// Reset (ReadBatch resets it) to keep allocations flat.
type Batch struct {
	arena []byte
	offs  []uint32 // field bounds as start,end pairs into arena
	rows  []batchRow
}

type batchRow struct {
	line       int64
	err        *RowError
	raw0, raw1 uint32 // raw0 == raw1: no Raw (a record too long to keep)
	f0, nf     uint32 // fields are offs[2*f0 : 2*(f0+nf)]
}

// BatchRow is one row of a Batch. Its slices stay valid until the batch is
// reset or refilled.
type BatchRow struct {
	Line  int64     // 1-based line where the record starts
	Raw   []byte    // exact record bytes without terminator; nil for a line too long to keep
	Err   *RowError // nil for a good row
	arena []byte
	offs  []uint32
}

// NumFields is the number of fields; 0 for rows whose syntax failed.
func (r BatchRow) NumFields() int { return len(r.offs) / 2 }

// Field returns field i (0-based), unquoted.
func (r BatchRow) Field(i int) []byte {
	s, e := r.offs[2*i], r.offs[2*i+1]
	return r.arena[s:e:e]
}

// Len is the number of rows in the batch.
func (b *Batch) Len() int { return len(b.rows) }

// Row returns row i (0-based).
func (b *Batch) Row(i int) BatchRow {
	br := &b.rows[i]
	row := BatchRow{Line: br.line, Err: br.err, arena: b.arena}
	if br.raw1 > br.raw0 {
		row.Raw = b.arena[br.raw0:br.raw1:br.raw1]
	}
	row.offs = b.offs[2*br.f0 : 2*(br.f0+br.nf)]
	return row
}

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	b.arena = b.arena[:0]
	b.offs = b.offs[:0]
	b.rows = b.rows[:0]
}

// DefaultBatchRows is the batch size ReadBatch uses when max <= 0.
const DefaultBatchRows = 4096

// ReadBatch resets b and fills it with up to max rows (DefaultBatchRows
// when max <= 0), fewer when they are big. Rows with problems are included,
// marked with their *RowError, so counts stay exact. It returns io.EOF only
// when no row was added because the input is exhausted. Any other error is
// fatal (the underlying reader failed); b then holds the rows read before
// it. It gives exactly the rows Read would.
func (r *Reader) ReadBatch(b *Batch, max int) error {
	b.Reset()
	if max <= 0 {
		max = DefaultBatchRows
	}
	r.reserve(b, max)
	var rc rec
	for len(b.rows) < max && len(b.arena) < batchArenaLimit {
		if !r.ws {
			r.batchFast(b, max)
			if len(b.rows) >= max || len(b.arena) >= batchArenaLimit {
				break
			}
		}
		if err := r.next(&rc); err != nil {
			if err == io.EOF && len(b.rows) > 0 {
				return nil
			}
			return err
		}
		b.add(&rc)
	}
	return nil
}

// Reservation bounds: rows and offsets are reserved for at most
// maxReserveRows rows, the arena for at most batchArenaLimit bytes.
const maxReserveRows = 1 << 20

// reserve gives b room for max rows of the size seen so far before the
// batch is filled, in one allocation per slice. Grown by append instead, a
// fresh batch reallocates its arena, offsets and rows a dozen times on the
// way to a few MB each (1.25× steps for big slices): every step is fresh
// memory, and on the VMs hush runs on each first touch of a page is a
// fault costing ≈ 8 µs, which made growslice 0.8 CPU-s of a 10M-row
// scrub's reader. A reservation costs nothing for pages a batch never
// touches, so it is sized with some slack; a batch bigger than that still
// grows by append.
func (r *Reader) reserve(b *Batch, max int) {
	rows := min(max, maxReserveRows)
	perRow, fields := r.rowShape()
	if cap(b.rows) < rows {
		b.rows = make([]batchRow, 0, rows)
	}
	if n := 2 * fields * rows; cap(b.offs) < n {
		b.offs = make([]uint32, 0, n)
	}
	// Reallocated only when the estimate itself does not fit, and then
	// with slack, so that a slow drift of row sizes does not reallocate
	// every batch.
	if need := min(rows*perRow, batchArenaLimit); cap(b.arena) < need {
		b.arena = make([]byte, 0, min(need+need/8+4096, batchArenaLimit))
	}
}

// rowShape estimates bytes (terminator included) and fields per row: from
// the rows read so far, or before the first, from the lines buffered now.
func (r *Reader) rowShape() (perRow, fields int) {
	fields = r.want
	if fields <= 0 {
		fields = 8
	}
	if st := r.Stats(); st.Rows > 0 {
		return int(st.Bytes/st.Lines) + 1, fields
	}
	buffered := r.buf[r.pos:r.end]
	if n := bytes.Count(buffered, []byte{'\n'}); n > 0 {
		return len(buffered)/n + 1, fields
	}
	return 64, fields
}

func (b *Batch) add(rc *rec) {
	base := uint32(len(b.arena))
	b.arena = append(b.arena, rc.raw...)
	br := batchRow{
		line: rc.line,
		err:  rc.err,
		raw0: base,
		raw1: base + uint32(len(rc.raw)),
		f0:   uint32(len(b.offs) / 2),
		nf:   uint32(len(rc.offs) / 2),
	}
	if len(rc.offs) > 0 {
		// Offsets past raw point into scratch, which goes right after it.
		b.arena = append(b.arena, rc.scratch...)
	}
	for _, o := range rc.offs {
		b.offs = append(b.offs, base+uint32(o))
	}
	b.rows = append(b.rows, br)
}

// batchFast takes rows straight off the buffer while they are the easy
// kind: a whole record already buffered, not blank, within the limit,
// without quote trouble, NUL-free valid UTF-8, with the right field count.
// Their bytes go into the arena as one span copy; a record with unescaped
// fields closes the span with its scratch right after its raw, which is
// where its offsets past raw expect it. It stops at the first other line,
// which next then handles.
func (r *Reader) batchFast(b *Batch, max int) {
	if r.searched != 0 || r.want == 0 {
		return
	}
	start := r.pos // the span buf[start:pos] is not copied yet
	buf := r.buf[:r.end]
	// Arena offset of buf[i] is base+i for i in the span (wrapping uint32
	// arithmetic).
	base := uint32(len(b.arena)) - uint32(start)
	pos := start
	for len(b.rows) < max && len(b.arena)+pos-start < batchArenaLimit {
		i := bytes.IndexByte(buf[pos:], '\n')
		if i < 0 {
			break
		}
		nl := pos + i
		rawEnd := nl
		if rawEnd > pos && buf[rawEnd-1] == '\r' {
			rawEnd--
		}
		if rawEnd == pos || rawEnd-pos > r.limit {
			break
		}
		next, lines := nl+1, int64(1)
		f0 := len(b.offs)
		scratch := false
		if r.hasQuote(nl) {
			st, end, nx, junk := r.parseQuoted(nl - pos)
			if st != qDone || junk >= 0 || end > r.limit {
				break
			}
			rawEnd, next = pos+end, pos+nx
			if next > nl+1 {
				lines += int64(bytes.Count(buf[nl:rawEnd], []byte{'\n'}))
				if r.maxLines > 0 && lines > r.maxLines {
					break
				}
			}
			for _, o := range r.offs {
				b.offs = append(b.offs, base+uint32(pos+o))
			}
			scratch = len(r.scratch) > 0
		} else {
			b.offs = splitDelim32(b.offs, buf[pos:rawEnd], r.delim, base+uint32(pos))
		}
		nf := (len(b.offs) - f0) / 2
		if (r.want > 0 && nf != r.want) || !r.isClean(rawEnd) {
			b.offs = b.offs[:f0]
			break
		}
		b.rows = append(b.rows, batchRow{
			line: r.line,
			raw0: base + uint32(pos),
			raw1: base + uint32(rawEnd),
			f0:   uint32(f0 / 2),
			nf:   uint32(nf),
		})
		if scratch {
			b.arena = append(b.arena, buf[start:rawEnd]...)
			b.arena = append(b.arena, r.scratch...)
			start = next
			base = uint32(len(b.arena)) - uint32(start)
		}
		pos = next
		r.pos = pos
		r.line += lines
		r.stats.Lines += lines
		r.stats.Rows++
	}
	b.arena = append(b.arena, buf[start:pos]...)
}

// splitDelim32 is splitDelim writing arena offsets (base added).
func splitDelim32(offs []uint32, raw []byte, delim byte, base uint32) []uint32 {
	start := 0
	for {
		i := bytes.IndexByte(raw[start:], delim)
		if i < 0 {
			return append(offs, base+uint32(start), base+uint32(len(raw)))
		}
		offs = append(offs, base+uint32(start), base+uint32(start+i))
		start += i + 1
	}
}

// Lines returns rows i..j-1 (0 <= i <= j <= Len) as one slice of the
// batch's memory, each row's Raw followed by '\n', when they lie so in
// the arena: consecutive good rows of a file with LF line ends, taken
// from the buffer as one span. It returns nil otherwise (a CRLF line
// end, a row with unescaped fields or without Raw, an empty range). A
// writer then puts a run of rows out with one copy instead of one call
// per row; the bytes are those WriteRaw would write row by row.
func (b *Batch) Lines(i, j int) []byte {
	if i >= j {
		return nil
	}
	rows := b.rows[i:j]
	start := rows[0].raw0
	at := start
	for k := range rows {
		br := &rows[k]
		if br.raw0 != at || br.raw1 <= br.raw0 || int(br.raw1) >= len(b.arena) || b.arena[br.raw1] != '\n' {
			return nil
		}
		at = br.raw1 + 1
	}
	return b.arena[start:at:at]
}

// Field returns field col (0-based) of row i, unquoted: Row(i).Field(col)
// without building the row. col must be below the row's NumFields.
func (b *Batch) Field(i, col int) []byte {
	br := &b.rows[i]
	if uint32(col) >= br.nf {
		panic("csvio: Batch.Field: column out of range")
	}
	o := 2 * (br.f0 + uint32(col))
	s, e := b.offs[o], b.offs[o+1]
	return b.arena[s:e:e]
}

// RowInfo returns the line and the error of row i, without building the row.
func (b *Batch) RowInfo(i int) (line int64, err *RowError) {
	br := &b.rows[i]
	return br.line, br.err
}
