// Package purchases reads purchase files — CSV (any delimiter, or
// whitespace-separated like CDNOW's) or NDJSON, plain or .gz — into
// rfm.Events: one goroutine splits records (csvio), parser workers turn
// batches into events, and the caller's sink gets them back in file order.
// Rows that cannot be read go to a rejected-row writer with their line and
// reason; none is dropped.
package purchases

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/rfm"
)

// Source is a purchase file and how to read it.
type Source struct {
	Path     string
	NDJSON   bool
	CSV      csvio.Options
	Mapping  map[string]string // field (rfm.FieldNames) → column name or 1-based number / NDJSON key
	Parser   rfm.RowParser     // Cols are resolved from Mapping
	Exponent int               // the currency's minor-unit digits

	// Resolve, when set, is looked up by the parser workers for every
	// event's customer (Chunk.IDs, Chunk.Found), so the sink only assigns
	// new customers (rfm.Book.AddBatchResolved).
	Resolve *rfm.Customers

	noBlocks bool // tests: the csvio path only
	noMap    bool // tests: the block reader on a stream
}

// ErrColumns: a required column is neither mapped nor found by name.
var ErrColumns = errors.New("missing purchase column")

// chunk is a run of parsed rows in file order.
type Chunk struct {
	seq     int
	batch   *csvio.Batch
	Events  []rfm.Event
	Rejects []RejectedRow
	Rows    int64
	Bytes   int64 // input consumed up to the end of this chunk
	// IDs and Found are the events' customers as Source.Resolve knew them
	// (nil without Resolve, and on the csvio and NDJSON paths).
	IDs   []uint32
	Found []bool
	block []byte // the block reader's bytes the events point into
	keys  []uint64
}

// RejectedRow is a row that did not become an event.
type RejectedRow struct {
	Line   int64
	Raw    []byte
	Reason string
}

// Stats count what a purchase read saw.
type Stats struct {
	Rows     int64   `json:"rows"`
	Events   int64   `json:"events"`
	Rejected int64   `json:"rejected"`
	Seconds  float64 `json:"seconds"`
}

// Read streams the file through parser workers and hands chunks
// to sink in file order (sink runs on the calling goroutine; a chunk's
// bytes are valid only during the call). Rejected rows go to rej.
// contentKeys gives rows without an order column an order key made of
// their bytes and line, so that ingesting the same file twice counts it
// once (stored mode).
func Read(ctx context.Context, src *Source, rej io.Writer, contentKeys bool, progress func(int64), sink func(*Chunk) error) (Stats, error) {
	f, err := os.Open(src.Path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	if data, unmap, ok := mapFile(f, src); ok {
		// A plain CSV file is read where the page cache holds it: no copy
		// into buffers (copying 3 GB costs seconds of system time).
		defer unmap()
		return readMapped(ctx, data, src, rej, contentKeys, progress, sink)
	}
	return ReadFrom(ctx, f, src, rej, contentKeys, progress, sink)
}

// ReadFrom is Read from a stream (an HTTP body, stdin); src.Path names it
// in errors and decides .gz.
func ReadFrom(ctx context.Context, r io.Reader, src *Source, rej io.Writer, contentKeys bool, progress func(int64), sink func(*Chunk) error) (Stats, error) {
	return readFrom(ctx, bufio.NewReaderSize(r, 1<<20), nil, src, rej, contentKeys, progress, sink)
}

// mappable: the files mapFile maps (the block reader's CSV).
func mappable(src *Source) bool {
	return !src.NDJSON && !strings.HasSuffix(src.Path, ".gz") && src.CSV.Header && !src.CSV.Whitespace && !src.noBlocks && !src.noMap
}

// readMapped is Read over a mapped file. A fault reading it (the file
// truncated meanwhile) is an error, not a crash.
func readMapped(ctx context.Context, data []byte, src *Source, rej io.Writer, contentKeys bool, progress func(int64), sink func(*Chunk) error) (st Stats, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if !isFault(r) {
				panic(r)
			}
			err = fmt.Errorf("%s: %w: %v", src.Path, ErrFileChanged, r)
		}
	}()
	return readFrom(ctx, bytes.NewReader(data), data, src, rej, contentKeys, progress, sink)
}

// ErrFileChanged: the file shrank while it was being read.
var ErrFileChanged = errors.New("file changed while being read")

// isFault: r is the panic of a memory fault (debug.SetPanicOnFault).
func isFault(r any) bool {
	_, ok := r.(interface{ Addr() uintptr })
	return ok
}

// readFrom reads r; mapped, when not nil, is all of r's bytes in memory.
func readFrom(ctx context.Context, in io.Reader, mapped []byte, src *Source, rej io.Writer, contentKeys bool, progress func(int64), sink func(*Chunk) error) (Stats, error) {
	t0 := time.Now()
	var st Stats
	if strings.HasSuffix(src.Path, ".gz") {
		zr, err := gzip.NewReader(in)
		if err != nil {
			return st, fmt.Errorf("%s: gzip: %w", src.Path, err)
		}
		defer zr.Close()
		in = zr
	}
	counted := &countingReader{r: in}
	rejW := newRejectWriter(rej)
	handle := func(ch *Chunk) error {
		st.Rows += ch.Rows
		st.Events += int64(len(ch.Events))
		st.Rejected += int64(len(ch.Rejects))
		for _, r := range ch.Rejects {
			if err := rejW.write(r); err != nil {
				return err
			}
		}
		if err := sink(ch); err != nil {
			return err
		}
		if progress != nil {
			progress(ch.Bytes)
		}
		return ctx.Err()
	}
	var err error
	if src.NDJSON {
		err = readNDJSON(counted, src, rejW, contentKeys, handle)
	} else {
		err = readCSV(counted, mapped, src, rejW, contentKeys, handle)
	}
	if err == nil {
		err = rejW.flush()
	}
	st.Seconds = time.Since(t0).Seconds()
	return st, err
}

type countingReader struct {
	r  io.Reader
	n  int64
	mu sync.Mutex
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReader) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func resolve(cols map[string]int) rfm.Columns {
	get := func(k string) int {
		if i, ok := cols[k]; ok {
			return i
		}
		return -1
	}
	return rfm.Columns{Customer: get("customer"), Date: get("date"), Amount: get("amount"),
		Order: get("order"), Currency: get("currency"), Return: get("return")}
}

// Aliases are header names taken for a field that --map does not mention
// and whose own name is not a column: the usual names of order exports.
var Aliases = map[string][]string{
	"customer": {"customer_id", "customerid", "cust_id", "client_id", "user_id"},
	"date":     {"order_date", "purchase_date", "invoicedate", "invoice_date", "created_at", "timestamp", "ts"},
	"amount":   {"revenue", "total", "order_total", "value", "sales"},
	"order":    {"order_id", "orderid", "order_number", "invoice", "invoiceno", "invoice_no"},
	"currency": {"currency_code"},
	"return":   {"is_return", "returned", "refund"},
}

func addAliases(cols map[string]int, header []string, mapping map[string]string) {
	for field, names := range Aliases {
		if _, ok := cols[field]; ok {
			continue
		}
		if _, ok := mapping[field]; ok {
			continue
		}
		for _, n := range names {
			i := slices.IndexFunc(header, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), n) })
			if i >= 0 {
				cols[field] = i
				break
			}
		}
	}
}

func requireColumns(path string, cols rfm.Columns) error {
	var missing []string
	if cols.Customer < 0 {
		missing = append(missing, "customer")
	}
	if cols.Date < 0 {
		missing = append(missing, "date")
	}
	if cols.Amount < 0 {
		missing = append(missing, "amount")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s: no %s column: map it with --map %s=COL", ErrColumns, path, strings.Join(missing, ", "), missing[0])
	}
	return nil
}

func readCSV(in *countingReader, mapped []byte, src *Source, rejW *rejectWriter, contentKeys bool, handle func(*Chunk) error) error {
	var input io.Reader = in
	if mapped != nil {
		n := bytes.IndexByte(mapped, '\n') + 1
		if n == 0 {
			n = len(mapped)
		}
		if hline := mapped[:n]; headerOK(hline) {
			return readCSVBlocks(hline, nil, mapped[n:], src, rejW, contentKeys, handle)
		}
	} else if src.CSV.Header && !src.CSV.Whitespace && !src.noBlocks {
		// Fast path: the header alone through csvio, then parallel blocks.
		br := bufio.NewReaderSize(in, 1<<20)
		hline, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if headerOK(hline) {
			return readCSVBlocks(hline, br, nil, src, rejW, contentKeys, handle)
		}
		input = io.MultiReader(bytes.NewReader(hline), br)
	}
	r, err := csvio.NewReader(input, src.Path, src.CSV)
	if err != nil {
		return err
	}
	var colMap map[string]int
	if src.CSV.Header {
		colMap, err = r.ResolveColumns(src.Mapping, rfm.FieldNames)
	} else {
		colMap, err = csvio.ResolveColumns(nil, src.Mapping, nil)
	}
	if err != nil {
		return err
	}
	if h := r.Header(); h != nil {
		addAliases(colMap, h, src.Mapping)
	}
	parser := src.Parser
	parser.Cols = resolve(colMap)
	if err := requireColumns(src.Path, parser.Cols); err != nil {
		return err
	}
	if h := r.Header(); h != nil {
		rejW.header = append(append([]string{}, h...), "hush_line", "hush_reason")
	} else {
		rejW.header = []string{"hush_line", "hush_reason", "raw"}
		rejW.rawLast = true
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	pool := sync.Pool{New: func() any { return new(csvio.Batch) }}
	chunks := sync.Pool{New: func() any { return new(Chunk) }}
	todo := make(chan *Chunk, workers*2)
	done := make(chan *Chunk, workers*2)
	var readErr error
	stop := make(chan struct{})
	go func() {
		defer close(todo)
		for seq := 0; ; seq++ {
			b := pool.Get().(*csvio.Batch)
			err := r.ReadBatch(b, 8192)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				readErr = err
				return
			}
			ch := chunks.Get().(*Chunk)
			ch.seq, ch.batch, ch.Bytes, ch.Rows, ch.Rejects = seq, b, r.Stats().Bytes, 0, ch.Rejects[:0]
			select {
			case todo <- ch:
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ch := range todo {
				parseBatch(&parser, ch, contentKeys)
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
				close(stop)
				break
			}
			c.Events = c.Events[:0]
			pool.Put(c.batch)
			c.batch = nil
			chunks.Put(c)
		}
	}
	if sinkErr != nil {
		return sinkErr
	}
	return readErr
}

func parseBatch(p *rfm.RowParser, ch *Chunk, contentKeys bool) {
	b := ch.batch
	n := b.Len()
	ch.Rows = int64(n)
	if cap(ch.Events) < n {
		ch.Events = make([]rfm.Event, 0, n)
	}
	ch.Events = ch.Events[:0]
	for i := 0; i < n; i++ {
		row := b.Row(i)
		if row.Err != nil {
			ch.Rejects = append(ch.Rejects, RejectedRow{Line: row.Line, Raw: row.Raw, Reason: "bad_row: " + row.Err.Err.Error()})
			continue
		}
		ch.Events = append(ch.Events, rfm.Event{})
		e := &ch.Events[len(ch.Events)-1]
		if err := rfm.ParseRow(p, row, e); err != nil {
			ch.Events = ch.Events[:len(ch.Events)-1]
			ch.Rejects = append(ch.Rejects, RejectedRow{Line: row.Line, Raw: row.Raw, Reason: err.Error()})
			continue
		}
		if contentKeys && p.Cols.Order < 0 {
			e.Order = rfm.ContentKey(row.Raw, row.Line)
		}
	}
}

func readNDJSON(in *countingReader, src *Source, rejW *rejectWriter, contentKeys bool, handle func(*Chunk) error) error {
	// Fields come out in the order of rfm.FieldNames; the mapping renames keys.
	keys := make([]string, len(rfm.FieldNames))
	for i, f := range rfm.FieldNames {
		keys[i] = f
		if k, ok := src.Mapping[f]; ok {
			keys[i] = k
		}
	}
	r := csvio.NewNDJSONReader(in, src.Path, keys, 0)
	parser := src.Parser
	parser.Cols = rfm.Columns{Customer: 0, Date: 1, Amount: 2, Order: -1, Currency: -1, Return: -1}
	if _, ok := src.Mapping["order"]; ok {
		parser.Cols.Order = 3
	}
	if _, ok := src.Mapping["currency"]; ok {
		parser.Cols.Currency = 4
	} else {
		parser.Cols.Currency = 4 // absent keys read as empty, which passes
	}
	parser.Cols.Return = 5
	rejW.header = []string{"hush_line", "hush_reason", "raw"}
	rejW.rawLast = true
	ch := &Chunk{}
	names := make([][]byte, 0, 4096)
	flush := func() error {
		ch.Bytes = in.count()
		err := handle(ch)
		ch = &Chunk{seq: ch.seq + 1}
		names = names[:0]
		return err
	}
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		ch.Rows++
		if row.Err != nil {
			ch.Rejects = append(ch.Rejects, RejectedRow{Line: row.Line, Raw: append([]byte(nil), row.Raw...), Reason: "bad_row: " + row.Err.Err.Error()})
		} else {
			var e rfm.Event
			if err := parser.Parse(row, &e); err != nil {
				ch.Rejects = append(ch.Rejects, RejectedRow{Line: row.Line, Raw: append([]byte(nil), row.Raw...), Reason: err.Error()})
			} else {
				if e.CustomerName != nil {
					e.CustomerName = append([]byte(nil), e.CustomerName...)
				}
				if e.Order == 0 && contentKeys {
					e.Order = rfm.ContentKey(row.Raw, row.Line)
				}
				ch.Events = append(ch.Events, e)
			}
		}
		if ch.Rows >= 4096 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if ch.Rows > 0 {
		return flush()
	}
	return nil
}

// rejectWriter writes rejected rows: the original row plus hush_line and
// hush_reason (CSV input), or hush_line, hush_reason and the raw line.
type rejectWriter struct {
	w       *csvio.Writer
	header  []string
	rawLast bool
	wrote   bool
}

func newRejectWriter(w io.Writer) *rejectWriter {
	if w == nil {
		return &rejectWriter{}
	}
	return &rejectWriter{w: csvio.NewWriter(w)}
}

func (r *rejectWriter) write(row RejectedRow) error {
	if r.w == nil {
		return nil
	}
	if !r.wrote {
		r.wrote = true
		hdr := make([][]byte, len(r.header))
		for i, h := range r.header {
			hdr[i] = []byte(h)
		}
		if err := r.w.WriteRecord(hdr...); err != nil {
			return err
		}
	}
	line := strconv.FormatInt(row.Line, 10)
	if r.rawLast || row.Raw == nil {
		return r.w.WriteRecord([]byte(line), []byte(row.Reason), row.Raw)
	}
	return r.w.WriteRawWith(row.Raw, line, row.Reason)
}

func (r *rejectWriter) flush() error {
	if r.w == nil {
		return nil
	}
	return r.w.Flush()
}

// headerOK: the header line can go through csvio alone, the rest
// through the block reader (not blank, no newline inside quotes).
func headerOK(hline []byte) bool {
	return len(bytes.TrimSpace(bytes.TrimPrefix(hline, []byte("\xef\xbb\xbf")))) > 0 && bytes.Count(hline, []byte{'"'})%2 == 0
}

func readCSVBlocks(hline []byte, rest io.Reader, mapped []byte, src *Source, rejW *rejectWriter, contentKeys bool, handle func(*Chunk) error) error {
	opts := src.CSV
	hr, err := csvio.NewReader(bytes.NewReader(hline), src.Path, opts)
	if err != nil {
		return err
	}
	header := hr.Header()
	colMap, err := hr.ResolveColumns(src.Mapping, rfm.FieldNames)
	if err != nil {
		return err
	}
	addAliases(colMap, header, src.Mapping)
	parser := src.Parser
	parser.Cols = resolve(colMap)
	if err := requireColumns(src.Path, parser.Cols); err != nil {
		return err
	}
	rejW.header = append(append([]string{}, header...), "hush_line", "hush_reason")
	return readBlocks(rest, mapped, 2, int64(len(hline)), len(header), src, &parser, contentKeys, handle)
}
