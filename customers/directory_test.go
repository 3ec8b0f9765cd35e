package customers

import (
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/suppression"
)

// TestPublishedViewsNeverChange: a view a reader holds stays as it was
// while the builder replaces customers and adds new ones.
func TestPublishedViewsNeverChange(t *testing.T) {
	b := NewBuilder(Empty())
	for id := range uint32(5000) { // more than one chunk
		b.Put(id, Customer{ExternalID: "c", Phones: []uint64{12025550000 + uint64(id)}}, []string{"America/New_York"})
	}
	v1 := b.Publish(1)
	b.Put(3, Customer{ExternalID: "c3-new", Emails: []string{"x@example.com"}, EmailKeys: []uint64{9}}, nil)
	b.Put(6000, Customer{ExternalID: "c6000", Address: "1 Main St", AddressKey: 4}, nil)
	v2 := b.Publish(2)

	if c, _ := v1.Get(3); c.ExternalID != "c" || len(c.Phones) != 1 {
		t.Fatalf("old view changed: %+v", c)
	}
	if v1.Len() != 5000 || v1.With(contactkey.KindPhone).GetCardinality() != 5000 || v1.With(contactkey.KindEmail).GetCardinality() != 0 {
		t.Fatalf("old view bitmaps changed: %d %d", v1.Len(), v1.With(contactkey.KindPhone).GetCardinality())
	}
	if _, ok := v1.Get(6000); ok {
		t.Fatal("old view sees a later customer")
	}
	if c, _ := v2.Get(3); c.ExternalID != "c3-new" || c.ContactPoint(suppression.Email) != "x@example.com" || c.ContactPoint(suppression.Call) != "" {
		t.Fatalf("new view: %+v", c)
	}
	if v2.Len() != 5001 || v2.With(contactkey.KindPhone).GetCardinality() != 4999 || !v2.With(contactkey.KindAddress).Contains(6000) {
		t.Fatalf("new view counts: %d %d", v2.Len(), v2.With(contactkey.KindPhone).GetCardinality())
	}
	n1, n2 := zoneSize(v1, "America/New_York"), zoneSize(v2, "America/New_York")
	if n1 != 5000 || n2 != 4999 {
		t.Fatalf("zone sets %d %d", n1, n2)
	}
	var ids []uint32
	v2.EachKey(contactkey.KindEmail, 2, func(is []uint32, ks []uint64) { ids = append(ids, is...) })
	if !slices.Equal(ids, []uint32{3}) {
		t.Fatalf("EachKey email: %v", ids)
	}
	if c, _ := v2.Get(0); c.ContactPoint(suppression.Call) != "+12025550000" {
		t.Fatalf("E.164 contact point %q", c.ContactPoint(suppression.Call))
	}
}

func zoneSize(d *Directory, zone string) uint64 {
	var n uint64
	d.ZoneGroups(func(z []string, s *roaring64.Bitmap) {
		if slices.Equal(z, []string{zone}) {
			n = s.GetCardinality()
		}
	})
	return n
}
