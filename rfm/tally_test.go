package rfm

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// A Tally must leave the Book that Book.AddBatch calls give the same
// batches: the same customers, every customer's aggregates and every
// counter of every ledger, duplicates, the order set, and the same again
// when it hands over to a Book part-way (a non-numeric id, a number too
// large, keys too sparse) and the Book takes the rest. Its own customers'
// dense ids ascend with their numbers. Every shape of waiting rooms
// (partitions of 1, 2, ... keys; rooms of 1, 2, ... events; {0, 0} the
// defaults) gives that Book.
func TestTallyEqualsBook(t *testing.T) {
	type shape struct{ partBits, size int }
	shapes := []shape{{0, 0}, {0, 1}, {0, 2}, {1, 1}, {1, 2}, {1, 3}, {4, 5}, {9, 64}, {12, 1000}, {aggChunkBits, 100}}
	type gen struct {
		name   string
		key    func(r *rand.Rand, i int) uint64
		events int // 60,000 when 0
	}
	dense := func(r *rand.Rand, _ int) uint64 { return uint64(1 + r.IntN(20_000)) }
	gens := []gen{
		{"dense", dense, 0},
		{"dense from 0", func(r *rand.Rand, _ int) uint64 { return uint64(r.IntN(3000)) }, 0},
		{"offset range", func(r *rand.Rand, _ int) uint64 { return 5_000_000_000 + uint64(r.IntN(20_000)) }, 0},
		{"a name late", func(r *rand.Rand, i int) uint64 {
			if i == 41_000 {
				return hashBytes([]byte("alice")) | 1<<63
			}
			return dense(r, i)
		}, 0},
		{"a huge number late", func(r *rand.Rand, i int) uint64 {
			if i == 23_456 {
				return 1 << 40
			}
			return dense(r, i)
		}, 0},
		{"sparse", func(r *rand.Rand, _ int) uint64 { return uint64(r.IntN(1 << 35)) }, 0},
		{"names", func(r *rand.Rand, _ int) uint64 {
			return hashBytes([]byte(strconv.Itoa(r.IntN(500)))) | 1<<63
		}, 0},
		// Enough customers that the Book is built on every core.
		{"many customers", func(r *rand.Rand, _ int) uint64 { return uint64(1 + r.IntN(1<<19)) }, 250_000},
	}
	cfgs := []LedgerConfig{{Cutoff: 900, WindowStart: 300}, {Cutoff: NoCutoff, WindowStart: NoWindow}}
	for _, g := range gens {
		for _, batch := range []int{1, 700, 8192, 70_000} {
			for _, sh := range shapes {
				if sh != (shape{}) && batch != 700 {
					continue // one batch size: 700 events fill many small rooms at once
				}
				name := g.name + "/" + strconv.Itoa(batch) + "/" + strconv.Itoa(1<<sh.partBits) + "x" + strconv.Itoa(sh.size)
				t.Run(name, func(t *testing.T) {
					r := rand.New(rand.NewPCG(7, uint64(batch)))
					events := make([]Event, max(g.events, 60_000))
					for i := range events {
						e := &events[i]
						e.Customer = g.key(r, i)
						if e.Customer&(1<<63) != 0 {
							e.CustomerName = []byte("n" + strconv.Itoa(i%500))
						}
						e.Order = uint64(1 + i)
						if r.IntN(9) == 0 {
							e.Order = uint64(1 + r.IntN(len(events)*11/12)) // duplicates, out of order
						}
						if r.IntN(50) == 0 {
							e.Order = 0 // no order id
						}
						e.Day = Day(r.IntN(1000))
						e.Amount = int64(r.IntN(100_000))
						e.Return = r.IntN(10) == 0
					}
					want := NewBook(0, NewLedger(cfgs[0]), NewLedger(cfgs[1]))
					tally := NewTally(0, cfgs...)
					tally.UseTables(Tables{Aggregates: func(n int) []Aggregate { return make([]Aggregate, n) }, IDs: func(n int) []uint32 { return make([]uint32, n) },
						Rooms: func(n int) []uint64 { return make([]uint64, n) }})
					if sh != (shape{}) {
						tally.setRooms(sh.partBits, sh.size)
					}
					for lo := 0; lo < len(events); lo += batch {
						ch := events[lo:min(lo+batch, len(events))]
						want.AddBatch(ch)
						tally.AddBatch(ch)
					}
					whole := !tally.HandedOver()
					got := tally.Book()
					if whole {
						for id := 1; id < got.Customers.Len(); id++ {
							if a, b := got.Customers.Key(uint32(id-1)), got.Customers.Key(uint32(id)); a >= b {
								t.Fatalf("customers %d, %d: keys %d, %d do not ascend", id-1, id, a, b)
							}
						}
					}
					sameBooks(t, got, want)
				})
			}
		}
	}
}

// sameBooks: got has want's customers (by key, with the same names and
// lookups), each with the same aggregates in every ledger, and the same
// counters; both go on alike.
func sameBooks(t *testing.T, got, want *Book) {
	t.Helper()
	same := func(when string) {
		t.Helper()
		if got.Duplicates() != want.Duplicates() || got.Customers.Len() != want.Customers.Len() || got.Orders().Len() != want.Orders().Len() {
			t.Fatalf("%s: dups %d customers %d orders %d, want %d %d %d", when, got.Duplicates(), got.Customers.Len(), got.Orders().Len(),
				want.Duplicates(), want.Customers.Len(), want.Orders().Len())
		}
		for k, l := range got.Ledgers() {
			w := want.Ledgers()[k]
			if l.Events() != w.Events() || l.Excluded() != w.Excluded() || l.MaxDay() != w.MaxDay() || l.minDay != w.minDay || l.Len() > got.Customers.Len() {
				t.Fatalf("%s: ledger %d: events %d excluded %d max %d min %d len %d, want %d %d %d %d (len <= %d)", when, k,
					l.Events(), l.Excluded(), l.MaxDay(), l.minDay, l.Len(), w.Events(), w.Excluded(), w.MaxDay(), w.minDay, got.Customers.Len())
			}
		}
		for id := range uint32(want.Customers.Len()) {
			k := want.Customers.Key(id)
			keys, ids, found := []uint64{k}, make([]uint32, 1), make([]bool, 1)
			got.Customers.LookupKeys(keys, ids, found)
			gid := ids[0]
			if !found[0] || got.Customers.Key(gid) != k || got.Customers.Name(gid) != want.Customers.Name(id) {
				t.Fatalf("%s: customer key %d %q: found %v as %d, key %d %q", when, k, want.Customers.Name(id), found[0], gid, got.Customers.Key(gid), got.Customers.Name(gid))
			}
			for li, l := range got.Ledgers() {
				if a, w := l.Aggregate(gid), want.Ledgers()[li].Aggregate(id); a != w {
					t.Fatalf("%s: ledger %d customer key %d: %+v, want %+v", when, li, k, a, w)
				}
			}
		}
	}
	same("built")
	// Both go on alike: a few more events, known and new customers (a
	// new one's slot, past the last, must be zero).
	more := []Event{{Order: 1 << 50, Customer: 3, Day: 5, Amount: 7}, {Order: 1<<50 + 1, Customer: 1 << 33, Day: 6, Amount: 1}}
	if n := want.Customers.Len(); n > 0 {
		k := want.Customers.Key(uint32(n - 1))
		more = append(more, Event{Order: 1<<50 + 2, Customer: k, CustomerName: []byte(want.Customers.Name(uint32(n - 1))), Day: 7, Amount: 3})
	}
	got.AddBatch(more)
	want.AddBatch(more)
	same("after more events")
}
