package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
	"github.com/hushcrm/hush/rfm"
)

// purchases is the engine component holding purchase history: the
// customers dictionary, the set of order keys seen (idempotency), one
// ledger of all-history aggregates (so scoring as of a date after the
// latest event is O(customers)), and the deduplicated events themselves
// in columns (16 bytes each), from which ledgers for other as-of dates or
// windows are rebuilt in O(events). Only the writer goroutine touches it,
// except the published Result, which is swapped atomically.
type purchases struct {
	book     *rfm.Book
	ledger   *rfm.Ledger
	currency string

	cust   []uint32
	day    []int32
	amount []int64 // encodeAmount: a return of a is -a-1

	// outcomes of recent batches by sequence number, for the caller that
	// submitted them (bounded: replay writes none that are kept).
	omu      sync.Mutex
	outcomes map[journal.Seq]PurchaseOutcome

	published atomic.Pointer[rfm.Result]
}

// PurchaseOutcome is what one batch did.
type PurchaseOutcome struct {
	Applied    int `json:"applied"`
	Duplicates int `json:"duplicates"`
}

// ErrCurrency: a batch in another currency than the stored purchases.
var ErrCurrency = errors.New("purchases are stored in another currency")

func newPurchases(*Engine) component {
	l := rfm.NewLedger(rfm.LedgerConfig{Cutoff: rfm.NoCutoff, WindowStart: rfm.NoWindow})
	return &purchases{book: rfm.NewBook(0, l), ledger: l, outcomes: map[journal.Seq]PurchaseOutcome{}}
}

func (p *purchases) name() string { return "purchases" }

// returns are stored as amount = -(a+1) so that a return of 0 stays a
// return.
func encodeAmount(a int64, ret bool) int64 {
	if ret {
		return -a - 1
	}
	return a
}

func decodeAmount(v int64) (int64, bool) {
	if v < 0 {
		return -v - 1, true
	}
	return v, false
}

func (p *purchases) apply(seq journal.Seq, r record.Record) (bool, error) {
	b, ok := r.(*record.PurchaseBatch)
	if !ok {
		return false, nil
	}
	n := b.Len()
	if len(b.Orders) != n || len(b.Names) != n || len(b.Days) != n || len(b.Amounts) != n || len(b.Returns) != n {
		return true, domainErr(fmt.Errorf("purchase batch: columns of unequal length"))
	}
	if p.currency == "" {
		p.currency = b.Currency
	} else if b.Currency != p.currency {
		return true, domainErr(fmt.Errorf("%w: batch in %s, stored purchases in %s", ErrCurrency, b.Currency, p.currency))
	}
	var out PurchaseOutcome
	events := make([]rfm.Event, n)
	for i := range n {
		events[i] = rfm.Event{Order: b.Orders[i], Customer: b.Customers[i], Day: rfm.Day(b.Days[i]), Amount: b.Amounts[i], Return: b.Returns[i]}
		if b.Names[i] != "" {
			events[i].CustomerName = []byte(b.Names[i])
		}
	}
	ids := make([]uint32, n)
	p.book.AddBatchIDs(events, ids)
	for i, id := range ids {
		if id == rfm.NoID {
			out.Duplicates++
			continue
		}
		out.Applied++
		p.cust = append(p.cust, id)
		p.day = append(p.day, b.Days[i])
		p.amount = append(p.amount, encodeAmount(b.Amounts[i], b.Returns[i]))
	}
	p.omu.Lock()
	p.outcomes[seq] = out
	if len(p.outcomes) > 4096 {
		for s := range p.outcomes {
			if s+4096 < seq {
				delete(p.outcomes, s)
			}
		}
	}
	p.omu.Unlock()
	return true, nil
}

// The snapshot holds the currency, the customer dictionary (keys and
// names in id order), the order keys (sorted, so equal states write equal
// bytes), and the event columns; aggregates are rebuilt from the events.
func (p *purchases) writeSnapshot(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	put := func(v uint64) {
		buf = binary.AppendUvarint(buf[:0], v)
		bw.Write(buf)
	}
	put(1) // section version
	put(uint64(len(p.currency)))
	bw.WriteString(p.currency)
	cust := p.book.Customers
	put(uint64(cust.Len()))
	for id := range uint32(cust.Len()) {
		k := cust.Key(id)
		put(k)
		if k&(1<<63) != 0 {
			name := cust.Name(id)
			put(uint64(len(name)))
			bw.WriteString(name)
		}
	}
	numeric, numericReturns, hashedSet := p.book.Orders().Parts()
	for _, bm := range []*roaring64.Bitmap{numeric, numericReturns} {
		bm.RunOptimize()
		put(bm.GetSerializedSizeInBytes())
		if _, err := bm.WriteTo(bw); err != nil {
			return err
		}
	}
	hashes := hashedSet.AppendHashes(nil)
	slices.Sort(hashes)
	put(uint64(len(hashes)))
	var prev uint64
	for _, h := range hashes {
		put(h - prev)
		prev = h
	}
	put(uint64(len(p.cust)))
	var pd int32
	for i := range p.cust {
		put(uint64(p.cust[i]))
		buf = binary.AppendVarint(buf[:0], int64(p.day[i]-pd))
		bw.Write(buf)
		pd = p.day[i]
		buf = binary.AppendVarint(buf[:0], p.amount[i])
		bw.Write(buf)
	}
	return bw.Flush()
}

func (p *purchases) readSnapshot(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	get := func() uint64 {
		v, err := binary.ReadUvarint(br)
		if err != nil {
			panic(snapErr{err})
		}
		return v
	}
	getS := func() int64 {
		v, err := binary.ReadVarint(br)
		if err != nil {
			panic(snapErr{err})
		}
		return v
	}
	str := func() string {
		n := get()
		if n > 1<<20 {
			panic(snapErr{fmt.Errorf("string of %d bytes", n)})
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			panic(snapErr{err})
		}
		return string(b)
	}
	var err error
	func() {
		defer func() {
			if x := recover(); x != nil {
				se, ok := x.(snapErr)
				if !ok {
					panic(x)
				}
				err = se.err
			}
		}()
		if v := get(); v != 1 {
			panic(snapErr{fmt.Errorf("purchases section version %d", v)})
		}
		p.currency = str()
		nc := get()
		if nc > 1<<32 {
			panic(snapErr{fmt.Errorf("%d customers", nc)})
		}
		for range nc {
			k := get()
			var name []byte
			if k&(1<<63) != 0 {
				name = []byte(str())
			}
			p.book.Customers.Assign(k, name)
		}
		var bms [2]*roaring64.Bitmap
		for i := range bms {
			size := get()
			bms[i] = roaring64.New()
			lr := io.LimitReader(br, int64(size))
			if _, err := bms[i].ReadFrom(lr); err != nil {
				panic(snapErr{fmt.Errorf("order bitmap: %w", err)})
			}
			if err := bms[i].Validate(); err != nil {
				panic(snapErr{fmt.Errorf("order bitmap: %w", err)})
			}
		}
		nh := get()
		hashed := rfm.NewOrderSet(int(min(nh, 1<<34)))
		var prev uint64
		for range nh {
			prev += get()
			hashed.AddHash(prev)
		}
		p.book.SetOrders(rfm.OrdersFromParts(bms[0], bms[1], hashed))
		ne := get()
		if ne > 1<<40 {
			panic(snapErr{fmt.Errorf("%d events", ne)})
		}
		p.cust = make([]uint32, 0, ne)
		p.day = make([]int32, 0, ne)
		p.amount = make([]int64, 0, ne)
		var pd int32
		for range ne {
			id := get()
			if id >= nc {
				panic(snapErr{fmt.Errorf("event of customer %d, %d customers", id, nc)})
			}
			pd += int32(getS())
			a := getS()
			p.cust = append(p.cust, uint32(id))
			p.day = append(p.day, pd)
			p.amount = append(p.amount, a)
		}
		p.replayInto(p.ledger)
	}()
	if err != nil {
		return fmt.Errorf("purchases: %w", err)
	}
	// Hand back nothing: the section reader ends at the section's end.
	if br.Buffered() > 0 {
		return errSectionOverrun
	}
	return nil
}

type snapErr struct{ err error }

// replayInto applies every stored event to the ledgers.
func (p *purchases) replayInto(ledgers ...*rfm.Ledger) {
	var e rfm.Event
	for i, id := range p.cust {
		e.Day = rfm.Day(p.day[i])
		e.Amount, e.Return = decodeAmount(p.amount[i])
		for _, l := range ledgers {
			l.Apply(id, &e)
		}
	}
}

// PurchaseBatch is a batch of parsed purchase events to store.
type PurchaseBatch struct {
	Source, Currency string
	Events           []rfm.Event
}

// AppendPurchases makes the events durable and applies them; events whose
// order key was seen before are counted once (earlier).
func (e *Engine) AppendPurchases(ctx context.Context, b PurchaseBatch) (PurchaseOutcome, error) {
	wait, err := e.AppendPurchasesAsync(ctx, b)
	if err != nil {
		return PurchaseOutcome{}, err
	}
	return wait()
}

// AppendPurchasesAsync queues the batch and returns at once; wait blocks
// until it is durable and applied. Batches queued from one goroutine are
// applied in the order queued, so a bulk ingest keeps several in flight
// (their fsyncs shared) without changing which of two rows with one order
// id counts.
func (e *Engine) AppendPurchasesAsync(ctx context.Context, b PurchaseBatch) (wait func() (PurchaseOutcome, error), err error) {
	n := len(b.Events)
	rec := &record.PurchaseBatch{At: e.opts.Now().Unix(), Actor: e.opts.Actor, Source: b.Source, Currency: b.Currency,
		Orders: make([]uint64, n), Customers: make([]uint64, n), Names: make([]string, n),
		Days: make([]int32, n), Amounts: make([]int64, n), Returns: make([]bool, n)}
	for i := range b.Events {
		ev := &b.Events[i]
		rec.Orders[i], rec.Customers[i], rec.Days[i], rec.Amounts[i], rec.Returns[i] = ev.Order, ev.Customer, int32(ev.Day), ev.Amount, ev.Return
		if ev.CustomerName != nil {
			rec.Names[i] = string(ev.CustomerName)
		}
	}
	if e.closing.Load() {
		return nil, ErrClosed
	}
	if bp := e.broken.Load(); bp != nil {
		return nil, *bp
	}
	r := &request{recs: []record.Record{rec}, done: make(chan response, 1)}
	select {
	case e.reqs <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-e.stopped:
		return nil, ErrClosed
	}
	return func() (PurchaseOutcome, error) {
		// Once queued, wait for the outcome even if ctx ends: the batch may
		// be durable already.
		resp := <-r.done
		if resp.err != nil {
			return PurchaseOutcome{}, resp.err
		}
		if resp.errs[0] != nil {
			return PurchaseOutcome{}, unwrapDomain(resp.errs[0])
		}
		p := e.purchases()
		p.omu.Lock()
		out := p.outcomes[resp.first]
		delete(p.outcomes, resp.first)
		p.omu.Unlock()
		return out, nil
	}, nil
}

func (e *Engine) purchases() *purchases {
	for _, c := range e.comps() {
		if p, ok := c.(*purchases); ok {
			return p
		}
	}
	panic("engine: no purchases component")
}

// PurchaseView is what a scoring function sees of the stored purchases,
// consistently (no batch is applied while it runs).
type PurchaseView struct {
	Customers *rfm.Customers
	// Ledger holds all-history aggregates: score it for an as-of date on or
	// after MaxDay without a window, in O(customers).
	Ledger   *rfm.Ledger
	Currency string
	Events   int
	// Replay rebuilds ledgers with other cutoffs or windows from the stored
	// events, in O(events).
	Replay func(cfgs ...rfm.LedgerConfig) []*rfm.Ledger
	// Bytes of memory the stored purchases hold, by part.
	AggregateBytes, OrderSetBytes, EventBytes, DictionaryBytes int
}

// ReadPurchases runs fn on the writer goroutine with a consistent view of
// the stored purchases. fn may keep what it builds from the view (a
// Result) but not the view itself.
func (e *Engine) ReadPurchases(ctx context.Context, fn func(v PurchaseView) error) error {
	return e.control(ctx, func() error {
		p := e.purchases()
		v := PurchaseView{Customers: p.book.Customers, Ledger: p.ledger, Currency: p.currency, Events: len(p.cust),
			AggregateBytes: p.ledger.Bytes(), OrderSetBytes: p.book.Orders().Bytes(),
			EventBytes: cap(p.cust)*4 + cap(p.day)*4 + cap(p.amount)*8, DictionaryBytes: p.book.Customers.Bytes()}
		v.Replay = func(cfgs ...rfm.LedgerConfig) []*rfm.Ledger {
			ls := make([]*rfm.Ledger, len(cfgs))
			for i, c := range cfgs {
				ls[i] = rfm.NewLedger(c)
			}
			p.replayInto(ls...)
			return ls
		}
		return fn(v)
	})
}

// PublishRFM makes res the scoring readers see (RFM), atomically: a reader
// gets the old result or the new, never a mix.
func (e *Engine) PublishRFM(res *rfm.Result) { e.purchases().published.Store(res) }

// RFM is the last published scoring, or nil.
func (e *Engine) RFM() *rfm.Result { return e.purchases().published.Load() }

// snapshotThreshold is how much log may accumulate before a snapshot: the
// configured bytes, or half the purchase history's own size when that is
// more. A snapshot rewrites the whole history, so taking one every 64 MiB
// of a 100M-order ingest would cost O(n²); growing the threshold with the
// state keeps snapshots amortised O(1) per byte of log (replay after a
// crash is then at most about half the state's size).
func (e *Engine) snapshotThreshold() int64 {
	t := e.opts.SnapshotBytes
	for _, c := range e.comps() {
		if p, ok := c.(*purchases); ok {
			size := int64(len(p.cust))*10 + int64(p.book.Orders().Bytes())
			t = max(t, size/2)
		}
	}
	return t
}

// RefreshRFM scores the stored purchases as of at's UTC day with the
// default options (five quantile levels, total spend, the default segment
// table), adds the lapsed list of the 30 days ending that day as segment
// rfm:lapsed, and publishes the result: readers of RFM see the old
// scoring or the new one, never a mix. The scores cost O(customers) as of
// a day on or after the latest event; the lapsed list rebuilds the
// aggregates as of the period's start from the stored events.
func (e *Engine) RefreshRFM(ctx context.Context, at time.Time) (*rfm.Result, error) {
	day := rfm.DayOf(at)
	var res *rfm.Result
	err := e.ReadPurchases(ctx, func(v PurchaseView) error {
		l := v.Ledger
		start := day - LapsedPeriodDays + 1
		cfgs := []rfm.LedgerConfig{{Cutoff: start - 1, WindowStart: rfm.NoWindow}}
		if l.MaxDay() > day {
			cfgs = append(cfgs, rfm.LedgerConfig{Cutoff: day, WindowStart: rfm.NoWindow})
		}
		ls := v.Replay(cfgs...)
		if len(ls) > 1 {
			l = ls[1]
		}
		cur := v.Currency
		if cur == "" {
			cur = "USD"
		}
		var err error
		res, err = rfm.Score(v.Customers, l, rfm.Options{AsOf: day, MoneyExponent: rfm.CurrencyExponent(cur)})
		if err != nil {
			return err
		}
		lp, err := rfm.FindLapsed(ls[0], l, start, day)
		if err != nil {
			return err
		}
		res = res.WithSegment(rfm.LapsedSlug, lp.NotBought)
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.PublishRFM(res)
	return res, nil
}

// LapsedPeriodDays is the period of the refresh's rfm:lapsed list.
const LapsedPeriodDays = 30
