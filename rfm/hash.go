package rfm

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// KeyOf maps an external id (customer or order) to the 64-bit key hush
// keeps. Canonical decimal ids below 2^63 ("42", not "042") are kept as
// their number, so they print back exactly and need no name table; any
// other id is hashed (a fixed, seedless hash: keys must be the same in
// every process that replays the journal) and has the top bit set so the
// two spaces never meet. numeric reports which case applied.
func KeyOf(id []byte) (key uint64, numeric bool) {
	if v, ok := canonicalDecimal(id); ok {
		return v, true
	}
	return hashBytes(id) | 1<<63, false
}

func canonicalDecimal(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, v < 1<<63
}

// hashBytes is a 64-bit hash reading 8 bytes at a time (wyhash-style
// multiply-fold); it only needs to spread ids well and be the same
// everywhere.
func hashBytes(b []byte) uint64 {
	const (
		p0 = 0xa0761d6478bd642f
		p1 = 0xe7037ed1a0b428db
		p2 = 0x8ebc6af09c88c6e3
	)
	h := uint64(len(b)) * p2
	for len(b) >= 8 {
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		h = mum(h^p0, w^p1)
		b = b[8:]
	}
	var w uint64
	for i, c := range b {
		w |= uint64(c) << (8 * i)
	}
	h = mum(h^p0, w^p1^uint64(len(b)))
	return mix64(h)
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// mix64 is the splitmix64 finaliser.
func mix64(v uint64) uint64 {
	v ^= v >> 30
	v *= 0xbf58476d1ce4e5b9
	v ^= v >> 27
	v *= 0x94d049bb133111eb
	v ^= v >> 31
	return v
}

// OrderSet remembers which orders were seen, by 64-bit hash, in an
// open-addressing table of 8-byte slots kept at most 3/4 full: 10.7 to 21
// bytes per order, 10.7 at the sizes that matter when sized with a hint.
// Two different order ids with the same 64-bit hash would be counted once;
// at 100M orders the chance is about 3 in 10,000 over the whole data set.
type OrderSet struct {
	slots []uint64 // 0 = empty
	n     int
	shift uint8
}

// NewOrderSet returns a set sized for about hint orders.
func NewOrderSet(hint int) *OrderSet {
	s := &OrderSet{}
	size := 16
	for size*3/4 < hint {
		size *= 2
	}
	s.resize(size)
	return s
}

func (s *OrderSet) resize(size int) {
	old := s.slots
	s.slots = make([]uint64, size)
	s.shift = uint8(64 - bits.Len(uint(size-1)))
	s.n = 0
	for _, h := range old {
		if h != 0 {
			s.insert(h)
		}
	}
}

// Len is the number of orders in the set.
func (s *OrderSet) Len() int { return s.n }

// Bytes is the memory the table holds.
func (s *OrderSet) Bytes() int { return len(s.slots) * 8 }

// Add inserts the order key and reports whether it was new.
func (s *OrderSet) Add(key uint64) bool {
	h := mix64(key)
	if h == 0 {
		h = 1
	}
	if (s.n+1)*4 > len(s.slots)*3 {
		s.resize(len(s.slots) * 2)
	}
	return s.insert(h)
}

func (s *OrderSet) insert(h uint64) bool {
	mask := uint64(len(s.slots) - 1)
	i := h >> s.shift
	for {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return true
		case h:
			return false
		}
		i = (i + 1) & mask
	}
}

// AppendHashes appends the stored hashes (in table order) for snapshots.
func (s *OrderSet) AppendHashes(dst []uint64) []uint64 {
	for _, h := range s.slots {
		if h != 0 {
			dst = append(dst, h)
		}
	}
	return dst
}

// AddHash inserts a hash from AppendHashes (a snapshot being loaded).
func (s *OrderSet) AddHash(h uint64) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.resize(len(s.slots) * 2)
	}
	s.insert(h)
}

// ContentKey is the order key of a row that has no order id: its bytes and
// line number, so that the same file ingested twice is counted once while
// two equal rows of one file stay two orders. It is a hashed key (top bit
// set).
func ContentKey(raw []byte, line int64) uint64 {
	return mix64(hashBytes(raw)^uint64(line)*0x9e3779b97f4a7c15) | 1<<63
}

// Orders is the idempotency set of a Book: which (order, return?) keys were
// seen. Numeric order ids are bits of roaring64 bitmaps — real order ids
// are mostly sequential, so that is a fraction of a byte per order and
// cache-friendly — and hashed ids go to an OrderSet (8 bytes a slot).
type Orders struct {
	numeric, numericReturns *roaring64.Bitmap
	hashed                  *OrderSet

	// Order ids mostly come in ascending order: a numeric order above
	// every one seen is new without a probe, and such runs go into the
	// bitmap with one AddMany (a fraction of a CheckedAdd each). pending
	// holds them, ascending, above everything in numeric; top is the
	// largest numeric order seen (valid when hasTop).
	pending []uint64
	top     uint64
	hasTop  bool
}

// NewOrders returns an empty set; hint sizes the hashed part.
func NewOrders(hint int) *Orders {
	return &Orders{numeric: roaring64.New(), numericReturns: roaring64.New(), hashed: NewOrderSet(hint)}
}

// maxPending bounds Orders.pending (512 KiB).
const maxPending = 1 << 16

// Add records key (an order, or with ret the return of one) and reports
// whether it was new.
func (o *Orders) Add(key uint64, ret bool) bool {
	if key&(1<<63) == 0 {
		if ret {
			return o.numericReturns.CheckedAdd(key)
		}
		if !o.hasTop || key > o.top {
			if len(o.pending) == maxPending {
				o.flush()
			}
			o.pending = append(o.pending, key)
			o.top, o.hasTop = key, true
			return true
		}
		o.flush()
		return o.numeric.CheckedAdd(key)
	}
	if ret {
		key = mix64(key^0x52455455524e) | 1<<63 // "RETURN"
	}
	return o.hashed.Add(key)
}

// flush moves pending into the bitmap: runs of consecutive ids (the
// usual order numbering) as ranges, the rest with AddMany.
func (o *Orders) flush() {
	p := o.pending
	for len(p) > 0 {
		n := 1
		for n < len(p) && p[n] == p[0]+uint64(n) {
			n++
		}
		if n >= 64 {
			o.numeric.AddRange(p[0], p[n-1]+1)
			p = p[n:]
			continue
		}
		// Up to the next long run.
		end := n
		for end < len(p) {
			m := 1
			for end+m < len(p) && m < 64 && p[end+m] == p[end]+uint64(m) {
				m++
			}
			if m >= 64 {
				break
			}
			end += m
		}
		o.numeric.AddMany(p[:end])
		p = p[end:]
	}
	o.pending = o.pending[:0]
}

// Len is the number of keys held.
func (o *Orders) Len() int {
	o.flush()
	return int(o.numeric.GetCardinality()+o.numericReturns.GetCardinality()) + o.hashed.Len()
}

// Bytes is the memory the set holds.
func (o *Orders) Bytes() int {
	o.flush()
	return int(o.numeric.GetSizeInBytes()+o.numericReturns.GetSizeInBytes()) + o.hashed.Bytes() + cap(o.pending)*8
}

// Parts exposes the set's parts for snapshots: the numeric orders, the
// numeric returns, and the hashed set.
func (o *Orders) Parts() (numeric, numericReturns *roaring64.Bitmap, hashed *OrderSet) {
	o.flush()
	return o.numeric, o.numericReturns, o.hashed
}

// OrdersFromParts rebuilds a set from Parts (a snapshot being loaded).
func OrdersFromParts(numeric, numericReturns *roaring64.Bitmap, hashed *OrderSet) *Orders {
	o := &Orders{numeric: numeric, numericReturns: numericReturns, hashed: hashed}
	if !numeric.IsEmpty() {
		o.top, o.hasTop = numeric.Maximum(), true
	}
	return o
}
