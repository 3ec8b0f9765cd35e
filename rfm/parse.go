package rfm

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Day is a UTC calendar day: days since 1970-01-01.
type Day int32

// DayOf returns the UTC calendar day of t.
func DayOf(t time.Time) Day {
	return Day(floorDiv(t.Unix(), 86400))
}

// Time is the start (00:00 UTC) of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats d as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format("2006-01-02") }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Parse errors callers can branch on; the reason strings of rejected rows
// come from their text.
var (
	ErrBadDate   = errors.New("bad_date")
	ErrBadAmount = errors.New("bad_amount")
)

// DateFormat says how order dates are written.
type DateFormat uint8

const (
	// DateAuto accepts ISO 8601 dates (2006-01-02) and date-times
	// (2006-01-02T15:04:05, optional fraction, Z or ±hh:mm; a space may
	// replace the T), YYYYMMDD, and Unix seconds (any other run of digits).
	// Date-times with an offset are converted to UTC before the day is
	// taken; without one they are taken as UTC.
	DateAuto DateFormat = iota
	DateISO
	DateYYYYMMDD
	DateUnix
)

// ParseDateFormat reads a --date-format value.
func ParseDateFormat(s string) (DateFormat, error) {
	switch s {
	case "", "auto":
		return DateAuto, nil
	case "iso", "iso8601":
		return DateISO, nil
	case "yyyymmdd", "YYYYMMDD":
		return DateYYYYMMDD, nil
	case "unix", "unix-seconds":
		return DateUnix, nil
	}
	return 0, fmt.Errorf("unknown date format %q (want auto, iso, yyyymmdd or unix)", s)
}

// minDay and maxDay bound the dates hush accepts: 1900-01-01 .. 2199-12-31.
// Anything outside is a typo or a unit mix-up (milliseconds as seconds).
const (
	minDay Day = -25567
	maxDay Day = 84006
)

// ParseDate parses one order date.
func ParseDate(b []byte, f DateFormat) (Day, error) {
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty", ErrBadDate)
	}
	var d Day
	var err error
	switch f {
	case DateISO:
		d, err = parseISO(b)
	case DateYYYYMMDD:
		d, err = parseCompact(b)
	case DateUnix:
		d, err = parseUnix(b)
	default:
		switch {
		case len(b) >= 10 && b[4] == '-':
			d, err = parseISO(b)
		case len(b) == 8 && allDigits(b):
			d, err = parseCompact(b)
		case allDigits(b) || (b[0] == '-' && len(b) > 1 && allDigits(b[1:])):
			d, err = parseUnix(b)
		default:
			err = fmt.Errorf("%w: %q is not ISO 8601, YYYYMMDD or Unix seconds", ErrBadDate, clip(b))
		}
	}
	if err != nil {
		return 0, err
	}
	if d < minDay || d > maxDay {
		return 0, fmt.Errorf("%w: %q is outside 1900..2199", ErrBadDate, clip(b))
	}
	return d, nil
}

func allDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

// civil returns the day of y-m-d, checking the day exists.
func civil(y, m, d int) (Day, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1 || y > 9999 {
		return 0, false
	}
	if d > daysIn(y, m) {
		return 0, false
	}
	// Howard Hinnant's days_from_civil.
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Day(era*146097 + doe - 719468), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func parseCompact(b []byte) (Day, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: %q is not YYYYMMDD", ErrBadDate, clip(b))
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[4:6])
	d, ok3 := digits(b[6:8])
	day, ok := civil(y, m, d)
	if !ok1 || !ok2 || !ok3 || !ok {
		return 0, fmt.Errorf("%w: %q is not a valid YYYYMMDD date", ErrBadDate, clip(b))
	}
	return day, nil
}

func parseUnix(b []byte) (Day, error) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if !allDigits(b) || len(b) > 12 {
		return 0, fmt.Errorf("%w: %q is not Unix seconds", ErrBadDate, clip(b))
	}
	var s int64
	for _, c := range b {
		s = s*10 + int64(c-'0')
	}
	if neg {
		s = -s
	}
	return Day(floorDiv(s, 86400)), nil
}

func parseISO(b []byte) (Day, error) {
	bad := func() (Day, error) {
		return 0, fmt.Errorf("%w: %q is not an ISO 8601 date or date-time", ErrBadDate, clip(b))
	}
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return bad()
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	day, ok := civil(y, m, d)
	if !ok1 || !ok2 || !ok3 || !ok {
		return bad()
	}
	if len(b) == 10 {
		return day, nil
	}
	rest := b[10:]
	if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
		return bad()
	}
	rest = rest[1:]
	// hh:mm[:ss[.frac]]
	if len(rest) < 5 || rest[2] != ':' {
		return bad()
	}
	hh, okh := digits(rest[0:2])
	mm, okm := digits(rest[3:5])
	if !okh || !okm || hh > 23 || mm > 59 {
		return bad()
	}
	secs := hh*3600 + mm*60
	rest = rest[5:]
	if len(rest) >= 3 && rest[0] == ':' {
		ss, oks := digits(rest[1:3])
		if !oks || ss > 60 {
			return bad()
		}
		secs += ss
		rest = rest[3:]
		if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if i == 1 {
				return bad()
			}
			rest = rest[i:]
		}
	}
	offset := 0
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return bad()
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return bad()
	}
	utc := int64(day)*86400 + int64(secs) - int64(offset)
	return Day(floorDiv(utc, 86400)), nil
}

// AmountFormat says how amounts are written. The zero value accepts plain
// decimals with a '.' separator ("1234.56", "-3", "+0.5") and rejects
// anything else, thousands separators and currency symbols included: a
// silent misreading of "1,234" as 1 or 1234 is worse than a rejected row.
type AmountFormat struct {
	// Exponent is the number of minor-unit digits (2 for USD/EUR, 0 for
	// JPY, 3 for KWD). More fractional digits than that are rejected
	// unless they are zeros.
	Exponent int
	// Decimal is the decimal separator, '.' when 0.
	Decimal byte
	// Thousands, when not 0, is a grouping separator to skip (',' '.' ' '
	// or '\''); groups must be three digits.
	Thousands byte
	// Symbols lets a leading or trailing currency symbol or code ($, €, £,
	// ¥, USD, ...) through; the currency column, not the symbol, is
	// checked against the configured currency.
	Symbols bool
}

// ParseAmount parses a decimal amount into minor units.
func ParseAmount(b []byte, f AmountFormat) (int64, error) {
	orig := b
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty", ErrBadAmount)
	}
	dec := f.Decimal
	if dec == 0 {
		dec = '.'
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = trimSpace(b[1:])
	}
	if f.Symbols {
		b = stripSymbols(b)
		if len(b) > 0 && (b[0] == '-' || b[0] == '+') && !neg {
			neg = b[0] == '-'
			b = trimSpace(b[1:])
		}
	}
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: %q has no digits", ErrBadAmount, clip(orig))
	}
	var v int64
	const limit = (1<<63 - 1) / 10
	intDigits, fracDigits := 0, 0
	group := -1 // digits since the last thousands separator; -1 before any
	inFrac := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if inFrac {
				if fracDigits >= f.Exponent {
					if c != '0' {
						return 0, fmt.Errorf("%w: %q has more than %d decimal places", ErrBadAmount, clip(orig), f.Exponent)
					}
					continue
				}
				fracDigits++
			} else {
				intDigits++
				if group >= 0 {
					group++
					if group > 3 {
						return 0, fmt.Errorf("%w: %q has a digit group that is not three digits", ErrBadAmount, clip(orig))
					}
				}
			}
			if v > limit {
				return 0, fmt.Errorf("%w: %q is too large", ErrBadAmount, clip(orig))
			}
			v = v*10 + int64(c-'0')
		case c == dec && !inFrac:
			if group >= 0 && group != 3 {
				return 0, fmt.Errorf("%w: %q has a digit group that is not three digits", ErrBadAmount, clip(orig))
			}
			inFrac = true
		case f.Thousands != 0 && c == f.Thousands && !inFrac && intDigits > 0:
			if group >= 0 && group != 3 || group < 0 && intDigits > 3 {
				return 0, fmt.Errorf("%w: %q has a digit group that is not three digits", ErrBadAmount, clip(orig))
			}
			group = 0
		default:
			reason := "is not a plain decimal number"
			switch {
			case c == ',' || c == '\'' || c == ' ' || (c == '.' && dec != '.'):
				reason = "has a thousands separator (say how to read it with --thousands)"
			case isSymbolByte(c):
				reason = "has a currency symbol (accept symbols with --currency-symbols)"
			}
			return 0, fmt.Errorf("%w: %q %s", ErrBadAmount, clip(orig), reason)
		}
	}
	if intDigits == 0 && fracDigits == 0 {
		return 0, fmt.Errorf("%w: %q has no digits", ErrBadAmount, clip(orig))
	}
	if group >= 0 && !inFrac && group != 3 {
		return 0, fmt.Errorf("%w: %q has a digit group that is not three digits", ErrBadAmount, clip(orig))
	}
	for ; fracDigits < f.Exponent; fracDigits++ {
		if v > limit {
			return 0, fmt.Errorf("%w: %q is too large", ErrBadAmount, clip(orig))
		}
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, nil
}

func isSymbolByte(c byte) bool {
	return c == '$' || c >= 0x80 || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}

var symbolPrefixes = []string{"US$", "$", "€", "£", "¥", "₹", "₩", "₽", "CHF", "USD", "EUR", "GBP", "JPY", "CNY", "RMB", "CAD", "AUD", "INR"}

func stripSymbols(b []byte) []byte {
	for _, p := range symbolPrefixes {
		if len(b) >= len(p) && string(b[:len(p)]) == p {
			b = trimSpace(b[len(p):])
			break
		}
	}
	for _, p := range symbolPrefixes {
		if len(b) >= len(p) && string(b[len(b)-len(p):]) == p {
			b = trimSpace(b[:len(b)-len(p)])
			break
		}
	}
	return b
}

// FormatAmount writes minor units as a decimal with exp fraction digits.
func FormatAmount(v int64, exp int) string {
	return string(AppendAmount(nil, v, exp))
}

// AppendAmount appends v (minor units) as a decimal with exp fraction digits.
func AppendAmount(dst []byte, v int64, exp int) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = -u
	}
	var buf [24]byte
	digits := strconv.AppendUint(buf[:0], u, 10)
	if len(digits) <= exp {
		var pad [48]byte
		n := exp + 1 - len(digits)
		for i := range n {
			pad[i] = '0'
		}
		digits = append(pad[:n], digits...)
	}
	if exp <= 0 {
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-exp]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-exp:]...)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// CurrencyExponent is the number of minor-unit digits of an ISO 4217 code:
// 0 for JPY, KRW and a few more, 3 for the dinars, 2 otherwise.
func CurrencyExponent(code string) int {
	switch code {
	case "JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF":
		return 0
	case "BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD":
		return 3
	}
	return 2
}

// FormatAmountTrim is FormatAmount without a fraction of zeros: 472.00
// prints as 472, 11.50 as 11.5.
func FormatAmountTrim(v int64, exp int) string {
	return string(AppendAmountTrim(nil, v, exp))
}

// AppendAmountTrim appends FormatAmountTrim's text.
func AppendAmountTrim(dst []byte, v int64, exp int) []byte {
	start := len(dst)
	dst = AppendAmount(dst, v, exp)
	if exp > 0 {
		for len(dst) > start && dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if len(dst) > start && dst[len(dst)-1] == '.' {
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}
