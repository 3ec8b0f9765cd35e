package suppression

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// frozen is a published set in the roaring portable serialisation
// (roaring64's for phones, a single 32-bit bitmap otherwise), read in
// place.
type frozen struct {
	data    []byte
	buckets []fbucket
	card    uint64
	ncont   uint64
	phone   bool
}

// fbucket is one 32-bit roaring bitmap inside data: the values whose high
// 32 bits are hi.
type fbucket struct {
	hi   uint32
	n    int
	hdr  []byte   // n × (key u16, card-1 u16)
	runs []byte   // is-run bitmap, nil when no container is a run
	offs []uint32 // offset of each container's data from body... absolute within data
}

const (
	serialCookieNoRun = 12346
	serialCookieRun   = 12347
	noOffsetThreshold = 4
	arrayMax          = 4096
)

var errFormat = errors.New("bad roaring serialisation")

// parse32 reads one 32-bit portable bitmap at data[p:], returning its
// bucket and the offset after it.
func parse32(data []byte, p int) (fbucket, int, error) {
	var b fbucket
	if len(data)-p < 4 {
		return b, 0, fmt.Errorf("%w: truncated cookie", errFormat)
	}
	start := p
	cookie := binary.LittleEndian.Uint32(data[p:])
	p += 4
	var n int
	switch {
	case cookie&0xffff == serialCookieRun:
		n = int(cookie>>16) + 1
		rl := (n + 7) / 8
		if len(data)-p < rl {
			return b, 0, fmt.Errorf("%w: truncated run bitmap", errFormat)
		}
		b.runs = data[p : p+rl]
		p += rl
	case cookie == serialCookieNoRun:
		if len(data)-p < 4 {
			return b, 0, fmt.Errorf("%w: truncated size", errFormat)
		}
		n = int(binary.LittleEndian.Uint32(data[p:]))
		p += 4
		if n > 1<<16 {
			return b, 0, fmt.Errorf("%w: %d containers", errFormat, n)
		}
	default:
		return b, 0, fmt.Errorf("%w: cookie %#x", errFormat, cookie)
	}
	b.n = n
	if len(data)-p < 4*n {
		return b, 0, fmt.Errorf("%w: truncated header", errFormat)
	}
	b.hdr = data[p : p+4*n]
	p += 4 * n
	hasOffs := b.runs == nil || n >= noOffsetThreshold
	offTable := p
	if hasOffs {
		if len(data)-p < 4*n {
			return b, 0, fmt.Errorf("%w: truncated offsets", errFormat)
		}
		p += 4 * n
	}
	b.offs = make([]uint32, n)
	for i := range n {
		if hasOffs {
			if o := binary.LittleEndian.Uint32(data[offTable+4*i:]); int(o) != p-start {
				return b, 0, fmt.Errorf("%w: container %d at %d, offset says %d", errFormat, i, p-start, o)
			}
		}
		b.offs[i] = uint32(p)
		card := int(binary.LittleEndian.Uint16(b.hdr[4*i+2:])) + 1
		var size int
		switch {
		case b.runs != nil && b.runs[i/8]&(1<<(i%8)) != 0:
			if len(data)-p < 2 {
				return b, 0, fmt.Errorf("%w: truncated run container", errFormat)
			}
			size = 2 + 4*int(binary.LittleEndian.Uint16(data[p:]))
		case card > arrayMax:
			size = 8192
		default:
			size = 2 * card
		}
		if len(data)-p < size {
			return b, 0, fmt.Errorf("%w: truncated container %d", errFormat, i)
		}
		p += size
	}
	return b, p, nil
}

func (b *fbucket) key(i int) uint16 { return binary.LittleEndian.Uint16(b.hdr[4*i:]) }

// find returns the index of the first container at or after from whose
// key is >= k (galloping), or b.n.
func (b *fbucket) find(k uint16, from int) int {
	n := b.n
	if from >= n || b.key(from) >= k {
		return from
	}
	// b.key(from) < k: gallop.
	lo, step := from, 1
	hi := from + 1
	for hi < n && b.key(hi) < k {
		lo = hi
		step <<= 1
		hi = lo + step
	}
	if hi > n {
		hi = n
	}
	// key(lo) < k, key(hi) >= k or hi == n.
	for lo+1 < hi {
		m := int(uint(lo+hi) >> 1)
		if b.key(m) < k {
			lo = m
		} else {
			hi = m
		}
	}
	return hi
}

// has reports whether container i holds low.
func (b *fbucket) has(data []byte, i int, low uint16) bool {
	off := int(b.offs[i])
	card := int(binary.LittleEndian.Uint16(b.hdr[4*i+2:])) + 1
	switch {
	case b.runs != nil && b.runs[i/8]&(1<<(i%8)) != 0:
		nr := int(binary.LittleEndian.Uint16(data[off:]))
		r := data[off+2 : off+2+4*nr]
		lo, hi := 0, nr
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if binary.LittleEndian.Uint16(r[4*m:]) <= low {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo == 0 {
			return false
		}
		s := binary.LittleEndian.Uint16(r[4*(lo-1):])
		l := binary.LittleEndian.Uint16(r[4*(lo-1)+2:])
		return uint32(low) <= uint32(s)+uint32(l)
	case card > arrayMax:
		w := binary.LittleEndian.Uint64(data[off+8*int(low>>6):])
		return w&(1<<(low&63)) != 0
	default:
		return arrayHas(data[off:off+2*card], card, low)
	}
}

// arrayHas searches a sorted array container. Entries of a list are
// spread about evenly over the container's 65536 values, so low, if
// present, almost always sits in a window of 16 entries around where it
// would be were they exactly even: that window is one or two cache lines,
// compared all at once (four 16-bit lanes per word), with no branch that
// depends on the data but the bracket check. Outside the window, a binary
// search finishes the job.
func arrayHas(a []byte, card int, low uint16) bool {
	const win = 16
	if card < win {
		return arraySearch(a, 0, card, low)
	}
	g := int(uint32(low)*uint32(card)>>16) - win/2
	g = max(0, min(g, card-win))
	w := a[2*g : 2*g+2*win]
	if low < binary.LittleEndian.Uint16(w) {
		return arraySearch(a, 0, g, low)
	}
	if low > binary.LittleEndian.Uint16(w[2*win-2:]) {
		return arraySearch(a, g+win, card, low)
	}
	const ones, highs = 0x0001000100010001, 0x8000800080008000
	b := ones * uint64(low)
	x0 := binary.LittleEndian.Uint64(w) ^ b
	x1 := binary.LittleEndian.Uint64(w[8:]) ^ b
	x2 := binary.LittleEndian.Uint64(w[16:]) ^ b
	x3 := binary.LittleEndian.Uint64(w[24:]) ^ b
	// A lane is zero where the entry equals low.
	z := (x0-ones)&^x0 | (x1-ones)&^x1 | (x2-ones)&^x2 | (x3-ones)&^x3
	return z&highs != 0
}

// arraySearch binary-searches a[lo:hi] (entries, not bytes) for low.
func arraySearch(a []byte, lo, hi int, low uint16) bool {
	end := hi
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if binary.LittleEndian.Uint16(a[2*m:]) < low {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < end && binary.LittleEndian.Uint16(a[2*lo:]) == low
}

func freezeBytes(data []byte, phone bool) (*frozen, error) {
	f := &frozen{data: data, phone: phone}
	if !phone {
		b, p, err := parse32(data, 0)
		if err != nil {
			return nil, err
		}
		if p != len(data) {
			return nil, fmt.Errorf("%w: %d trailing bytes", errFormat, len(data)-p)
		}
		f.buckets = []fbucket{b}
		return f, nil
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: truncated", errFormat)
	}
	nb := binary.LittleEndian.Uint64(data)
	p := 8
	for range nb {
		if len(data)-p < 4 {
			return nil, fmt.Errorf("%w: truncated bucket key", errFormat)
		}
		hi := binary.LittleEndian.Uint32(data[p:])
		b, q, err := parse32(data, p+4)
		if err != nil {
			return nil, err
		}
		b.hi = hi
		f.buckets = append(f.buckets, b)
		p = q
	}
	return f, nil
}

// probeSorted calls fn(k) for each u[k] in f; u ascending and distinct.
func (f *frozen) probeSorted(u []uint64, fn func(k int)) {
	bi := 0
	nb := len(f.buckets)
	if nb == 0 {
		return
	}
	b := &f.buckets[0]
	ci := 0
	for k := 0; k < len(u); k++ {
		v := u[k]
		hi := uint32(v >> 32)
		if hi != b.hi {
			for bi < nb && f.buckets[bi].hi < hi {
				bi++
			}
			if bi == nb {
				return
			}
			if f.buckets[bi].hi != hi {
				continue
			}
			b = &f.buckets[bi]
			ci = 0
		}
		ci = b.find(uint16(v>>16), ci)
		if ci == b.n {
			// skip to the next bucket
			for k+1 < len(u) && uint32(u[k+1]>>32) == hi {
				k++
			}
			ci = 0
			bi++
			if bi == nb {
				return
			}
			b = &f.buckets[bi]
			continue
		}
		if b.key(ci) == uint16(v>>16) && b.has(f.data, ci, uint16(v)) {
			fn(k)
		}
	}
}

func (f *frozen) contains(v uint64) bool {
	hi := uint32(v >> 32)
	for i := range f.buckets {
		b := &f.buckets[i]
		if b.hi == hi {
			k := uint16(v >> 16)
			lo, h := 0, b.n
			for lo < h {
				m := int(uint(lo+h) >> 1)
				if b.key(m) < k {
					lo = m + 1
				} else {
					h = m
				}
			}
			return lo < b.n && b.key(lo) == k && b.has(f.data, lo, uint16(v))
		}
	}
	return false
}

type cand struct {
	k    int32
	off  uint32
	card uint16 // card-1
	typ  uint8  // 0 array, 1 bitmap, 2 run
}

// probeSorted2 is probeSorted in two passes: containers first, then the
// values, touching each key's likely cache line ahead so misses overlap.
func (f *frozen) probeSorted2(u []uint64, cs []cand, fn func(k int)) []cand {
	cs = cs[:0]
	bi := 0
	nb := len(f.buckets)
	if nb == 0 {
		return cs
	}
	b := &f.buckets[0]
	ci := 0
	for k := 0; k < len(u); k++ {
		v := u[k]
		hi := uint32(v >> 32)
		if hi != b.hi {
			for bi < nb && f.buckets[bi].hi < hi {
				bi++
			}
			if bi == nb {
				break
			}
			if f.buckets[bi].hi != hi {
				continue
			}
			b = &f.buckets[bi]
			ci = 0
		}
		ci = b.find(uint16(v>>16), ci)
		if ci == b.n {
			for k+1 < len(u) && uint32(u[k+1]>>32) == hi {
				k++
			}
			ci = 0
			bi++
			if bi == nb {
				break
			}
			b = &f.buckets[bi]
			continue
		}
		if b.key(ci) == uint16(v>>16) {
			c := cand{k: int32(k), off: b.offs[ci], card: binary.LittleEndian.Uint16(b.hdr[4*ci+2:])}
			if b.runs != nil && b.runs[ci/8]&(1<<(ci%8)) != 0 {
				c.typ = 2
			} else if int(c.card)+1 > arrayMax {
				c.typ = 1
			}
			cs = append(cs, c)
		}
	}
	data := f.data
	const block = 32
	var sink uint16
	for s := 0; s < len(cs); s += block {
		e := min(s+block, len(cs))
		for _, c := range cs[s:e] {
			low := uint16(u[c.k])
			card := uint32(c.card) + 1
			g := uint32(low) * card >> 16
			if c.typ == 1 {
				g = uint32(low>>6) * 4
			}
			sink += binary.LittleEndian.Uint16(data[c.off+2*g:])
		}
		for _, c := range cs[s:e] {
			low := uint16(u[c.k])
			var ok bool
			switch c.typ {
			case 0:
				card := int(c.card) + 1
				ok = arrayHas(data[c.off:int(c.off)+2*card], card, low)
			case 1:
				w := binary.LittleEndian.Uint64(data[int(c.off)+8*int(low>>6):])
				ok = w&(1<<(low&63)) != 0
			default:
				ok = runHas(data, int(c.off), low)
			}
			if ok {
				fn(int(c.k))
			}
		}
	}
	if sink == 0xffff {
		cs = cs[:0:0] // keeps sink alive; never true in practice... harmless
	}
	return cs
}

func runHas(data []byte, off int, low uint16) bool {
	nr := int(binary.LittleEndian.Uint16(data[off:]))
	r := data[off+2 : off+2+4*nr]
	lo, hi := 0, nr
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if binary.LittleEndian.Uint16(r[4*m:]) <= low {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return false
	}
	s := binary.LittleEndian.Uint16(r[4*(lo-1):])
	l := binary.LittleEndian.Uint16(r[4*(lo-1)+2:])
	return uint32(low) <= uint32(s)+uint32(l)
}
