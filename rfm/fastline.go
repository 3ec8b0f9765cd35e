package rfm

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
	var cust, date, amt, order []byte
	hasOrder := false
	i := 0
	for f := 0; f < nfields; f++ {
		start := i
		for i < len(data) && data[i] != delim && data[i] != '\n' {
			i++
		}
		fld := data[start:i]
		if f == nfields-1 {
			if i < len(data) && data[i] == delim {
				return 0, false // more fields than the header
			}
			if len(fld) > 0 && fld[len(fld)-1] == '\r' {
				fld = fld[:len(fld)-1]
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
		switch f {
		case p.Cols.Customer:
			cust = fld
		case p.Cols.Date:
			date = fld
		case p.Cols.Amount:
			amt = fld
		case p.Cols.Order:
			order, hasOrder = fld, true
		}
	}
	// Customer.
	if !plainField(cust) {
		return 0, false
	}
	if v, ok := canonicalDecimal(cust); ok {
		e.Customer, e.CustomerName = v, nil
	} else {
		e.Customer, e.CustomerName = hashBytes(cust)|1<<63, cust
	}
	// Date.
	if dates.n == 10 && len(date) == 10 && string(date) == string(dates.text[:10]) {
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
	v, ok := plainAmount(amt, p.Amounts.Exponent)
	if !ok {
		return 0, false
	}
	e.Return = false
	if v < 0 {
		e.Return, v = true, -v
	}
	e.Amount = v
	// Order.
	e.Order = 0
	if p.Cols.Order >= 0 {
		if !hasOrder || !plainField(order) {
			return 0, false
		}
		if k, ok := canonicalDecimal(order); ok {
			e.Order = k
		} else {
			e.Order = hashBytes(order) | 1<<63
		}
		if e.Order == 0 {
			e.Order = 1 << 62
		}
	}
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

// plainAmount reads -?digits[.digits] with at most exp decimals and at
// most 18 digits, in minor units.
func plainAmount(b []byte, exp int) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	var v int64
	n, i := 0, 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 {
		return 0, false
	}
	n = i
	frac := 0
	if i < len(b) {
		if b[i] != '.' {
			return 0, false
		}
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			v = v*10 + int64(b[i]-'0')
			i++
			frac++
		}
		if i < len(b) || frac > exp {
			return 0, false
		}
	}
	if n+exp > 18 {
		return 0, false
	}
	for ; frac < exp; frac++ {
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, true
}
