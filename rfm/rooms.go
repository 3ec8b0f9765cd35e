package rfm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/hushcrm/hush/internal/stream"
)

// Waiting rooms: the tally does not update a customer's aggregates when
// its event arrives. An event of the usual export goes to a customer at
// random among millions, so its update is a cache miss into a table of
// hundreds of megabytes, and even with prefetches the misses queue up on
// the core's miss buffers. Instead each event waits in its key
// partition's room (a partition is 1<<partBits keys: 384 KiB of
// aggregates, inside an L2); a full room is flushed: the
// partition's table slice is read in order (the hardware streams it in),
// then the room's events are applied, all hitting the cache. Rooms are
// fixed buffers, reused; the rooms filled by one batch are flushed at its
// end on every core, partitions shared out, so no two goroutines touch
// one partition.
//
// An aggregate's fields are sums, counts, minima and maxima, and the
// marks in First only record that something was seen or counted, so the
// result does not depend on when an event is applied; a partition's
// events are applied in arrival order all the same.

const (
	// defaultPartBits: partitions of 16384 keys (384 KiB of aggregates,
	// inside a 512 KiB L2; BenchmarkTallyAdd and end to end: faster than
	// 32768, whose slice the pre-read cannot keep in L2).
	defaultPartBits = 14
	// defaultRoomSize: events a room holds before it is flushed (128 KiB;
	// BenchmarkTallyAdd: 8192 beat 16384).
	defaultRoomSize = 1 << 13
	// roomSlabBytes of rooms are carved out of one allocation from
	// Tables.Rooms, so that most of them are in huge pages: hundreds of
	// rooms are written at once, a TLB miss each with 4 KiB pages.
	roomSlabBytes = 16 << 20
)

// waiting is an event in a room: what Aggregate.add needs, and its key's
// offset in the partition, whose top bit marks a return. 16 bytes.
type waiting struct {
	amount int64
	day    Day
	off    uint32
}

const returnBit = 1 << 31

// rooms are the tally's waiting rooms, one per partition, made on first
// use.
type rooms struct {
	partBits uint
	size     int
	tail     [][]roomTail // per key chunk, per partition
	full     []fullRoom   // filled by this batch, to flush at its end
	spare    [][]waiting  // emptied, to reuse
	alloc    func(n int) []uint64
	pending  int // events waiting in rooms not full
	made     int // rooms made
}

// roomTail is a partition's room and the room's last line, staged: a
// room's next line is not cached (rooms are far larger than the caches,
// and hundreds fill at once), so events are gathered in line, which is,
// and each full line goes to the room in one non-temporal write (no read
// of the line first; internal/stream). ev[len(ev)&^3:] is in line only.
type roomTail struct {
	ev   []waiting // cap size
	line [4]waiting
}

type fullRoom struct {
	part int
	ev   []waiting
}

func newRooms(partBits uint, size int, alloc func(n int) []uint64) *rooms {
	return &rooms{partBits: partBits, size: size, alloc: alloc}
}

// newRoom is an empty room: a spare one, or carved from a new slab.
func (r *rooms) newRoom() []waiting {
	if len(r.spare) == 0 {
		n := max(1, roomSlabBytes/(r.size*int(unsafe.Sizeof(waiting{}))))
		if r.made < 8 {
			n = 1 // few partitions (tests, small files): no slab
		}
		r.made += n
		var slab []waiting
		if r.alloc != nil && n > 1 {
			w := r.alloc(n * r.size * 2) // 2 words an event
			slab = unsafe.Slice((*waiting)(unsafe.Pointer(unsafe.SliceData(w))), n*r.size)
		} else {
			slab = make([]waiting, n*r.size)
		}
		for i := range n {
			r.spare = append(r.spare, slab[i*r.size:i*r.size:(i+1)*r.size])
		}
	}
	ev := r.spare[len(r.spare)-1]
	r.spare = r.spare[:len(r.spare)-1]
	return ev[:0]
}

// add puts one kept event in its partition's room; a room that fills is
// queued to flush and replaced by an empty one.
func (r *rooms) add(e *Event) {
	k := e.Customer
	c := int(k >> aggChunkBits)
	for len(r.tail) <= c {
		r.tail = append(r.tail, nil)
	}
	if r.tail[c] == nil {
		r.tail[c] = make([]roomTail, 1<<(aggChunkBits-r.partBits))
	}
	t := &r.tail[c][k&(aggChunk-1)>>r.partBits]
	if t.ev == nil {
		t.ev = r.newRoom()
	}
	off := uint32(k & (1<<r.partBits - 1))
	if e.Return {
		off |= returnBit
	}
	n := len(t.ev)
	t.line[n&3] = waiting{amount: e.Amount, day: e.Day, off: off}
	n++
	t.ev = t.ev[:n]
	if n&3 == 0 {
		stream.Line((*[8]uint64)(unsafe.Pointer(&t.ev[n-4])), (*[8]uint64)(unsafe.Pointer(&t.line)))
	}
	if n == cap(t.ev) {
		t.unstage()
		r.full = append(r.full, fullRoom{int(k >> r.partBits), t.ev})
		r.pending -= n - 1
		t.ev = r.newRoom()
	} else {
		r.pending++
	}
}

// unstage copies the events of a partial last line to the room.
func (t *roomTail) unstage() {
	n := len(t.ev)
	copy(t.ev[n&^3:], t.line[:n&3])
}

// flushFull applies the rooms filled since the last call, on every core.
func (t *Tally) flushFull() {
	r := t.rooms
	if len(r.full) == 0 {
		return
	}
	t.flush(r.full)
	for _, f := range r.full {
		r.spare = append(r.spare, f.ev)
	}
	clear(r.full)
	r.full = r.full[:0]
}

// drain applies every waiting event (the tally is then exactly what
// applying each batch at once gives).
func (t *Tally) drain() {
	r := t.rooms
	if r == nil {
		return
	}
	t.flushFull()
	if r.pending == 0 {
		return
	}
	for c, parts := range r.tail {
		for i := range parts {
			if t := &parts[i]; len(t.ev) > 0 {
				t.unstage()
				r.full = append(r.full, fullRoom{c<<(aggChunkBits-r.partBits) + i, t.ev})
				t.ev = t.ev[:0]
			}
		}
	}
	r.pending = 0
	t.flush(r.full)
	clear(r.full)
	r.full = r.full[:0]
}

// flush applies the rooms in rs (a partition's in order) to every ledger,
// spreading the partitions over the cores.
func (t *Tally) flush(rs []fullRoom) {
	stream.Fence() // the rooms' lines, written past the caches
	par := min(runtime.GOMAXPROCS(0), 8)
	// Rooms of one partition are one task, applied by one goroutine in
	// order. They are usually one room each.
	tasks := make([][2]int, 0, len(rs))
	if len(rs) > 1 {
		sortRooms(rs)
	}
	for lo := 0; lo < len(rs); {
		hi := lo + 1
		for hi < len(rs) && rs[hi].part == rs[lo].part {
			hi++
		}
		tasks = append(tasks, [2]int{lo, hi})
		lo = hi
	}
	par = min(par, len(tasks))
	stats := make([][]stripeStats, par)
	news := make([]int, par)
	var next atomic.Int64
	work := func(w int) {
		st := make([]stripeStats, len(t.led))
		for i := range st {
			st[i] = stripeStats{minDay: NoCutoff, maxDay: NoWindow}
		}
		for {
			i := int(next.Add(1) - 1)
			if i >= len(tasks) {
				break
			}
			for _, f := range rs[tasks[i][0]:tasks[i][1]] {
				for li, kl := range t.led {
					news[w] += kl.flushRoom(f, t.rooms.partBits, li == 0, &st[li])
				}
			}
		}
		stats[w] = st
	}
	if par <= 1 {
		work(0)
	} else {
		var wg sync.WaitGroup
		for w := 1; w < par; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(w)
			}()
		}
		work(0)
		wg.Wait()
	}
	for w := range par {
		t.n += news[w]
		for li, kl := range t.led {
			kl.merge(stats[w][li])
		}
	}
}

// sortRooms orders rooms by partition, keeping a partition's in order
// (insertion sort: a batch fills few rooms).
func sortRooms(rs []fullRoom) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].part < rs[j-1].part; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// flushRoom applies one room's events to the ledger, as stripe does,
// after reading the partition's slice of the table in order; it returns
// how many found an untouched aggregate (seen: the first ledger, which
// also takes events after its cutoff, to find new customers).
func (kl *keyedLedger) flushRoom(f fullRoom, partBits uint, seen bool, st *stripeStats) (news int) {
	base := uint64(f.part) << partBits
	chunk := kl.chunks[base>>aggChunkBits]
	lo := int(base & (aggChunk - 1))
	part := chunk[lo : lo+1<<partBits]
	st.touched += preread(part)
	ws, cut := kl.cfg.WindowStart, kl.cfg.Cutoff
	var e Event
	for i := range f.ev {
		w := &f.ev[i]
		if !seen && w.day > cut {
			st.excluded++
			continue
		}
		a := &part[w.off&^returnBit]
		e.Day, e.Amount, e.Return = w.day, w.amount, w.off&returnBit != 0
		if a.AllOrders == 0 {
			if seen && a.First == 0 {
				news++
				a.First = firstSeen
			}
			if e.Day > cut {
				st.excluded++
				continue
			}
			if e.Return {
				a.First = firstCounted
			}
		} else if e.Day > cut {
			st.excluded++
			continue
		}
		st.events++
		st.maxDay = max(st.maxDay, e.Day)
		st.minDay = min(st.minDay, e.Day)
		a.add(&e, ws)
	}
	return news
}

// preread loads one word of every cache line of part, in order, so that
// the updates after it find their lines cached; the sum keeps the loads.
func preread(part []Aggregate) uint64 {
	if len(part) < 64 {
		return 0
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(part))), len(part)*3)
	var s uint64
	for i := 0; i < len(words); i += 8 {
		s += words[i]
	}
	return s
}
