package rfm

import (
	"math/rand/v2"
	"testing"
)

// Orders must say "new" exactly once per (key, return?) whatever the
// order: ascending runs (the fast path), repeats inside and across runs,
// keys below the top, returns, hashed keys, and a set rebuilt from Parts.
func TestOrdersAgainstAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	o := NewOrders(0)
	type k struct {
		key uint64
		ret bool
	}
	seen := map[k]bool{}
	next := uint64(1)
	for step := range 400_000 {
		var key uint64
		switch x := r.IntN(10); {
		case x < 6: // ascending run, often of consecutive ids
			key = next
			next++
			if step%1000 < 300 {
				next += uint64(r.IntN(3))
			}
		case x < 8: // a repeat or a gap filler below the top
			key = uint64(1 + r.IntN(int(next)))
		case x < 9:
			key = uint64(r.IntN(1000)) | 1<<63
		default:
			key = next + uint64(r.IntN(5)) // a little ahead, maybe seen later
		}
		ret := r.IntN(20) == 0
		want := !seen[k{key, ret}]
		seen[k{key, ret}] = true
		if got := o.Add(key, ret); got != want {
			t.Fatalf("step %d: Add(%d, %v) = %v, want %v", step, key, ret, got, want)
		}
		if step == 200_000 {
			if o.Len() != len(seen) {
				t.Fatalf("Len %d, want %d", o.Len(), len(seen))
			}
			o = OrdersFromParts(o.Parts())
		}
	}
	if o.Len() != len(seen) {
		t.Fatalf("Len %d, want %d", o.Len(), len(seen))
	}
	// Long consecutive runs (ranges) with short pieces between them.
	base := next + 10
	for i := range uint64(200_000) {
		key := base + i
		if i%5000 > 4990 {
			key += 3 // a short piece off the run
		}
		want := !seen[k{key, false}]
		seen[k{key, false}] = true
		if got := o.Add(key, false); got != want {
			t.Fatalf("run %d: Add(%d) = %v, want %v", i, key, got, want)
		}
	}
	for range 10_000 {
		key := base + uint64(r.IntN(200_010))
		want := !seen[k{key, false}]
		seen[k{key, false}] = true
		if got := o.Add(key, false); got != want {
			t.Fatalf("repeat Add(%d) = %v, want %v", key, got, want)
		}
	}
	if o.Len() != len(seen) {
		t.Fatalf("Len %d, want %d", o.Len(), len(seen))
	}
}
