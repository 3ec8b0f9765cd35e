package record

import "fmt"

// Purchase and RFM records: type numbers 40–59.
const (
	TypePurchaseBatch Type = 40
)

func init() {
	register(TypePurchaseBatch, "purchase_batch", func() Record { return &PurchaseBatch{} })
}

// PurchaseBatch carries purchase events of one ingest, in file order. The
// slices are parallel. Orders are order-id keys (0: the row had no order
// id and no content key); Customers are customer keys (rfm.KeyOf); Names
// hold the id text for non-numeric customer keys and "" otherwise; Days
// are UTC days since 1970; Amounts are minor units of Currency, always
// >= 0; Returns flags returns (they lower monetary and are not orders).
type PurchaseBatch struct {
	At        int64
	Actor     string
	Source    string
	Currency  string
	Orders    []uint64
	Customers []uint64
	Names     []string
	Days      []int32
	Amounts   []int64
	Returns   []bool
}

func (*PurchaseBatch) Type() Type { return TypePurchaseBatch }

// Len is the number of events.
func (r *PurchaseBatch) Len() int { return len(r.Customers) }

func (r *PurchaseBatch) encode(e *encoder) {
	e.varint(r.At)
	e.str(r.Actor)
	e.str(r.Source)
	e.str(r.Currency)
	n := len(r.Customers)
	e.uvarint(uint64(n))
	for _, o := range r.Orders {
		e.uvarint(o)
	}
	for _, c := range r.Customers {
		e.uvarint(c)
	}
	named := 0
	for _, s := range r.Names {
		if s != "" {
			named++
		}
	}
	e.uvarint(uint64(named))
	for i, s := range r.Names {
		if s != "" {
			e.uvarint(uint64(i))
			e.str(s)
		}
	}
	var prev int32
	for _, d := range r.Days {
		e.varint(int64(d - prev))
		prev = d
	}
	for i, a := range r.Amounts {
		v := uint64(a) << 1
		if i < len(r.Returns) && r.Returns[i] {
			v |= 1
		}
		e.uvarint(v)
	}
}

func (r *PurchaseBatch) decode(d *decoder) {
	r.At = d.varint()
	r.Actor = d.str()
	r.Source = d.str()
	r.Currency = d.str()
	// Every event takes at least 4 bytes (order, customer, day, amount).
	n := int(d.count(4))
	if d.err != nil {
		return
	}
	r.Orders = make([]uint64, n)
	for i := range r.Orders {
		r.Orders[i] = d.uvarint()
	}
	r.Customers = make([]uint64, n)
	for i := range r.Customers {
		r.Customers[i] = d.uvarint()
	}
	r.Names = make([]string, n)
	named := int(d.count(2))
	last := -1
	for range named {
		i := d.uvarint()
		if d.err != nil {
			return
		}
		if i >= uint64(n) || int(i) <= last {
			d.fail(fmt.Errorf("%w: purchase name index %d", ErrInvalid, i))
			return
		}
		last = int(i)
		r.Names[i] = d.str()
	}
	r.Days = make([]int32, n)
	var prev int32
	for i := range r.Days {
		prev += int32(d.varint())
		r.Days[i] = prev
	}
	r.Amounts = make([]int64, n)
	r.Returns = make([]bool, n)
	for i := range r.Amounts {
		v := d.uvarint()
		if v>>1 > 1<<62 {
			d.fail(fmt.Errorf("%w: purchase amount", ErrInvalid))
			return
		}
		r.Amounts[i] = int64(v >> 1)
		r.Returns[i] = v&1 == 1
	}
}
