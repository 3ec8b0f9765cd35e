package rfm

import (
	"encoding/binary"
	"math/bits"
)

// The fused line parser: the usual order export (numbers, ISO dates,
// plain decimals, no quotes) read in one pass over the record's bytes,
// the fields parsed where they lie. It decides only what it is sure of:
// any other record (spaces around a field, a sign other than '-', more
// decimals than the currency has, a bad date, a short row, a return or
// currency column ...) is left to the general path (split, then
// ParseSplit), which also words the rejects. So an event it gives is the
// event ParseSplit gives; a fuzz test holds the two to that.

// FastLines reports whether ParseLine can read records for p with
// delimiter delim.
func (p *RowParser) FastLines(delim byte) bool {
	switch delim {
	case '\n', '\r', '-', '.', '+', ' ', '\t', '"':
		return false
	}
	if delim >= '0' && delim <= '9' {
		return false
	}
	a := p.Amounts
	return (p.Dates == DateAuto || p.Dates == DateISO) &&
		(a.Decimal == 0 || a.Decimal == '.') && a.Thousands == 0 && !a.Symbols && a.Exponent >= 0 && a.Exponent <= 9 &&
		p.Cols.Return < 0 && p.Cols.Currency < 0 && p.Cols.Customer >= 0 && p.Cols.Date >= 0 && p.Cols.Amount >= 0
}

// ParseLine reads the record at the start of data (nfields fields split
// by delim, ended by "\n", "\r\n" or the end of data) into e. It returns
// the bytes the record took, newline included, and true; or false when
// the record is for the general path (e is then undefined). Call it only
// when FastLines(delim) holds.
func (p *RowParser) ParseLine(data []byte, delim byte, nfields int, e *Event, dates *DateCache) (int, bool) {
	if nfields == 4 && p.Cols.Order == 0 && p.Cols.Customer == 1 && p.Cols.Date == 2 && p.Cols.Amount == 3 {
		if n, ok := p.parsePlain(data, delim, e, dates); ok {
			return n, true
		}
	}
	return p.parseFields(data, delim, nfields, e, dates)
}

// parsePlain reads the plainest record of all, the usual export's
// "order_id,customer_id,YYYY-MM-DD,amount" with canonical decimal ids,
// straight through: no loop over fields, no scan for the delimiter after
// a field already read. It takes a strict subset of what parseFields
// takes, with the same event and length (a test holds it to that); any
// other record, a hashed id, an odd date or amount, is left to
// parseFields.
func (p *RowParser) parsePlain(data []byte, delim byte, e *Event, dates *DateCache) (int, bool) {
	order, n := scanDigits(data, 0)
	if n == 0 || n > 19 || n >= len(data) || data[n] != delim || (n > 1 && data[0] == '0') || order >= 1<<63 {
		return 0, false
	}
	i := n + 1
	cust, m := scanDigits(data, i)
	if m == 0 || m > 19 || i+m >= len(data) || data[i+m] != delim || (m > 1 && data[i] == '0') || cust >= 1<<63 {
		return 0, false
	}
	i += m + 1
	if i+11 > len(data) || data[i+10] != delim {
		return 0, false
	}
	if dates.n == 10 && sameDate(data[i:i+10], dates) {
		e.Day = dates.day
	} else {
		d, ok := isoDay(data[i : i+10])
		if !ok {
			return 0, false
		}
		e.Day = d
		dates.n = copy(dates.text[:], data[i:i+10])
		dates.day = d
	}
	i += 11
	// Amount: -?digits[.digits], at most the currency's decimals, at most
	// 18 digits in all, then the end of the record.
	neg := i < len(data) && data[i] == '-'
	if neg {
		i++
	}
	var a int64
	whole, frac := 0, 0
	if v, w, f, n, ok := shortAmount(data, i); ok {
		a, whole, frac, i = v, w, f, i+n
	} else {
		ds := i
		for i < len(data) && data[i]-'0' <= 9 {
			a = a*10 + int64(data[i]-'0')
			i++
		}
		whole = i - ds
		if whole == 0 {
			return 0, false
		}
		if i < len(data) && data[i] == '.' {
			i++
			for i < len(data) && data[i]-'0' <= 9 {
				a = a*10 + int64(data[i]-'0')
				i++
				frac++
			}
		}
	}
	exp := p.Amounts.Exponent
	if frac > exp || whole+exp > 18 {
		return 0, false
	}
	switch {
	case i == len(data):
	case data[i] == '\n':
		i++
	case data[i] == '\r' && (i+1 == len(data) || data[i+1] == '\n'):
		i += min(2, len(data)-i)
	default:
		return 0, false
	}
	for ; frac < exp; frac++ {
		a *= 10
	}
	if order == 0 {
		order = 1 << 62 // "0" is a valid order id; 0 means "no order column"
	}
	e.Order, e.Customer, e.CustomerName = order, cust, nil
	e.Return, e.Amount = false, a
	if neg && a != 0 {
		e.Return = true
	}
	return i, true
}

// shortAmount reads an amount of at most 7 digits and 8 bytes, dot and
// the byte after it included ("55.62\n", "5.\n", "120,"), from one 8-byte
// load: its digits' value (the dot dropped), whole and fraction digits,
// and the bytes up to the first non-digit after them. ok is false for
// anything else (no whole digit, a longer amount, fewer than 8 bytes
// left), which the byte-at-a-time loop reads instead.
func shortAmount(data []byte, i int) (v int64, whole, frac, n int, ok bool) {
	if i+8 > len(data) {
		return 0, 0, 0, 0, false
	}
	x := binary.LittleEndian.Uint64(data[i:])
	nd := nonDigits(x)
	if nd == 0 {
		return 0, 0, 0, 0, false
	}
	k := bits.TrailingZeros64(nd) / 8
	if k == 0 || k > 6 {
		return 0, 0, 0, 0, false
	}
	low := uint64(1)<<(8*k) - 1
	if byte(x>>(8*k)) != '.' {
		// Whole digits only.
		return int64(eightDigits((x & low) << (8 * (8 - k)))), k, 0, k, true
	}
	// The first non-digit after the dot (a byte before it of 0xFA or
	// more could carry into its test, but those bytes are digits and the
	// dot).
	rest := nd &^ (low<<8 | 0xFF)
	if rest == 0 {
		return 0, 0, 0, 0, false
	}
	j := bits.TrailingZeros64(rest) / 8
	t := j - 1 // digits, the dot dropped
	y := x&low | (x>>8)&^low
	y = (y & (uint64(1)<<(8*t) - 1)) << (8 * (8 - t))
	return int64(eightDigits(y)), k, j - k - 1, j, true
}

// nonDigits has a non-zero byte where x has a byte that is not an ASCII
// digit, at least up to and including the first such byte (see
// scanDigits).
func nonDigits(x uint64) uint64 {
	return (x&0xF0F0F0F0F0F0F0F0 ^ 0x3030303030303030) | ((x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0 ^ 0x3030303030303030)
}

// parseFields is ParseLine for any column layout: a loop over the fields.
func (p *RowParser) parseFields(data []byte, delim byte, nfields int, e *Event, dates *DateCache) (int, bool) {
	var date []byte
	var amount int64
	haveCust, haveOrder, haveAmount := false, false, false
	i := 0
	for f := 0; f < nfields; f++ {
		start := i
		numeric := f == p.Cols.Customer || f == p.Cols.Order
		var v uint64
		if numeric {
			// Digits as they are scanned: most ids are numbers.
			var n int
			v, n = scanDigits(data, i)
			i += n
			numeric = n > 0 && n <= 19 && (data[start] != '0' || n == 1) && v < 1<<63
		} else if f == p.Cols.Date {
			// Most rows repeat the last row's date: skip its bytes.
			if dates.n == 10 && i+10 <= len(data) && sameDate(data[i:i+10], dates) {
				i += 10
			}
		} else if f == p.Cols.Amount {
			// -?digits[.digits], at most the currency's decimals, at
			// most 18 digits in all.
			neg := i < len(data) && data[i] == '-'
			if neg {
				i++
			}
			ds := i
			var a int64
			for i < len(data) && data[i]-'0' <= 9 {
				a = a*10 + int64(data[i]-'0')
				i++
			}
			whole, frac := i-ds, 0
			if whole > 0 && i < len(data) && data[i] == '.' {
				i++
				for i < len(data) && data[i]-'0' <= 9 {
					a = a*10 + int64(data[i]-'0')
					i++
					frac++
				}
			}
			exp := p.Amounts.Exponent
			haveAmount = whole > 0 && frac <= exp && whole+exp <= 18
			for ; frac < exp; frac++ {
				a *= 10
			}
			if neg {
				a = -a
			}
			amount = a
		}
		dend := i
		for i < len(data) && data[i] != delim && data[i] != '\n' {
			i++
		}
		end := i
		if f == nfields-1 {
			if i < len(data) && data[i] == delim {
				return 0, false // more fields than the header
			}
			if end > start && data[end-1] == '\r' {
				end--
			}
			if i < len(data) {
				i++ // the newline
			}
		} else {
			if i >= len(data) || data[i] != delim {
				return 0, false // fewer fields
			}
			i++
		}
		fld := data[start:end]
		numeric = numeric && dend == end // digits and nothing else: canonical decimal
		switch f {
		case p.Cols.Customer:
			if !plainField(fld) {
				return 0, false
			}
			if numeric {
				e.Customer, e.CustomerName = v, nil
			} else {
				e.Customer, e.CustomerName = hashBytes(fld)|1<<63, fld
			}
			haveCust = true
		case p.Cols.Date:
			date = fld
		case p.Cols.Amount:
			haveAmount = haveAmount && dend == end
		case p.Cols.Order:
			if !plainField(fld) {
				return 0, false
			}
			if numeric {
				e.Order = v
			} else {
				e.Order, _ = KeyOf(fld)
			}
			if e.Order == 0 {
				e.Order = 1 << 62
			}
			haveOrder = true
		}
	}
	if !haveCust || p.Cols.Order >= 0 && !haveOrder {
		return 0, false
	}
	if p.Cols.Order < 0 {
		e.Order = 0
	}
	// Date.
	if dates.n == 10 && len(date) == 10 && sameDate(date, dates) {
		e.Day = dates.day
	} else {
		d, ok := isoDay(date)
		if !ok {
			return 0, false
		}
		e.Day = d
		dates.n = copy(dates.text[:], date)
		dates.day = d
	}
	// Amount.
	if !haveAmount {
		return 0, false
	}
	v := amount
	e.Return = false
	if v < 0 {
		e.Return, v = true, -v
	}
	e.Amount = v
	return i, true
}

// plainField: not empty, no space or tab at either end (what trimSpace
// would leave as it is).
func plainField(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	c, d := b[0], b[len(b)-1]
	return c != ' ' && c != '\t' && d != ' ' && d != '\t'
}

// isoDay reads YYYY-MM-DD inside the accepted range.
func isoDay(b []byte) (Day, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	var y, m, d int
	for _, c := range b[0:4] {
		if c < '0' || c > '9' {
			return 0, false
		}
		y = y*10 + int(c-'0')
	}
	for _, c := range b[5:7] {
		if c < '0' || c > '9' {
			return 0, false
		}
		m = m*10 + int(c-'0')
	}
	for _, c := range b[8:10] {
		if c < '0' || c > '9' {
			return 0, false
		}
		d = d*10 + int(c-'0')
	}
	day, ok := civil(y, m, d)
	if !ok || day < minDay || day > maxDay {
		return 0, false
	}
	return day, true
}

// sameDate: the 10 bytes of b are the cached date's (dates.n == 10).
func sameDate(b []byte, dates *DateCache) bool {
	return binary.LittleEndian.Uint64(b) == binary.LittleEndian.Uint64(dates.text[:8]) &&
		binary.LittleEndian.Uint16(b[8:]) == binary.LittleEndian.Uint16(dates.text[8:10])
}

// scanDigits reads the run of ASCII digits at data[i:]: its value (exact
// up to 19 digits) and length. Eight bytes at a time where there are
// eight: a digit is a byte 0x30..0x39, which the two nibble tests below
// tell without a branch per byte (a byte from 0xFA up carries into the
// next one's test, but is itself no digit, so the first non-digit found
// is still the first one).
func scanDigits(data []byte, i int) (uint64, int) {
	start := i
	var v uint64
	for i+8 <= len(data) {
		x := binary.LittleEndian.Uint64(data[i:])
		nd := nonDigits(x)
		k := 8
		if nd != 0 {
			k = bits.TrailingZeros64(nd) / 8
		}
		if k > 0 {
			if k < 8 {
				x = (x & (1<<(8*k) - 1)) << (8 * (8 - k)) // leading zeros
			}
			v = v*pow10u[k] + eightDigits(x)
			i += k
		}
		if k < 8 {
			return v, i - start
		}
	}
	for i < len(data) && data[i]-'0' <= 9 {
		v = v*10 + uint64(data[i]-'0')
		i++
	}
	return v, i - start
}

var pow10u = [9]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// eightDigits is the value of eight decimal digits (ASCII, or 0 bytes for
// leading zeros), the first in the lowest byte: three multiplies that
// add neighbouring digits, then pairs, then quads (Lemire's method).
func eightDigits(x uint64) uint64 {
	x = (x & 0x0F0F0F0F0F0F0F0F) * 2561 >> 8
	x = (x & 0x00FF00FF00FF00FF) * 6553601 >> 16
	return (x & 0x0000FFFF0000FFFF) * 42949672960001 >> 32
}
