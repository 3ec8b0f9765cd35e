package suppression

import (
	"encoding/binary"
)

// A dense bitset of a list of a hashed kind: bit id set when the list
// holds the dictionary id. Dictionary ids are dense (0, 1, 2, …), so a
// list's ids fit a bitset of Len bits: 1 MiB for 8M ids. A batch of keys
// looked up in the dictionary then tests each id it found with one load
// that mostly hits the cache, in the batch's own order — no sort of the
// ids by container, no walk of the list's containers.

// denseMinBytes is the size up to which a list always gets a dense
// bitset; above it, only when the bitset is at most denseMaxRatio times
// the list's own size (a list that is big anyway). Sparse lists over a
// big dictionary stay walked: their walks are cheap, and their bitsets
// would be mostly zeros.
const (
	denseMinBytes = 4 << 20
	denseMaxRatio = 2
)

// denseBits returns the list's bitset, built on first use (by any
// reader), or nil for a phone list or one whose bitset would be too big.
func (l *List) denseBits() []uint64 {
	if l.dict == nil {
		return nil
	}
	l.denseOnce.Do(func() { l.dense = l.entries.dense(denseMinBytes, denseMaxRatio) })
	return l.dense
}

// dense returns f (32-bit values) as a bitset of max+1 bits, or nil when
// that takes more than maxBytes and more than ratio times f's size.
func (f *frozen) dense(maxBytes, ratio uint64) []uint64 {
	m, ok := f.maximum()
	if !ok {
		return []uint64{}
	}
	words := m/64 + 1
	if words*8 > maxBytes && words*8 > ratio*f.sizeBytes() {
		return nil
	}
	d := make([]uint64, words)
	for bi := range f.buckets {
		b := &f.buckets[bi]
		if b.hi != 0 {
			return nil // not 32-bit values
		}
		for c := range b.n {
			base := uint64(b.key(c)) << 16
			cn := b.container(f.data, c)
			switch cn.kind {
			case arrayKind:
				for i := range cn.card {
					v := base | uint64(binary.LittleEndian.Uint16(cn.bytes[2*i:]))
					d[v>>6] |= 1 << (v & 63)
				}
			case bitmapKind:
				w := d[base>>6:]
				for i := range bitmapBytes / 8 {
					if x := binary.LittleEndian.Uint64(cn.bytes[8*i:]); x != 0 {
						w[i] |= x
					}
				}
			case runKind:
				for i := range cn.card {
					start := base | uint64(binary.LittleEndian.Uint16(cn.bytes[4*i:]))
					setRange(d, start, start+uint64(binary.LittleEndian.Uint16(cn.bytes[4*i+2:]))+1)
				}
			}
		}
	}
	return d
}

// setRange sets bits [lo, hi) of d.
func setRange(d []uint64, lo, hi uint64) {
	for lo < hi {
		w, b := lo>>6, lo&63
		n := min(64-b, hi-lo)
		mask := ^uint64(0)
		if n < 64 {
			mask = (1<<n - 1) << b
		}
		d[w] |= mask
		lo += n
	}
}

// denseHas reports whether bitset d has bit v.
func denseHas(d []uint64, v uint64) bool {
	w := v >> 6
	return w < uint64(len(d)) && d[w]&(1<<(v&63)) != 0
}
