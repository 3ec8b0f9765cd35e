package rfm

import (
	"strconv"
	"sync"

	"github.com/hushcrm/hush/contactkey"
)

// Customers gives external customer ids dense 32-bit ids (bitmap
// positions) in first-seen order, and prints them back. One goroutine (the
// one feeding the Book) assigns; any number may look up and print
// concurrently: ids once assigned never change.
//
// Most order exports number their customers: numeric keys in a range not
// much wider than the customer count are found through direct pages (a
// key's id+1 at index key&(pageSize-1) of page key>>pageBits), one memory
// access instead of a hash probe's two or three; a page is made only
// while the pages hold at most 16 bytes per customer beyond a small base,
// so sparse numbers (phone-like, random) go to the hash table instead.
// Every other key (hashed ids, numbers no page covers) lives in a
// contactkey.Dictionary, whose own sequence maps to the dense id through
// hashedIDs. Which structure holds a key changes nothing but speed.
type Customers struct {
	mu sync.RWMutex // held to write by Assign, to read by lookups from other goroutines

	keys [][]uint64 // id → key, in chunks of pageSize: growing never copies
	n    int

	direct      [][]uint32 // page → (key&pageMask → id+1, 0 = none); nil pages
	directPages int        // pages made

	hashed    *contactkey.Dictionary // keys not in a direct page → hashed index
	hashedIDs []uint32               // hashed index → dense id
	// hashedNumeric counts numeric keys in hashed (kept there because no
	// page covered them when they came): while it is 0, a miss in a page
	// is final.
	hashedNumeric int
	// pagesAtMigration is directPages when migrate last ran.
	pagesAtMigration int

	names map[uint32]string // only for ids that are not canonical decimals

	tables Tables
	spare  [][]uint32 // pages carved from a slab, not in use yet
}

const (
	pageBits = 16
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
	// maxDirectKey bounds the numeric keys pages may cover (the page
	// table is then at most 2^20 pointers).
	maxDirectKey = 1 << 36
	// basePages are allowed whatever the customer count (16 MiB).
	basePages = 64
)

// NewCustomers returns an empty dictionary.
func NewCustomers() *Customers {
	return &Customers{hashed: contactkey.NewDictionary(), names: map[uint32]string{}}
}

// Len is the number of customers.
func (c *Customers) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.n
}

// find is the id of key (no lock: the caller holds one).
func (c *Customers) find(key uint64) (uint32, bool) {
	if key < maxDirectKey {
		if p := key >> pageBits; p < uint64(len(c.direct)) {
			if pg := c.direct[p]; pg != nil {
				if v := pg[key&pageMask]; v != 0 {
					return v - 1, true
				}
				if c.hashedNumeric == 0 {
					return 0, false
				}
			}
		}
	}
	if c.hashed.Len() == 0 {
		return 0, false
	}
	h, ok := c.hashed.Lookup(key)
	if !ok {
		return 0, false
	}
	return c.hashedIDs[h], true
}

// page returns the direct page for numeric key, making it when the
// budget allows, or nil.
func (c *Customers) page(key uint64) []uint32 {
	if key >= maxDirectKey {
		return nil
	}
	p := int(key >> pageBits)
	if p < len(c.direct) && c.direct[p] != nil {
		return c.direct[p]
	}
	// Beyond the base, pages hold at most 16 bytes per customer.
	if c.directPages >= basePages && c.directPages*pageSize > 4*c.n {
		return nil
	}
	for len(c.direct) <= p {
		c.direct = append(c.direct, nil)
	}
	pg := c.newPage()
	c.direct[p] = pg
	c.directPages++
	if c.hashedNumeric > 0 && c.directPages >= c.pagesAtMigration+max(1, c.pagesAtMigration/8) {
		c.migrate()
	}
	return pg
}

// migrate moves the numeric keys of the hash table that pages now cover
// into their pages, and rebuilds the hash table from the rest. Numbers
// come to the hash table while the page budget is short (early in a
// file, when few customers are known); the first customers seen are
// often the heaviest buyers, so leaving them there would send many
// lookups down the slower path for good. It runs when the pages have
// grown by an eighth since the last time: O(hash table) a few times.
func (c *Customers) migrate() {
	c.pagesAtMigration = c.directPages
	keep := contactkey.NewDictionary()
	ids := make([]uint32, 0, len(c.hashedIDs)/2)
	numeric := 0
	for h, id := range c.hashedIDs {
		key := c.hashed.Value(uint32(h))
		if key < maxDirectKey {
			if p := key >> pageBits; p < uint64(len(c.direct)) && c.direct[p] != nil {
				c.direct[p][key&pageMask] = id + 1
				continue
			}
		}
		keep.Assign(key)
		ids = append(ids, id)
		if key&(1<<63) == 0 {
			numeric++
		}
	}
	c.hashed, c.hashedIDs, c.hashedNumeric = keep, ids, numeric
}

// assign is Assign under the write lock.
func (c *Customers) assign(key uint64, name []byte) uint32 {
	if id, ok := c.find(key); ok {
		return id
	}
	id := uint32(c.n)
	if c.n == 1<<32-1 {
		panic("rfm: more than 2^32-1 customers")
	}
	if c.n&pageMask == 0 {
		c.keys = append(c.keys, make([]uint64, pageSize))
	}
	c.keys[c.n>>pageBits][c.n&pageMask] = key
	c.n++
	numeric := key&(1<<63) == 0
	if pg := c.page(key); numeric && pg != nil {
		pg[key&pageMask] = id + 1
	} else {
		c.hashed.Assign(key)
		c.hashedIDs = append(c.hashedIDs, id)
		if numeric {
			c.hashedNumeric++
		}
	}
	if !numeric {
		c.names[id] = string(name)
	}
	return id
}

// Assign returns the dense id of key, creating it (with name, for
// non-numeric ids) when new.
func (c *Customers) Assign(key uint64, name []byte) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.assign(key, name)
}

// Lookup finds the dense id of an external id.
func (c *Customers) Lookup(ext string) (uint32, bool) {
	key, _ := KeyOf([]byte(ext))
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.find(key)
}

func (c *Customers) key(id uint32) uint64 { return c.keys[id>>pageBits][id&pageMask] }

func (c *Customers) appendName(dst []byte, id uint32) []byte {
	v := c.key(id)
	if v&(1<<63) == 0 {
		return strconv.AppendUint(dst, v, 10)
	}
	return append(dst, c.names[id]...)
}

// Name is the external id of dense id.
func (c *Customers) Name(id uint32) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return string(c.appendName(nil, id))
}

// AppendName appends the external id of dense id.
func (c *Customers) AppendName(dst []byte, id uint32) []byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.appendName(dst, id)
}

// Names calls fn with a function that appends the external id of a dense
// id, all under one read lock (printing millions of ids).
func (c *Customers) Names(fn func(appendName func(dst []byte, id uint32) []byte)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fn(c.appendName)
}

// Key is the 64-bit key of dense id.
func (c *Customers) Key(id uint32) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.key(id)
}

// Bytes estimates the dictionary's memory.
func (c *Customers) Bytes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h := c.hashed.Len()
	b := len(c.keys)*pageSize*8 + (c.directPages+len(c.spare))*pageSize*4 + len(c.direct)*24 +
		h*8 + h*5*2 + cap(c.hashedIDs)*4 // hashed: values, slots+tags at 1.33..2.67 load
	for _, s := range c.names {
		b += len(s) + 16 + 24
	}
	return b
}

// LookupKeys finds the dense ids of customer keys (found false for keys
// not assigned yet). Safe beside the goroutine that assigns: parser
// workers resolve known customers in parallel, and the Book only assigns
// the rest (AddBatchResolved).
func (c *Customers) LookupKeys(keys []uint64, ids []uint32, found []bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ids, found = ids[:len(keys)], found[:len(keys)]
	// Pages first: independent loads, all in flight. What they do not
	// decide goes to the hash table in batches.
	var (
		rest [lookupBatch]uint64
		at   [lookupBatch]int32
		hid  [lookupBatch]uint32
		hok  [lookupBatch]bool
	)
	n := 0
	flush := func() {
		c.hashed.LookupBatch(rest[:n], hid[:n], hok[:n])
		for k := range n {
			i := at[k]
			if hok[k] {
				ids[i], found[i] = c.hashedIDs[hid[k]], true
			}
		}
		n = 0
	}
	hashedAny := c.hashed.Len() > 0
	direct := c.direct
	for i, key := range keys {
		ids[i], found[i] = 0, false
		if key < maxDirectKey {
			if p := key >> pageBits; p < uint64(len(direct)) {
				if pg := direct[p]; pg != nil {
					if v := pg[key&pageMask]; v != 0 {
						ids[i], found[i] = v-1, true
						continue
					}
					if c.hashedNumeric == 0 {
						continue
					}
				}
			}
		}
		if !hashedAny {
			continue
		}
		rest[n], at[n] = key, int32(i)
		n++
		if n == lookupBatch {
			flush()
		}
	}
	if n > 0 {
		flush()
	}
}

const lookupBatch = 256

// assignMissing assigns, in order, the customers of the kept events that
// LookupKeys did not find, under one write lock (one lock per batch, not
// per new customer, so that parser workers looking up the next batches
// are not stalled behind a writer many times per batch).
func (c *Customers) assignMissing(events []Event, keep []bool, ids []uint32, found []bool, cid []uint32) []uint32 {
	locked := false
	for i := range events {
		if !keep[i] {
			continue
		}
		id := ids[i]
		if !found[i] {
			if !locked {
				c.mu.Lock()
				locked = true
			}
			id = c.assign(events[i].Customer, events[i].CustomerName)
		}
		cid = append(cid, id)
	}
	if locked {
		c.mu.Unlock()
	}
	return cid
}
