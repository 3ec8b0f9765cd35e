package rfm

import (
	"runtime"
	"sync"
)

// Tally is a one-shot Book for the usual order export, whose customer ids
// are numbers in a range not much wider than the customer count (1..N):
// it keeps each ledger's aggregates indexed by the customer number itself,
// so an event costs one table access (made in order, by key partition,
// from waiting rooms: rooms.go). A Book first looks the number up in
// its dictionary (a cache miss into a table of millions), then, for a new
// customer, writes the dictionary (another), and only then updates the
// aggregate (a third). The Book itself is built once, at the end, in
// O(customers): its dense ids are the customers in ascending customer
// number (the order --out lists them in), so building it is a sequential
// compaction of the tables, with no gather in first-seen order.
//
// The first batch holding a customer the tally cannot keep (a non-numeric
// id, a number too large, or numbers so sparse that the table would be
// far larger than the customers) makes it hand everything over to a Book,
// which takes the rest (its new customers get ids after the tally's): the
// result is always what a Book fed the same batches gives (every
// customer's aggregates, counters, duplicates), with the tally's
// customers numbered in ascending customer number instead of first seen.
type Tally struct {
	orders *Orders
	dups   int64
	led    []*keyedLedger
	have   []bool // per key chunk: made
	chunks int    // key chunks made
	n      int    // customers
	tables Tables
	book   *Book // after the hand-over
	rooms  *rooms
	// partBits and roomSize: the waiting rooms' shape (0, 0: the
	// defaults; tests set others).
	partBits, roomSize int
}

// keyedLedger is one ledger's aggregates by customer key (chunks of
// aggChunk keys). Until a customer has an order (AllOrders == 0), First
// marks what the tally saw of it: 0 nothing, firstSeen a kept event after
// the cutoff only, firstCounted a return counted. The first ledger's
// stripes find the new customers that way (an untouched aggregate), with
// no separate table; the Ledger made at the end has slots up to the last
// customer with an event counted, as Ledger.grow gives them, and the
// marks cleared.
type keyedLedger struct {
	cfg      LedgerConfig
	chunks   [][]Aggregate
	excluded int64
	events   int64
	minDay   Day
	maxDay   Day
	spare    [][]Aggregate
	tables   *Tables
}

// The marks in First of an aggregate without orders.
const (
	firstSeen    Day = NoWindow + 1
	firstCounted Day = NoWindow
)

const (
	// maxTallyKey: customer numbers at or above it go to a Book.
	maxTallyKey = 1 << 36
	// tallyBaseChunks key chunks (16M keys) are allowed whatever the
	// customer count: the first batches of a file show customers from all
	// over the range long before most of them are known. Beyond that the
	// key range may be at most 4 times the customers.
	tallyBaseChunks = 256
)

// NewTally returns an empty tally feeding one ledger per config; orderHint
// sizes the idempotency set for hashed order ids.
func NewTally(orderHint int, cfgs ...LedgerConfig) *Tally {
	t := &Tally{orders: NewOrders(orderHint)}
	for _, c := range cfgs {
		t.led = append(t.led, &keyedLedger{cfg: c, minDay: NoCutoff, maxDay: NoWindow, tables: &t.tables})
	}
	if len(cfgs) == 0 {
		// New customers are found through the first ledger's aggregates.
		t.book = NewBook(orderHint)
	}
	return t
}

// UseTables makes the tally (and the Book it makes) allocate their big
// tables with tb.
func (t *Tally) UseTables(tb Tables) { t.tables = tb }

// HandedOver reports whether the tally gave its work to a Book already.
func (t *Tally) HandedOver() bool { return t.book != nil }

// fits reports whether key can be kept by key, making its chunk if needed.
func (t *Tally) fits(key uint64) bool {
	if key >= maxTallyKey {
		return false // non-numeric keys have the top bit set
	}
	c := int(key >> aggChunkBits)
	if c < len(t.have) && t.have[c] {
		return true
	}
	if t.chunks >= tallyBaseChunks && (t.chunks+1)*aggChunk > 4*t.n {
		// t.n counts the customers of the events applied so far: apply
		// the waiting ones before deciding.
		if t.rooms == nil || t.rooms.pending == 0 {
			return false
		}
		t.drain()
		if (t.chunks+1)*aggChunk > 4*t.n {
			return false
		}
	}
	for len(t.have) <= c {
		t.have = append(t.have, false)
	}
	t.have[c] = true
	t.chunks++
	for _, kl := range t.led {
		for len(kl.chunks) <= c {
			kl.chunks = append(kl.chunks, nil)
		}
		kl.chunks[c] = kl.newChunk()
	}
	return true
}

// newChunk is the next aggregate chunk (in slabs, as Ledger.newChunk).
func (kl *keyedLedger) newChunk() []Aggregate {
	if len(kl.spare) == 0 && kl.tables.Aggregates != nil && len(kl.chunks) >= slabParts {
		slab := kl.tables.Aggregates(slabParts * aggChunk)
		for i := range slabParts {
			kl.spare = append(kl.spare, slab[i*aggChunk:(i+1)*aggChunk:(i+1)*aggChunk])
		}
	}
	if len(kl.spare) > 0 {
		c := kl.spare[0]
		kl.spare = kl.spare[1:]
		return c
	}
	return make([]Aggregate, aggChunk)
}

func (kl *keyedLedger) at(key uint64) *Aggregate {
	return &kl.chunks[key>>aggChunkBits][key&(aggChunk-1)]
}

// AddBatch applies events in order, exactly as Book.AddBatch would: the
// order set and the counters of duplicates at once, the aggregates when
// the events' waiting rooms fill (rooms.go), and every event by the time
// the Book is made.
func (t *Tally) AddBatch(events []Event) {
	if t.book != nil {
		t.book.AddBatch(events)
		return
	}
	for i := range events {
		if !t.fits(events[i].Customer) {
			t.Book().AddBatch(events)
			return
		}
	}
	if t.rooms == nil {
		pb, size := t.partBits, t.roomSize
		if pb == 0 && size == 0 {
			pb, size = defaultPartBits, defaultRoomSize
		}
		t.rooms = newRooms(uint(pb), size, t.tables.Rooms)
	}
	r := t.rooms
	for i := range events {
		e := &events[i]
		if e.Order != 0 && !t.orders.Add(e.Order, e.Return) {
			t.dups++
			continue
		}
		r.add(e)
	}
	t.flushFull()
}

// setRooms sets the partitions' size (1<<partBits keys, at most a chunk)
// and the rooms' (events) before the first batch.
func (t *Tally) setRooms(partBits, size int) {
	if partBits < 0 || partBits > aggChunkBits || size < 1 {
		panic("rfm: bad waiting rooms")
	}
	t.partBits, t.roomSize = partBits, size
}

func (kl *keyedLedger) merge(st stripeStats) {
	kl.events += st.events
	kl.excluded += st.excluded
	kl.minDay = min(kl.minDay, st.minDay)
	kl.maxDay = max(kl.maxDay, st.maxDay)
}

// Book finishes the tally: the Book a Book's own AddBatch calls would
// have made (same aggregates, counters, idempotency set), its customers'
// dense ids in ascending customer number. Later AddBatch calls go to that
// Book. The tally's tables become the Book's: each ledger's aggregates
// are compacted where they lie.
func (t *Tally) Book() *Book {
	if t.book != nil {
		return t.book
	}
	t.drain()
	par := runtime.GOMAXPROCS(0)
	// The customers are the keys whose aggregate in the first ledger was
	// touched (an order, or a mark in First). Counted per key chunk on
	// every core, then listed in key order, each chunk's from its base.
	seenLed := t.led[0]
	nch := len(seenLed.chunks)
	counts := make([]int, nch+1)
	parallel(nch, par, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			n := 0
			for i := range seenLed.chunks[c] {
				if a := &seenLed.chunks[c][i]; a.AllOrders > 0 || a.First != 0 {
					n++
				}
			}
			counts[c+1] = n
		}
	})
	for c := range nch {
		counts[c+1] += counts[c]
	}
	n := counts[nch]
	keys := make([][]uint64, (n+pageSize-1)/pageSize)
	for p := range keys {
		keys[p] = make([]uint64, pageSize)
	}
	parallel(nch, par, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			id := counts[c]
			for i := range seenLed.chunks[c] {
				if a := &seenLed.chunks[c][i]; a.AllOrders > 0 || a.First != 0 {
					keys[id>>pageBits][id&pageMask] = uint64(c)<<aggChunkBits | uint64(i)
					id++
				}
			}
		}
	})
	c := NewCustomers()
	c.tables = t.tables
	// Tally keys are below len(t.have) chunks of aggChunk keys.
	c.assignNumeric(keys, n, par, (len(t.have)<<aggChunkBits+pageSize-1)>>pageBits)
	b := &Book{Customers: c, orders: t.orders, dups: t.dups}
	for _, kl := range t.led {
		b.ledgers = append(b.ledgers, kl.compact(keys, n, t.tables))
	}
	t.book = b
	t.led, t.have, t.rooms = nil, nil, nil
	return b
}

// compact makes the keyed ledger a Ledger by dense id, the customers being
// keys (ascending, Customers.keys' layout): customer id's aggregate moves
// from its key's slot to slot id, in place (an id is never above its
// key, and the moves go up, so none overwrites one still to be read).
// Marks in First are cleared; the ledger has slots up to the last
// customer with an event counted, as Ledger.grow would give them, and
// every slot past those is zero.
func (kl *keyedLedger) compact(keys [][]uint64, n int, tables Tables) *Ledger {
	l := NewLedger(kl.cfg)
	l.tables = tables
	l.excluded, l.events, l.minDay, l.maxDay = kl.excluded, kl.events, kl.minDay, kl.maxDay
	chunks := kl.chunks
	top := -1
	for id := range n {
		k := keys[id>>pageBits][id&pageMask]
		a := chunks[k>>aggChunkBits][k&(aggChunk-1)]
		if a.AllOrders == 0 {
			if a.First == firstCounted {
				top = id
			}
			a.First = 0
		} else {
			top = id
		}
		d := uint64(id) >> aggChunkBits
		if chunks[d] == nil {
			chunks[d] = kl.newChunk()
		}
		chunks[d][id&(aggChunk-1)] = a
	}
	used := (top + 1 + aggChunk - 1) / aggChunk
	if top >= 0 {
		clear(chunks[top>>aggChunkBits][top&(aggChunk-1)+1:])
	}
	l.chunks = chunks[:used:used]
	l.n = top + 1
	return l
}

// assignNumeric gives an empty dictionary the n distinct numeric keys of
// keys (Customers.keys' layout, ids in order), as n Assign calls would,
// but with every page made first when the page budget allows them all.
// Every key is below bound << pageBits.
func (c *Customers) assignNumeric(keys [][]uint64, n, par, bound int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := func(id int) uint64 { return keys[id>>pageBits][id&pageMask] }
	// Pages used, marked on every core (one pass over 10M keys is ~0.2 s).
	var marks [][]bool
	var mu sync.Mutex
	parallel(n, par, func(lo, hi int) {
		used := make([]bool, bound)
		for id := lo; id < hi; id++ {
			used[key(id)>>pageBits] = true
		}
		mu.Lock()
		marks = append(marks, used)
		mu.Unlock()
	})
	used := make([]bool, 0, bound)
	pages := 0
	for p := range bound {
		u := false
		for _, m := range marks {
			u = u || m[p]
		}
		if u {
			used = used[:p+1]
			used[p] = true
			pages++
		}
	}
	if pages > basePages && pages*pageSize > 4*n {
		for id := range n {
			c.assign(key(id), nil)
		}
		return
	}
	c.direct = make([][]uint32, len(used))
	for p, u := range used {
		if u {
			c.direct[p] = c.newPage()
			c.directPages++
		}
	}
	c.pagesAtMigration = c.directPages
	c.keys = keys[:(n+pageSize-1)/pageSize]
	c.n = n
	direct := c.direct
	parallel(n, par, func(lo, hi int) {
		for id := lo; id < hi; id++ {
			k := key(id)
			direct[k>>pageBits][k&pageMask] = uint32(id) + 1
		}
	})
}
