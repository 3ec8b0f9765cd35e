package rfm

import "strconv"

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
	segs := make([][]byte, len(res.segments))
	for i, s := range res.segments {
		segs[i] = append(field(nil, []byte(s.Name)), '\n')
	}
	c := res.customers
	c.mu.RLock()
	defer c.mu.RUnlock()
	hi = min(hi, res.n)
	exp := res.Exponent
	for w := lo / 64; w*64 < hi; w++ {
		word := res.scored[w]
		for word != 0 {
			i := w*64 + trailingZeros(word)
			word &= word - 1
			if i >= hi {
				return dst
			}
			if k := c.key(uint32(i)); k&(1<<63) == 0 {
				dst = strconv.AppendUint(dst, k, 10)
			} else {
				dst = field(dst, []byte(c.names[uint32(i)]))
			}
			dst = append(dst, ',')
			dst = appendDecimal(dst, int64(res.recency[i]))
			dst = append(dst, ',')
			dst = appendDecimal(dst, int64(res.frequency[i]))
			dst = append(dst, ',')
			dst = AppendAmountTrim(dst, res.monetary[i], exp)
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
			dst = append(dst, segs[res.seg[i]]...)
		}
	}
	return dst
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
