package bench

import "math/bits"

// mix64 is splitmix64's finaliser: a bijection on uint64 with good
// avalanche, enough for synthetic data and far cheaper than math/rand.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const golden = 0x9e3779b97f4a7c15

// rng is a splitmix64 generator. Seeded per (seed, stream, index) it is a
// counter-based generator: item i of a stream needs no state but i.
type rng struct{ s uint64 }

func newRNG(seed, stream, i uint64) rng {
	return rng{s: mix64(seed^mix64(stream*golden+0x632be59bd9b4e019)) ^ mix64(i+golden)}
}

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn returns a value in [0, n) (Lemire's multiply-shift; the bias for the
// small n used here is below 2^-32).
func (r *rng) intn(n int) int {
	return int((uint64(uint32(r.next()>>32)) * uint64(n)) >> 32)
}

// int63n returns a value in [0, n) for large n.
func (r *rng) int63n(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// float returns a value in [0, 1).
func (r *rng) float() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// pick returns an index drawn from a 65536-slot table built by newPicker.
type picker []uint16

// newPicker spreads 65536 slots over weights, every item of positive
// weight getting at least one, so a draw is one table lookup.
func newPicker(weights []float64) picker {
	const slots = 1 << 16
	var sum float64
	for _, w := range weights {
		sum += w
	}
	n := len(weights)
	counts := make([]int, n)
	total := 0
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		c := int(w/sum*float64(slots-n)) + 1
		counts[i] = c
		total += c
	}
	for i := 0; total < slots; i = (i + 1) % n { // hand the rounding rest out in order
		if weights[i] > 0 {
			counts[i]++
			total++
		}
	}
	p := make(picker, 0, slots)
	for i, c := range counts {
		for range c {
			p = append(p, uint16(i))
		}
	}
	return p
}

func (p picker) draw(r *rng) int { return int(p[r.next()>>48]) }
