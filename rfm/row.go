package rfm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Row is what a RowParser reads: a record's fields by 0-based index.
// csvio.BatchRow satisfies it.
type Row interface {
	NumFields() int
	Field(i int) []byte
}

// Columns say where each field of a purchase is in a row: 0-based
// indexes, -1 for an optional column that is absent.
type Columns struct {
	Customer, Date, Amount  int
	Order, Currency, Return int
}

// FieldNames are the mapping names of purchase columns (--map).
var FieldNames = []string{"customer", "date", "amount", "order", "currency", "return"}

// RowParser turns rows into Events. It is safe for concurrent use: it
// holds configuration only.
type RowParser struct {
	Cols     Columns
	Dates    DateFormat
	Amounts  AmountFormat
	Currency string // configured currency; rows naming another are rejected
}

// RejectError is why a row was rejected: Reason is a short code
// (missing_customer, bad_date, bad_amount, wrong_currency, ...), Field the
// column's mapping name, Detail the human part.
type RejectError struct {
	Reason string
	Field  string
	Detail string
}

func (e *RejectError) Error() string {
	if e.Detail == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Detail
}

// Reasons a row is rejected (RejectError.Reason).
const (
	ReasonMissingCustomer = "missing_customer"
	ReasonMissingOrder    = "missing_order"
	ReasonMissingField    = "missing_field"
	ReasonBadDate         = "bad_date"
	ReasonBadAmount       = "bad_amount"
	ReasonWrongCurrency   = "wrong_currency"
	ReasonBadReturn       = "bad_return_flag"
)

func field[R Row](r R, i int) ([]byte, bool) {
	if i < 0 || i >= r.NumFields() {
		return nil, false
	}
	return r.Field(i), true
}

// Parse reads one row into e. The event's CustomerName points into the
// row's bytes.
func (p *RowParser) Parse(r Row, e *Event) error { return ParseRow(p, r, e) }

// ParseRow is Parse for a concrete row type: no interface conversion (and
// so no allocation) per row on the hot path.
func ParseRow[R Row](p *RowParser, r R, e *Event) error {
	var f rowFields
	f.cust, f.hasCust = field(r, p.Cols.Customer)
	f.date, f.hasDate = field(r, p.Cols.Date)
	f.amt, f.hasAmt = field(r, p.Cols.Amount)
	f.ret, f.hasRet = field(r, p.Cols.Return)
	f.cur, f.hasCur = field(r, p.Cols.Currency)
	f.order, f.hasOrder = field(r, p.Cols.Order)
	return p.parse(&f, e, nil)
}

// ParseSplit is Parse for a record already split in place: field i is
// line[offs[2i]:offs[2i+1]]. dates, when not nil, remembers the last date
// text and its day (files are mostly in date order, so most rows repeat
// the previous row's date); one cache per goroutine.
func (p *RowParser) ParseSplit(line []byte, offs []int32, e *Event, dates *DateCache) error {
	n := len(offs) / 2
	get := func(i int) ([]byte, bool) {
		if i < 0 || i >= n {
			return nil, false
		}
		return line[offs[2*i]:offs[2*i+1]], true
	}
	var f rowFields
	f.cust, f.hasCust = get(p.Cols.Customer)
	f.date, f.hasDate = get(p.Cols.Date)
	f.amt, f.hasAmt = get(p.Cols.Amount)
	f.ret, f.hasRet = get(p.Cols.Return)
	f.cur, f.hasCur = get(p.Cols.Currency)
	f.order, f.hasOrder = get(p.Cols.Order)
	return p.parse(&f, e, dates)
}

// DateCache is ParseSplit's memory of the last date it parsed.
type DateCache struct {
	text [32]byte
	n    int // len of text in use; 0: empty
	day  Day
}

// rowFields are a row's purchase fields; has* is false where the row has
// no such column.
type rowFields struct {
	cust, date, amt, ret, cur, order                   []byte
	hasCust, hasDate, hasAmt, hasRet, hasCur, hasOrder bool
}

func (p *RowParser) parse(f *rowFields, e *Event, dates *DateCache) error {
	cust, ok := f.cust, f.hasCust
	if !ok {
		return &RejectError{ReasonMissingField, "customer", "the row has no customer column"}
	}
	cust = trimSpace(cust)
	if len(cust) == 0 {
		return &RejectError{ReasonMissingCustomer, "customer", "empty customer id"}
	}
	key, numeric := KeyOf(cust)
	e.Customer = key
	e.CustomerName = nil
	if !numeric {
		e.CustomerName = cust
	}
	date, ok := f.date, f.hasDate
	if !ok {
		return &RejectError{ReasonMissingField, "date", "the row has no date column"}
	}
	if dates != nil && dates.n > 0 && len(date) == dates.n && string(date) == string(dates.text[:dates.n]) {
		e.Day = dates.day
	} else {
		d, err := ParseDate(date, p.Dates)
		if err != nil {
			return &RejectError{ReasonBadDate, "date", strings.TrimPrefix(err.Error(), ErrBadDate.Error()+": ")}
		}
		e.Day = d
		if dates != nil && len(date) > 0 && len(date) <= len(dates.text) {
			dates.n = copy(dates.text[:], date)
			dates.day = d
		}
	}
	amt, ok := f.amt, f.hasAmt
	if !ok {
		return &RejectError{ReasonMissingField, "amount", "the row has no amount column"}
	}
	v, err := ParseAmount(amt, p.Amounts)
	if err != nil {
		return &RejectError{ReasonBadAmount, "amount", strings.TrimPrefix(err.Error(), ErrBadAmount.Error()+": ")}
	}
	e.Return = false
	if p.Cols.Return >= 0 {
		f, ok := f.ret, f.hasRet
		if !ok {
			return &RejectError{ReasonMissingField, "return", "the row has no return column"}
		}
		ret, err := parseFlag(f)
		if err != nil {
			return &RejectError{ReasonBadReturn, "return", err.Error()}
		}
		e.Return = ret
	}
	if v < 0 {
		// Many exports write a return as a negative amount.
		e.Return, v = true, -v
	}
	e.Amount = v
	if p.Cols.Currency >= 0 {
		f, ok := f.cur, f.hasCur
		if !ok {
			return &RejectError{ReasonMissingField, "currency", "the row has no currency column"}
		}
		f = trimSpace(f)
		if len(f) > 0 && p.Currency != "" && !strings.EqualFold(string(f), p.Currency) {
			return &RejectError{ReasonWrongCurrency, "currency", fmt.Sprintf("%q, configured currency is %s", clip(f), p.Currency)}
		}
	}
	e.Order = 0
	if p.Cols.Order >= 0 {
		f, ok := f.order, f.hasOrder
		if !ok {
			return &RejectError{ReasonMissingField, "order", "the row has no order column"}
		}
		f = trimSpace(f)
		if len(f) == 0 {
			return &RejectError{ReasonMissingOrder, "order", "empty order id"}
		}
		e.Order, _ = KeyOf(f)
		if e.Order == 0 {
			e.Order = 1 << 62 // "0" is a valid order id; 0 means "no order column"
		}
	}
	return nil
}

var errFlag = errors.New("want true/false, yes/no, 1/0, y/n or r (return)")

func parseFlag(b []byte) (bool, error) {
	b = trimSpace(b)
	switch {
	case len(b) == 0:
		return false, nil
	case bytes.EqualFold(b, []byte("true")), bytes.EqualFold(b, []byte("yes")), bytes.EqualFold(b, []byte("y")),
		bytes.Equal(b, []byte("1")), bytes.EqualFold(b, []byte("r")), bytes.EqualFold(b, []byte("return")):
		return true, nil
	case bytes.EqualFold(b, []byte("false")), bytes.EqualFold(b, []byte("no")), bytes.EqualFold(b, []byte("n")),
		bytes.Equal(b, []byte("0")):
		return false, nil
	}
	return false, fmt.Errorf("%q: %w", clip(b), errFlag)
}
