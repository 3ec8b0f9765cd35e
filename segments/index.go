package segments

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// BuildIndex builds a bit-sliced index of values[k] for customer ids[k]
// in one pass per bit plane. ids must be strictly increasing. Setting
// values one at a time (BSI.SetValue) costs seconds per million; this
// costs milliseconds.
func BuildIndex(ids []uint64, values []int64) (*roaring64.BSI, error) {
	if len(ids) != len(values) {
		return nil, fmt.Errorf("segments: %d ids, %d values", len(ids), len(values))
	}
	var lo, hi int64
	for k, v := range values {
		if k > 0 && ids[k] <= ids[k-1] {
			return nil, fmt.Errorf("segments: ids not strictly increasing at %d", k)
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	// Two's complement over bc+1 planes, the top one the sign, as
	// roaring64.BSI encodes its values.
	bc := bits.Len64(uint64(hi))
	if lo < 0 {
		bc = max(bc, bits.Len64(uint64(^lo)))
	}
	bc = max(bc, 1)
	if bc > 62 {
		return nil, fmt.Errorf("segments: values out of range for an index")
	}
	planes := make([][]uint64, bc+1)
	counts := make([]int, bc+1)
	for _, v := range values {
		u := uint64(v)
		for p := 0; p <= bc; p++ {
			counts[p] += int(u >> p & 1)
		}
	}
	for p := range planes {
		planes[p] = make([]uint64, 0, counts[p])
	}
	for k, v := range values {
		u := uint64(v)
		for p := 0; p <= bc; p++ {
			if u>>p&1 != 0 {
				planes[p] = append(planes[p], ids[k])
			}
		}
	}
	bms := make([]roaring64.Bitmap, bc+2)
	bms[0].AddMany(ids)
	for p := range planes {
		bms[p+1].AddMany(planes[p])
	}
	b := roaring64.NewBSI(hi, lo)
	b.FromBitmaps(bms)
	b.RunOptimize()
	return b, nil
}

// InRange returns the columns of b whose value is in lo..hi (inclusive),
// answering thresholds outside what b's bit planes hold without the index
// (roaring64.BSI only promises right answers for values in its range).
func InRange(b *roaring64.BSI, lo, hi int64) *roaring64.Bitmap {
	exist := b.GetExistenceBitmap()
	if lo > hi || exist.IsEmpty() {
		return roaring64.NewBitmap()
	}
	min, max := int64(math.MinInt64), int64(math.MaxInt64)
	if bc := b.BitCount(); bc < 63 {
		min, max = -(int64(1) << bc), int64(1)<<bc-1
	}
	if hi < min || lo > max {
		return roaring64.NewBitmap()
	}
	lo, hi = maxInt(lo, min), minInt(hi, max)
	return b.CompareValue(0, roaring64.RANGE, lo, hi, nil)
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func minInt(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}
