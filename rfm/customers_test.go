package rfm

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The dense ids must be first-seen order whatever structure holds a key
// (direct pages, or the hash table for sparse numbers and names), and
// every lookup path must agree.
func TestCustomersMixedKeys(t *testing.T) {
	cases := []struct {
		name string
		ext  func(r *rand.Rand, i int) string
		n    int
	}{
		{"dense numbers", func(r *rand.Rand, i int) string { return strconv.Itoa(1 + r.IntN(300_000)) }, 400_000},
		// A range wider than the page budget early on: some numbers land in
		// the hash table, later ones in pages made afterwards.
		{"wide numbers", func(r *rand.Rand, i int) string { return strconv.Itoa(r.IntN(40_000_000)) }, 300_000},
		{"sparse numbers", func(r *rand.Rand, i int) string { return strconv.FormatUint(r.Uint64()>>2, 10) }, 100_000},
		{"names", func(r *rand.Rand, i int) string { return fmt.Sprintf("C-%d", r.IntN(50_000)) }, 100_000},
		{"mixed", func(r *rand.Rand, i int) string {
			switch i % 4 {
			case 0:
				return strconv.Itoa(r.IntN(100_000))
			case 1:
				return strconv.Itoa(1<<40 + r.IntN(1000))
			case 2:
				return "007" // not canonical: hashed, printed back as is
			}
			return fmt.Sprintf("x%d", r.IntN(1000))
		}, 200_000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			c := NewCustomers()
			want := map[string]uint32{}
			var order []string
			keys := make([]uint64, 0, 1024)
			exts := make([]string, 0, 1024)
			check := func() {
				ids := make([]uint32, len(keys))
				found := make([]bool, len(keys))
				c.LookupKeys(keys, ids, found)
				for i, ext := range exts {
					w, ok := want[ext]
					if found[i] != ok || (ok && ids[i] != w) {
						t.Fatalf("LookupKeys(%q) = %d,%v, want %d,%v", ext, ids[i], found[i], w, ok)
					}
				}
				for _, ext := range exts {
					k, _ := KeyOf([]byte(ext))
					id := c.Assign(k, []byte(ext))
					if w, ok := want[ext]; ok && id != w {
						t.Fatalf("Assign(%q) = %d, had %d", ext, id, w)
					} else if !ok {
						if int(id) != len(order) {
							t.Fatalf("Assign(%q) = %d, want the next id %d", ext, id, len(order))
						}
						want[ext] = id
						order = append(order, ext)
					}
				}
				keys, exts = keys[:0], exts[:0]
			}
			for i := range tc.n {
				ext := tc.ext(r, i)
				k, _ := KeyOf([]byte(ext))
				keys, exts = append(keys, k), append(exts, ext)
				if len(keys) == cap(keys) {
					check()
				}
			}
			check()
			if tc.name == "wide numbers" && (c.hashedNumeric == 0 || c.directPages == 0) {
				t.Fatalf("want numbers both in pages and hashed: %d pages, %d hashed", c.directPages, c.hashedNumeric)
			}
			if c.Len() != len(order) {
				t.Fatalf("Len %d, want %d", c.Len(), len(order))
			}
			for id, ext := range order {
				if got := c.Name(uint32(id)); got != ext {
					t.Fatalf("Name(%d) = %q, want %q", id, got, ext)
				}
				if got, ok := c.Lookup(ext); !ok || got != uint32(id) {
					t.Fatalf("Lookup(%q) = %d,%v, want %d", ext, got, ok, id)
				}
				if k, _ := KeyOf([]byte(ext)); c.Key(uint32(id)) != k {
					t.Fatalf("Key(%d) wrong", id)
				}
			}
			if _, ok := c.Lookup("never-seen"); ok {
				t.Fatal("found a customer never assigned")
			}
			if _, ok := c.Lookup("999999999999"); ok {
				t.Fatal("found a number never assigned")
			}
		})
	}
}

// Batches (applied by stripes in parallel) must leave every aggregate and
// counter exactly as events one by one do: returns, a window, a cutoff,
// duplicate orders, new and known customers.
func TestBatchesEqualOneByOne(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cfg := LedgerConfig{Cutoff: 900, WindowStart: 300}
	events := make([]Event, 60_000)
	for i := range events {
		e := &events[i]
		e.Customer = uint64(1 + r.IntN(5000))
		if i%7 == 0 {
			e.Customer = hashBytes([]byte(strconv.Itoa(r.IntN(500)))) | 1<<63
			e.CustomerName = []byte("n")
		}
		e.Order = uint64(1 + r.IntN(55_000))
		e.Day = Day(r.IntN(1000))
		e.Amount = int64(r.IntN(100_000))
		e.Return = r.IntN(10) == 0
	}
	one := NewBook(0, NewLedger(cfg), NewLedger(LedgerConfig{Cutoff: NoCutoff, WindowStart: NoWindow}))
	for i := range events {
		one.Add(&events[i])
	}
	batch := NewBook(0, NewLedger(cfg), NewLedger(LedgerConfig{Cutoff: NoCutoff, WindowStart: NoWindow}))
	resolved := NewBook(0, NewLedger(cfg), NewLedger(LedgerConfig{Cutoff: NoCutoff, WindowStart: NoWindow}))
	for lo := 0; lo < len(events); lo += 8192 {
		ch := events[lo:min(lo+8192, len(events))]
		batch.AddBatch(ch)
		keys := make([]uint64, len(ch))
		for i := range ch {
			keys[i] = ch[i].Customer
		}
		ids, found := make([]uint32, len(ch)), make([]bool, len(ch))
		resolved.Customers.LookupKeys(keys, ids, found)
		resolved.AddBatchResolved(ch, ids, found)
	}
	for _, b := range []*Book{batch, resolved} {
		if b.Duplicates() != one.Duplicates() || b.Customers.Len() != one.Customers.Len() {
			t.Fatalf("dups %d customers %d, want %d %d", b.Duplicates(), b.Customers.Len(), one.Duplicates(), one.Customers.Len())
		}
		for k, l := range b.Ledgers() {
			w := one.Ledgers()[k]
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
	}
}
