package segments

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxScale bounds the fraction digits of a literal.
const maxScale = 6

// Decimal is an exact decimal literal: Units × 10^-Scale. Money is never
// a float in hush, so neither is a threshold on it.
type Decimal struct {
	Units int64
	Scale uint8
}

var errDecimal = errors.New("not a decimal number")

// ParseDecimal reads "500", "-3", "12.50", "1_000".
func ParseDecimal(s string) (Decimal, error) {
	t := strings.ReplaceAll(s, "_", "")
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" || (hasDot && frac == "") || strings.Contains(frac, ".") {
		return Decimal{}, fmt.Errorf("%q: %w", s, errDecimal)
	}
	if len(frac) > maxScale {
		return Decimal{}, fmt.Errorf("%q: more than %d digits after the point", s, maxScale)
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return Decimal{}, fmt.Errorf("%q: %w", s, errDecimal)
		}
	}
	u, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return Decimal{}, fmt.Errorf("%q: out of range", s)
	}
	if neg {
		u = -u
	}
	return Decimal{Units: u, Scale: uint8(len(frac))}, nil
}

// String prints the literal without trailing zeros after the point.
func (d Decimal) String() string {
	if d.Scale == 0 {
		return strconv.FormatInt(d.Units, 10)
	}
	neg := d.Units < 0
	u := d.Units
	if neg {
		u = -u
	}
	s := strconv.FormatUint(uint64(u), 10)
	for len(s) <= int(d.Scale) {
		s = "0" + s
	}
	cut := len(s) - int(d.Scale)
	out := s[:cut]
	if frac := strings.TrimRight(s[cut:], "0"); frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

var pow10 = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// inUnits returns d × 10^decimals as floor and ceil (equal when exact),
// or ok=false when the result does not fit an int64.
func (d Decimal) inUnits(decimals uint8) (floor, ceil int64, ok bool) {
	if int(decimals) >= len(pow10) {
		return 0, 0, false
	}
	if decimals >= d.Scale {
		m := pow10[decimals-d.Scale]
		if d.Units > math.MaxInt64/m || d.Units < math.MinInt64/m {
			return 0, 0, false
		}
		v := d.Units * m
		return v, v, true
	}
	den := pow10[d.Scale-decimals]
	q, r := d.Units/den, d.Units%den
	switch {
	case r == 0:
		return q, q, true
	case r > 0:
		return q, q + 1, true
	default:
		return q - 1, q, true
	}
}
