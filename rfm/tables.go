package rfm

// Tables makes the big per-customer tables that ingest updates at random
// (aggregates, the id pages of numeric customer ids). The zero value
// uses make; a caller may pass allocators that ask the operating system
// for huge pages (cmd/hush does, through internal/hugepage), which this
// package cannot do itself: it does no system calls.
type Tables struct {
	Aggregates func(n int) []Aggregate
	IDs        func(n int) []uint32
	// Rooms: the one-shot tally's waiting rooms (fixed buffers of
	// events, written in order, read back once when full).
	Rooms func(n int) []uint64
}

// slabParts: once a table has this many chunks (aggregates) or pages
// (ids), the next ones are carved slabParts at a time out of one
// allocation from Tables (24 MiB of aggregates, 4 MiB of ids), so that an
// allocator has whole huge pages to work with. Small tables stay small.
const slabParts = 16

// UseTables makes the book's customer directory and ledgers allocate
// their tables with t from now on.
func (b *Book) UseTables(t Tables) {
	b.Customers.mu.Lock()
	b.Customers.tables = t
	b.Customers.mu.Unlock()
	for _, l := range b.ledgers {
		l.tables = t
	}
}

// newChunk is the next aggregate chunk.
func (l *Ledger) newChunk() []Aggregate {
	if len(l.spare) == 0 && l.tables.Aggregates != nil && len(l.chunks) >= slabParts {
		slab := l.tables.Aggregates(slabParts * aggChunk)
		for i := range slabParts {
			l.spare = append(l.spare, slab[i*aggChunk:(i+1)*aggChunk:(i+1)*aggChunk])
		}
	}
	if len(l.spare) > 0 {
		c := l.spare[0]
		l.spare = l.spare[1:]
		return c
	}
	return make([]Aggregate, aggChunk)
}

// newPage is the next id page.
func (c *Customers) newPage() []uint32 {
	if len(c.spare) == 0 && c.tables.IDs != nil && c.directPages >= slabParts {
		slab := c.tables.IDs(slabParts * pageSize)
		for i := range slabParts {
			c.spare = append(c.spare, slab[i*pageSize:(i+1)*pageSize:(i+1)*pageSize])
		}
	}
	if len(c.spare) > 0 {
		p := c.spare[0]
		c.spare = c.spare[1:]
		return p
	}
	return make([]uint32, pageSize)
}
