package record

import (
	"errors"
	"reflect"
	"testing"
)

func purchaseSample() *PurchaseBatch {
	return &PurchaseBatch{At: 1700000000, Actor: "a@b", Source: "orders.csv", Currency: "USD",
		Orders: []uint64{1, 0, 1 << 63}, Customers: []uint64{42, 1<<63 | 7, 42}, Names: []string{"", "Abbey O'Reilly", ""},
		Days: []int32{13000, 12990, -5}, Amounts: []int64{1234, 0, 99}, Returns: []bool{false, true, false}}
}

func TestPurchaseBatchRoundTrip(t *testing.T) {
	r := purchaseSample()
	b := Encode(nil, r)
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("got %#v", got)
	}
	if got.Type().String() != "type(40)" && kinds[TypePurchaseBatch].name != "purchase_batch" {
		t.Fatal("not registered")
	}
	// Truncations never decode.
	for i := 2; i < len(b); i++ {
		if _, err := Decode(b[:i]); err == nil {
			t.Fatalf("decoded a %d-byte prefix of %d", i, len(b))
		}
	}
}

func TestPurchaseBatchBadNameIndex(t *testing.T) {
	r := purchaseSample()
	b := Encode(nil, r)
	// A forged name index beyond the events must be refused, not panic.
	e := encoder{}
	e.buf = append(e.buf, byte(TypePurchaseBatch), codecVersion)
	e.varint(1)
	e.str("")
	e.str("")
	e.str("USD")
	e.uvarint(1)
	e.uvarint(5) // order
	e.uvarint(9) // customer
	e.uvarint(1) // one name
	e.uvarint(3) // at index 3 of 1
	e.str("x")
	e.varint(0)
	e.uvarint(0)
	if _, err := Decode(e.buf); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTruncated) {
		t.Fatalf("forged name index: %v (valid record was %d bytes)", err, len(b))
	}
}

func FuzzDecodePurchaseBatch(f *testing.F) {
	f.Add(Encode(nil, purchaseSample()))
	f.Add(Encode(nil, &PurchaseBatch{Currency: "EUR"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0 {
			b[0] = byte(TypePurchaseBatch)
		}
		r, err := Decode(b)
		if err != nil {
			return
		}
		r2, err := Decode(Encode(nil, r))
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("unstable: %v", err)
		}
	})
}
