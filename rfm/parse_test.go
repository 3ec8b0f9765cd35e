package rfm

import (
	"errors"
	"testing"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		f    DateFormat
		want string // YYYY-MM-DD, or "" for an error
	}{
		{"2006-12-31", DateAuto, "2006-12-31"},
		{" 2006-12-31 ", DateAuto, "2006-12-31"},
		{"2006-12-31T23:59:59", DateAuto, "2006-12-31"},
		{"2006-12-31 23:59", DateAuto, "2006-12-31"},
		{"2006-12-31T23:30:00Z", DateAuto, "2006-12-31"},
		{"2006-12-31T23:30:00.123-05:00", DateAuto, "2007-01-01"},
		{"2007-01-01T01:00:00+02:00", DateAuto, "2006-12-31"},
		{"19970101", DateAuto, "1997-01-01"},
		{"1167609600", DateAuto, "2007-01-01"},
		{"0", DateAuto, "1970-01-01"},
		{"-1", DateAuto, "1969-12-31"},
		{"2004-02-29", DateAuto, "2004-02-29"},
		{"2005-02-29", DateAuto, ""},
		{"2006-13-01", DateAuto, ""},
		{"2006-1-01", DateAuto, ""},
		{"19971301", DateAuto, ""},
		{"31/12/2006", DateAuto, ""},
		{"", DateAuto, ""},
		{"2006-12-31T25:00", DateAuto, ""},
		{"2006-12-31T10:00+0100", DateAuto, ""},
		{"1167609600000", DateAuto, ""}, // milliseconds: out of range
		{"19970101", DateUnix, "1970-08-20"},
		{"2006-12-31", DateYYYYMMDD, ""},
		{"20061231", DateISO, ""},
	}
	for _, tt := range tests {
		d, err := ParseDate([]byte(tt.in), tt.f)
		if tt.want == "" {
			if err == nil || !errors.Is(err, ErrBadDate) {
				t.Errorf("ParseDate(%q) = %s, %v; want a bad_date error", tt.in, d, err)
			}
			continue
		}
		if err != nil || d.String() != tt.want {
			t.Errorf("ParseDate(%q) = %s, %v; want %s", tt.in, d, err, tt.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	us := AmountFormat{Exponent: 2}
	tests := []struct {
		in     string
		f      AmountFormat
		want   int64
		reason string // substring of the error, "" for success
	}{
		{"12", us, 1200, ""},
		{"11.77", us, 1177, ""},
		{"0.5", us, 50, ""},
		{".5", us, 50, ""},
		{"-3.10", us, -310, ""},
		{"+4", us, 400, ""},
		{"1.230", us, 123, ""},
		{"1.234", us, 0, "decimal places"},
		{"1,234.50", us, 0, "thousands separator"},
		{"$12", us, 0, "currency symbol"},
		{"12 EUR", us, 0, "thousands separator"},
		{"", us, 0, "empty"},
		{"-", us, 0, "no digits"},
		{"abc", us, 0, "currency symbol"},
		{"99999999999999999999", us, 0, "too large"},
		{"1,234.50", AmountFormat{Exponent: 2, Thousands: ','}, 123450, ""},
		{"1,23.50", AmountFormat{Exponent: 2, Thousands: ','}, 0, "three digits"},
		{"1234,567.00", AmountFormat{Exponent: 2, Thousands: ','}, 0, "three digits"},
		{"1.234,5", AmountFormat{Exponent: 2, Thousands: '.', Decimal: ','}, 123450, ""},
		{"$1,234.50", AmountFormat{Exponent: 2, Thousands: ',', Symbols: true}, 123450, ""},
		{"€ 7", AmountFormat{Exponent: 2, Symbols: true}, 700, ""},
		{"-$7", AmountFormat{Exponent: 2, Symbols: true}, -700, ""},
		{"7 USD", AmountFormat{Exponent: 2, Symbols: true}, 700, ""},
		{"1500", AmountFormat{Exponent: 0}, 1500, ""},
		{"1500.5", AmountFormat{Exponent: 0}, 0, "decimal places"},
	}
	for _, tt := range tests {
		v, err := ParseAmount([]byte(tt.in), tt.f)
		if tt.reason == "" {
			if err != nil || v != tt.want {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, v, err, tt.want)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrBadAmount) || !contains(err.Error(), tt.reason) {
			t.Errorf("ParseAmount(%q) = %d, %v; want error with %q", tt.in, v, err, tt.reason)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestFormatAmount(t *testing.T) {
	for _, tt := range []struct {
		v    int64
		exp  int
		want string
	}{{0, 2, "0.00"}, {5, 2, "0.05"}, {-5, 2, "-0.05"}, {123456, 2, "1234.56"}, {7, 0, "7"}, {-1, 3, "-0.001"}} {
		if got := FormatAmount(tt.v, tt.exp); got != tt.want {
			t.Errorf("FormatAmount(%d, %d) = %q, want %q", tt.v, tt.exp, got, tt.want)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2006-12-31", "2006-12-31T23:30:00.5-05:00", "19970101", "1167609600", "-1", "2006-02-30", "", "9999-99-99T99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate([]byte(s), DateAuto)
		if err != nil {
			if !errors.Is(err, ErrBadDate) {
				t.Fatalf("%q: error %v does not wrap ErrBadDate", s, err)
			}
			return
		}
		if d < minDay || d > maxDay {
			t.Fatalf("%q: day %d out of range", s, d)
		}
		// A date that parsed prints back to a date that parses to itself.
		back, err := ParseDate([]byte(d.String()), DateISO)
		if err != nil || back != d {
			t.Fatalf("%q → %s → %v, %v", s, d, back, err)
		}
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"12", "11.77", "-3.10", "1,234.50", "$12", "", ".", "1e5", "00.010"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, loose bool) {
		af := AmountFormat{Exponent: 2}
		if loose {
			af.Thousands, af.Symbols = ',', true
		}
		v, err := ParseAmount([]byte(s), af)
		if err != nil {
			if !errors.Is(err, ErrBadAmount) {
				t.Fatalf("%q: error %v does not wrap ErrBadAmount", s, err)
			}
			return
		}
		// Round trip: the formatted value parses to the same minor units.
		back, err := ParseAmount([]byte(FormatAmount(v, 2)), AmountFormat{Exponent: 2})
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, FormatAmount(v, 2), back, err)
		}
	})
}
