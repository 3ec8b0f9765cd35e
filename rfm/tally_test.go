package rfm

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// A Tally must leave exactly the Book that Book.AddBatch calls give the
// same batches: dense ids in first-seen order, every aggregate and
// counter of every ledger, duplicates, the order set, and the same again
// when it hands over to a Book part-way (a non-numeric id, a number too
// large, keys too sparse) and the Book takes the rest.
func TestTallyEqualsBook(t *testing.T) {
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
			t.Run(g.name+"/"+strconv.Itoa(batch), func(t *testing.T) {
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
				tally.UseTables(Tables{Aggregates: func(n int) []Aggregate { return make([]Aggregate, n) }, IDs: func(n int) []uint32 { return make([]uint32, n) }})
				for lo := 0; lo < len(events); lo += batch {
					ch := events[lo:min(lo+batch, len(events))]
					want.AddBatch(ch)
					tally.AddBatch(ch)
				}
				got := tally.Book()
				sameBooks(t, got, want)
			})
		}
	}
}

func sameBooks(t *testing.T, got, want *Book) {
	t.Helper()
	if got.Duplicates() != want.Duplicates() || got.Customers.Len() != want.Customers.Len() || got.Orders().Len() != want.Orders().Len() {
		t.Fatalf("dups %d customers %d orders %d, want %d %d %d", got.Duplicates(), got.Customers.Len(), got.Orders().Len(),
			want.Duplicates(), want.Customers.Len(), want.Orders().Len())
	}
	for id := range uint32(want.Customers.Len()) {
		k := want.Customers.Key(id)
		if got.Customers.Key(id) != k || got.Customers.Name(id) != want.Customers.Name(id) {
			t.Fatalf("customer %d: key %d %q, want %d %q", id, got.Customers.Key(id), got.Customers.Name(id), k, want.Customers.Name(id))
		}
		keys, ids, found := []uint64{k}, make([]uint32, 1), make([]bool, 1)
		got.Customers.LookupKeys(keys, ids, found)
		if !found[0] || ids[0] != id {
			t.Fatalf("customer %d (key %d) looked up as %d %v", id, k, ids[0], found[0])
		}
	}
	for k, l := range got.Ledgers() {
		w := want.Ledgers()[k]
		if l.Events() != w.Events() || l.Excluded() != w.Excluded() || l.MaxDay() != w.MaxDay() || l.minDay != w.minDay || l.Len() != w.Len() {
			t.Fatalf("ledger %d: events %d excluded %d max %d min %d len %d, want %d %d %d %d %d", k,
				l.Events(), l.Excluded(), l.MaxDay(), l.minDay, l.Len(), w.Events(), w.Excluded(), w.MaxDay(), w.minDay, w.Len())
		}
		for id := range uint32(l.Len()) {
			if l.Aggregate(id) != w.Aggregate(id) {
				t.Fatalf("ledger %d customer %d: %+v, want %+v", k, id, l.Aggregate(id), w.Aggregate(id))
			}
		}
	}
	// Both go on alike: a few more events, known and new customers.
	more := []Event{{Order: 1 << 50, Customer: 3, Day: 5, Amount: 7}, {Order: 1<<50 + 1, Customer: 1 << 33, Day: 6, Amount: 1}}
	got.AddBatch(more)
	want.AddBatch(more)
	if got.Customers.Len() != want.Customers.Len() || got.Ledgers()[0].Len() != want.Ledgers()[0].Len() {
		t.Fatalf("after more events: customers %d, want %d", got.Customers.Len(), want.Customers.Len())
	}
	for id := range uint32(want.Customers.Len()) {
		if got.Customers.Key(id) != want.Customers.Key(id) {
			t.Fatalf("after more events: customer %d key %d, want %d", id, got.Customers.Key(id), want.Customers.Key(id))
		}
	}
}
