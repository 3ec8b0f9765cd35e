package rfm

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/hushcrm/hush/internal/hugepage"
)

// BenchmarkTallyAdd: 20M orders of 10M customers at random, in batches
// of a block reader's chunk (~31k events), through a tally into its Book
// (tables advised for huge pages, as cmd/hush makes them). No order ids:
// the order set is not what it measures.
func BenchmarkTallyAdd(b *testing.B) {
	const customers, events, batch = 10_000_000, 20_000_000, 31_000
	r := rand.New(rand.NewPCG(3, 4))
	ev := make([]Event, events)
	for i := range ev {
		ev[i] = Event{Customer: uint64(1 + r.IntN(customers)), Day: Day(r.IntN(3000)), Amount: int64(r.IntN(100_000)), Return: r.IntN(20) == 0}
	}
	tables := Tables{Aggregates: hugepage.Make[Aggregate], IDs: hugepage.Make[uint32], Rooms: hugepage.Make[uint64]}
	// Waiting rooms: partitions of 1<<partBits keys, rooms of size events.
	for _, sh := range []struct{ partBits, size int }{{15, 1 << 14}, {14, 1 << 14}, {14, 1 << 13}, {16, 1 << 15}, {15, 1 << 13}, {13, 1 << 13}, {13, 1 << 12}, {14, 1 << 12}} {
		b.Run(strconv.Itoa(1<<sh.partBits)+"x"+strconv.Itoa(sh.size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t := NewTally(events, LedgerConfig{Cutoff: 2900, WindowStart: NoWindow})
				t.UseTables(tables)
				t.setRooms(sh.partBits, sh.size)
				for lo := 0; lo < len(ev); lo += batch {
					t.AddBatch(ev[lo:min(lo+batch, len(ev))])
				}
				if t.Book().Customers.Len() == 0 {
					b.Fatal("no customers")
				}
			}
		})
	}
}
