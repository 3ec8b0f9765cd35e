package purchases

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/rfm"
)

// The block reader is the fast path for delimited files: the reader
// goroutine only cuts the input into blocks of whole records (a newline
// outside quotes) and counts their lines; workers split and parse whole
// blocks in parallel. A block without quotes and with clean UTF-8 (the
// usual export) is split in one pass per line, parsing fields in place; any
// other block goes through csvio, which knows quoting, so results are the
// same as the csvio path, only faster.

const blockSize = 1 << 20

type block struct {
	seq      int
	data     []byte // whole records
	line     int64  // line number of data's first line
	bytes    int64  // input consumed up to the end of this block
	noQuotes bool   // the reader saw no quote in data (false: unknown)
}

// readBlocks reads src after the header (hdrLines lines, hdrBytes bytes
// consumed) and feeds handle with chunks in order.
//
// With mapped (the rest of a mapped file) the blocks are cut from it in
// place, nothing is copied; a memory fault in a goroutine reading it (the
// file truncated meanwhile) stops the read with ErrFileChanged.
func readBlocks(in io.Reader, mapped []byte, startLine, startBytes int64, nfields int, src *Source, parser *rfm.RowParser, contentKeys bool, handle func(*Chunk) error) error {
	delim := src.CSV.Delimiter
	if delim == 0 {
		delim = ','
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	todo := make(chan *block, workers)
	done := make(chan *Chunk, workers)
	stop := make(chan struct{})
	bufs := sync.Pool{New: func() any { return make([]byte, 0, blockSize+64<<10) }}
	chunks := sync.Pool{New: func() any { return new(Chunk) }}
	var readErr error
	var faultMu sync.Mutex
	var faultErr error
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	// guard turns a fault reading mapped memory into faultErr.
	guard := func() {
		if mapped == nil {
			return
		}
		if r := recover(); r != nil {
			if !isFault(r) {
				panic(r)
			}
			faultMu.Lock()
			faultErr = fmt.Errorf("%s: %w: %v", src.Path, ErrFileChanged, r)
			faultMu.Unlock()
			halt()
		}
	}
	go func() {
		defer close(todo)
		if mapped != nil {
			debug.SetPanicOnFault(true)
			defer guard()
			cutMapped(mapped, startLine, startBytes, src, todo, stop)
			return
		}
		var carry []byte
		line, consumed := startLine, startBytes
		for seq := 0; ; seq++ {
			buf := bufs.Get().([]byte)[:0]
			buf = append(buf, carry...)
			eof := false
			for len(buf) < blockSize && !eof {
				if cap(buf)-len(buf) < 64<<10 {
					buf = append(buf[:cap(buf)], 0)[:len(buf)]
				}
				n, err := in.Read(buf[len(buf):cap(buf)])
				buf = buf[:len(buf)+n]
				if err == io.EOF {
					eof = true
				} else if err != nil {
					readErr = err
					return
				}
			}
			cut := len(buf)
			if !eof {
				cut = safeCut(buf)
				for cut < 0 && !eof {
					// One record longer than the block: read on.
					if len(buf) > src.maxRecord()+blockSize {
						cut = bytes.LastIndexByte(buf, '\n') + 1
						break
					}
					more := make([]byte, 64<<10)
					n, err := in.Read(more)
					buf = append(buf, more[:n]...)
					if err == io.EOF {
						eof = true
						cut = len(buf)
					} else if err != nil {
						readErr = err
						return
					} else {
						cut = safeCut(buf)
					}
				}
				if cut <= 0 {
					cut = len(buf)
				}
			}
			carry = append(carry[:0], buf[cut:]...)
			data := buf[:cut]
			consumed += int64(len(data))
			if len(data) > 0 {
				select {
				case todo <- &block{seq: seq, data: data, line: line, bytes: consumed}:
				case <-stop:
					return
				}
				line += int64(bytes.Count(data, []byte{'\n'}))
			} else {
				seq--
			}
			if eof && len(carry) == 0 {
				return
			}
			if eof {
				// The rest is one unterminated record.
				buf := append(bufs.Get().([]byte)[:0], carry...)
				carry = carry[:0]
				consumed += int64(len(buf))
				select {
				case todo <- &block{seq: seq + 1, data: buf, line: line, bytes: consumed}:
				case <-stop:
				}
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if mapped != nil {
				debug.SetPanicOnFault(true)
				defer guard()
			}
			for b := range todo {
				ch := chunks.Get().(*Chunk)
				ch.seq, ch.Bytes, ch.Rows, ch.Events, ch.Rejects, ch.block = b.seq, b.bytes, 0, ch.Events[:0], ch.Rejects[:0], b.data
				if want := len(b.data)/24 + 64; cap(ch.Events) < want {
					ch.Events = make([]rfm.Event, 0, want)
				}
				parseBlock(b, ch, nfields, delim, src, parser, contentKeys)
				ch.IDs, ch.Found = ch.IDs[:0], ch.Found[:0]
				if src.Resolve != nil {
					n := len(ch.Events)
					ch.keys = ch.keys[:0]
					for i := range ch.Events {
						ch.keys = append(ch.keys, ch.Events[i].Customer)
					}
					ch.IDs, ch.Found = slices.Grow(ch.IDs, n)[:n], slices.Grow(ch.Found, n)[:n]
					src.Resolve.LookupKeys(ch.keys, ch.IDs, ch.Found)
				}
				done <- ch
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	pending := map[int]*Chunk{}
	next := 0
	var sinkErr error
	for ch := range done {
		if sinkErr != nil {
			continue
		}
		pending[ch.seq] = ch
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err := handle(c); err != nil {
				sinkErr = err
				halt()
				break
			}
			if mapped == nil {
				bufs.Put(c.block[:0])
			}
			c.block = nil
			chunks.Put(c)
		}
	}
	if sinkErr != nil {
		return sinkErr
	}
	if faultErr != nil {
		return faultErr
	}
	return readErr
}

// cutMapped is the block reader's reader goroutine over a mapped file:
// blocks of whole records cut in place, as the stream version cuts them
// (a record longer than a block is read on in 64 KiB steps).
func cutMapped(data []byte, line, consumed int64, src *Source, todo chan<- *block, stop <-chan struct{}) {
	pos := 0
	for seq := 0; pos < len(data); seq++ {
		end := min(pos+blockSize, len(data))
		free := false
		if end < len(data) {
			cut, f := quoteCut(data[pos:end])
			free = f
			for cut < 0 {
				free = false
				if end-pos > src.maxRecord()+blockSize {
					cut = bytes.LastIndexByte(data[pos:end], '\n') + 1
					break
				}
				end = min(end+64<<10, len(data))
				if end == len(data) {
					cut = end - pos
					break
				}
				cut, free = quoteCut(data[pos:end])
			}
			if cut <= 0 {
				cut = end - pos
			}
			end = pos + cut
		}
		b := &block{seq: seq, data: data[pos:end:end], line: line, noQuotes: free}
		consumed += int64(end - pos)
		b.bytes = consumed
		select {
		case todo <- b:
		case <-stop:
			return
		}
		line += int64(bytes.Count(b.data, []byte{'\n'}))
		pos = end
	}
}

func (s *Source) maxRecord() int {
	if s.CSV.MaxRecordBytes > 0 {
		return s.CSV.MaxRecordBytes
	}
	return csvio.DefaultMaxRecordBytes
}

// safeCut is the end of the last record in b that a newline outside quotes
// ends (quote parity from b's start, where no field is open), or -1.
func safeCut(b []byte) int {
	cut, _ := quoteCut(b)
	return cut
}

// quoteCut is safeCut, also reporting whether b holds no quote at all
// (then neither does the block cut from it: its worker need not look).
func quoteCut(b []byte) (int, bool) {
	if bytes.IndexByte(b, '"') < 0 {
		i := bytes.LastIndexByte(b, '\n')
		if i < 0 {
			return -1, true
		}
		return i + 1, true
	}
	return quotedCut(b), false
}

func quotedCut(b []byte) int {
	in := false
	last := -1
	for i, c := range b {
		switch c {
		case '"':
			in = !in
		case '\n':
			if !in {
				last = i
			}
		}
	}
	if last < 0 {
		return -1
	}
	return last + 1
}

func parseBlock(b *block, ch *Chunk, nfields int, delim byte, src *Source, p *rfm.RowParser, contentKeys bool) {
	data := b.data
	if (!b.noQuotes && bytes.IndexByte(data, '"') >= 0) || bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		parseBlockSlow(b, ch, nfields, src, p, contentKeys)
		return
	}
	offs := make([]int32, 0, 2*nfields+2)
	var dates rfm.DateCache
	line := b.line
	fast := p.FastLines(delim) && !(contentKeys && p.Cols.Order < 0)
	for len(data) > 0 {
		if fast {
			// The fused parser takes the usual record whole; what it
			// leaves goes the general way below. It sets every field of
			// the event, so the event is written in place, not zeroed
			// first, and the counters stay in registers meanwhile.
			evs := ch.Events
			k, rows := len(evs), int64(0)
			for len(data) > 0 {
				if k == cap(evs) {
					evs = append(evs, rfm.Event{})
				}
				evs = evs[:cap(evs)]
				n, ok := p.ParseLine(data, delim, nfields, &evs[k], &dates)
				if !ok {
					break
				}
				data = data[n:]
				k++
				rows++
			}
			ch.Events = evs[:k]
			line += rows
			ch.Rows += rows
			if len(data) == 0 {
				break
			}
		}
		nl := bytes.IndexByte(data, '\n')
		var rec []byte
		if nl < 0 {
			rec, data = data, nil
		} else {
			rec, data = data[:nl], data[nl+1:]
		}
		ln := line
		line++
		if len(rec) > 0 && rec[len(rec)-1] == '\r' {
			rec = rec[:len(rec)-1]
		}
		if blank(rec) {
			continue // blank lines are not records
		}
		ch.Rows++
		offs = offs[:0]
		start := 0
		for {
			i := bytes.IndexByte(rec[start:], delim)
			if i < 0 {
				offs = append(offs, int32(start), int32(len(rec)))
				break
			}
			offs = append(offs, int32(start), int32(start+i))
			start += i + 1
		}
		if got := len(offs) / 2; got != nfields {
			ch.Rejects = append(ch.Rejects, RejectedRow{Line: ln, Raw: rec,
				Reason: fmt.Sprintf("bad_row: %v: want %d, got %d", csvio.ErrFieldCount, nfields, got)})
			continue
		}
		ch.Events = append(ch.Events, rfm.Event{})
		e := &ch.Events[len(ch.Events)-1]
		if err := p.ParseSplit(rec, offs, e, &dates); err != nil {
			ch.Events = ch.Events[:len(ch.Events)-1]
			ch.Rejects = append(ch.Rejects, RejectedRow{Line: ln, Raw: rec, Reason: err.Error()})
			continue
		}
		if contentKeys && p.Cols.Order < 0 {
			e.Order = rfm.ContentKey(rec, ln)
		}
	}
}

// blank reports whether rec holds only spaces and tabs.
func blank(rec []byte) bool {
	for _, c := range rec {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// parseBlockSlow reads a block with quotes or odd bytes through csvio.
func parseBlockSlow(b *block, ch *Chunk, nfields int, src *Source, p *rfm.RowParser, contentKeys bool) {
	opts := src.CSV
	opts.Header = false
	opts.FieldsPerRecord = nfields
	r, err := csvio.NewReader(bytes.NewReader(b.data), src.Path, opts)
	if err != nil {
		ch.Rejects = append(ch.Rejects, RejectedRow{Line: b.line, Reason: "bad_row: " + err.Error()})
		return
	}
	var batch csvio.Batch
	for {
		err := r.ReadBatch(&batch, 0)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			ch.Rejects = append(ch.Rejects, RejectedRow{Line: b.line, Reason: "bad_row: " + err.Error()})
			return
		}
		for i := 0; i < batch.Len(); i++ {
			row := batch.Row(i)
			ln := b.line + row.Line - 1
			ch.Rows++
			// The batch is reused: keep what outlives it in the block's bytes.
			raw := append([]byte(nil), row.Raw...)
			if row.Err != nil {
				reason := row.Err.Err.Error()
				ch.Rejects = append(ch.Rejects, RejectedRow{Line: ln, Raw: raw, Reason: "bad_row: " + reason})
				continue
			}
			ch.Events = append(ch.Events, rfm.Event{})
			e := &ch.Events[len(ch.Events)-1]
			if err := rfm.ParseRow(p, row, e); err != nil {
				ch.Events = ch.Events[:len(ch.Events)-1]
				ch.Rejects = append(ch.Rejects, RejectedRow{Line: ln, Raw: raw, Reason: err.Error()})
				continue
			}
			if e.CustomerName != nil {
				e.CustomerName = append([]byte(nil), e.CustomerName...)
			}
			if contentKeys && p.Cols.Order < 0 {
				e.Order = rfm.ContentKey(row.Raw, ln)
			}
		}
	}
}
