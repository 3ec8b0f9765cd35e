package rfm

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// CSVHeader is the header of the per-customer CSV AppendCSVRows writes,
// the R rfm package's columns.
const CSVHeader = "customer_id,recency_days,transaction_count,amount,recency_score,frequency_score,monetary_score,rfm_score,segment\n"

// AppendCSVRows appends the per-customer CSV rows (CSVHeader's columns)
// of the scored customers with dense ids lo..hi-1 (lo a multiple of 64),
// in id order. field appends a text field as the CSV writer quotes it;
// it is used for ids that are not numbers and for segment names, never
// for numbers. Disjoint ranges may be formatted on different goroutines.
//
// It reads the result's columns directly: no CustomerScore per row, no
// lookup of the segment's name, one lock of the id dictionary per call
// (10M rows through Each and strconv were ≈ 2 CPU-s).
func (res *Result) AppendCSVRows(dst []byte, lo, hi int, field func(dst, f []byte) []byte) []byte {
	rw := res.rowWriter(field)
	c := res.customers
	c.mu.RLock()
	defer c.mu.RUnlock()
	hi = min(hi, res.n)
	for w := lo / 64; w*64 < hi; w++ {
		word := res.scored[w]
		for word != 0 {
			i := w*64 + trailingZeros(word)
			word &= word - 1
			if i >= hi {
				return dst
			}
			dst = rw.row(dst, i)
		}
	}
	return dst
}

// AppendCSVRowsOf is AppendCSVRows for the given dense ids, in their
// order (a part of CustomerOrder's list). Each id must be scored.
func (res *Result) AppendCSVRowsOf(dst []byte, ids []uint32, field func(dst, f []byte) []byte) []byte {
	rw := res.rowWriter(field)
	c := res.customers
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, id := range ids {
		dst = rw.row(dst, int(id))
	}
	return dst
}

type rowWriter struct {
	res   *Result
	field func(dst, f []byte) []byte
	segs  [][]byte // segment index → its CSV field and the newline
}

func (res *Result) rowWriter(field func(dst, f []byte) []byte) rowWriter {
	segs := make([][]byte, len(res.segments))
	for i, s := range res.segments {
		segs[i] = append(field(nil, []byte(s.Name)), '\n')
	}
	return rowWriter{res, field, segs}
}

// row appends customer i's row; the caller holds the dictionary's lock.
func (rw *rowWriter) row(dst []byte, i int) []byte {
	res, c := rw.res, rw.res.customers
	if k := c.key(uint32(i)); k&(1<<63) == 0 {
		dst = strconv.AppendUint(dst, k, 10)
	} else {
		dst = rw.field(dst, []byte(c.names[uint32(i)]))
	}
	dst = append(dst, ',')
	dst = appendDecimal(dst, int64(res.recency[i]))
	dst = append(dst, ',')
	dst = appendDecimal(dst, int64(res.frequency[i]))
	dst = append(dst, ',')
	dst = AppendAmountTrim(dst, res.monetary[i], res.Exponent)
	r, f, m := res.r[i], res.f[i], res.m[i]
	if r < 10 && f < 10 && m < 10 {
		// The rfm score 100·r + 10·f + m is the three digits.
		dst = append(dst, ',', '0'+r, ',', '0'+f, ',', '0'+m, ',', '0'+r, '0'+f, '0'+m, ',')
	} else {
		dst = append(dst, ',')
		for _, v := range [3]uint8{r, f, m} {
			dst = strconv.AppendUint(dst, uint64(v), 10)
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, 100*uint64(r)+10*uint64(f)+uint64(m), 10)
		dst = append(dst, ',')
	}
	return append(dst, rw.segs[res.seg[i]]...)
}

// CustomerOrder is the order --out lists customers in, ascending customer
// id: canonical decimal ids by their number, then every other id by its
// bytes (the R rfm package's files are sorted by customer_id; a
// first-seen order would change with the file's row order). It returns
// the scored customers' dense ids in that order, or nil when it is their
// id order already (a tally's customers: it numbers them so), which a
// pass over the ids tells.
func (res *Result) CustomerOrder() []uint32 {
	c := res.customers
	c.mu.RLock()
	defer c.mu.RUnlock()
	less := func(a, b uint32) bool { // a's customer id sorts before b's
		ka, kb := c.key(a), c.key(b)
		na, nb := ka&(1<<63) == 0, kb&(1<<63) == 0
		switch {
		case na && nb:
			return ka < kb
		case na != nb:
			return na
		}
		return c.names[a] < c.names[b]
	}
	ordered, prev, any := true, uint32(0), false
	res.eachID(func(id uint32) bool {
		if any && !less(prev, id) {
			ordered = false
			return false
		}
		prev, any = id, true
		return true
	})
	if ordered {
		return nil
	}
	// Numbers sorted as (key, id) pairs, then names.
	type keyed struct {
		key uint64
		id  uint32
	}
	var nums []keyed
	var named []uint32
	res.eachID(func(id uint32) bool {
		if k := c.key(id); k&(1<<63) == 0 {
			nums = append(nums, keyed{k, id})
		} else {
			named = append(named, id)
		}
		return true
	})
	slices.SortFunc(nums, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	slices.SortFunc(named, func(a, b uint32) int { return strings.Compare(c.names[a], c.names[b]) })
	out := make([]uint32, 0, len(nums)+len(named))
	for _, k := range nums {
		out = append(out, k.id)
	}
	return append(out, named...)
}

// eachID calls fn with every scored dense id, ascending, until it returns
// false.
func (res *Result) eachID(fn func(uint32) bool) {
	for w, word := range res.scored {
		for word != 0 {
			if !fn(uint32(w*64 + trailingZeros(word))) {
				return
			}
			word &= word - 1
		}
	}
}

// appendDecimal is strconv.AppendInt with the one- and two-digit values
// (most recencies' and frequencies' digits) written directly.
func appendDecimal(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v < 10:
		return append(dst, byte('0'+v))
	case v >= 10 && v < 100:
		return append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	return strconv.AppendInt(dst, v, 10)
}
