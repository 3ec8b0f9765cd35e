package customers

import (
	"slices"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/suppression"
)

// NoDay marks a missing day.
const NoDay int32 = -1 << 31

// Customer is one directory entry. Phones are E.164 numbers as integers
// (contactkey's phone key); EmailKeys and AddressKey are the keyed hashes
// the suppression lists hold; Emails and Address are kept as given
// (normalised e-mail, address text) because the final list of a campaign
// must carry the contact point.
type Customer struct {
	ExternalID string
	SubjectKey uint64 // keyed hash of ExternalID: the key customer-kind lists and opt-outs hold
	Name       string
	Phones     []uint64
	Emails     []string
	EmailKeys  []uint64
	Address    string
	AddressKey uint64 // meaningful when Address != ""
	Region     string
	InquiryDay int32  // days since 1970-01-01 of the last inquiry, or NoDay
	Zone       uint32 // index into Directory.Zones of the phones' time zones; 0: none
}

// Present reports whether the slot holds a customer.
func (c *Customer) Present() bool { return c.ExternalID != "" }

// Keys returns the suppression keys of the customer's contact points of
// a kind.
func (c *Customer) Keys(kind contactkey.Kind) []uint64 {
	switch kind {
	case contactkey.KindCustomer:
		return []uint64{c.SubjectKey}
	case contactkey.KindPhone:
		return c.Phones
	case contactkey.KindEmail:
		return c.EmailKeys
	case contactkey.KindAddress:
		if c.Address != "" {
			return []uint64{c.AddressKey}
		}
	}
	return nil
}

// ContactPoint is what the final list of a campaign on channel ch
// carries for the customer: the first phone (E.164), the first e-mail, or
// the address; "" when there is none.
func (c *Customer) ContactPoint(ch suppression.Channel) string {
	switch ch {
	case suppression.Call, suppression.SMS:
		if len(c.Phones) > 0 {
			return "+" + strconv.FormatUint(c.Phones[0], 10)
		}
	case suppression.Email:
		if len(c.Emails) > 0 {
			return c.Emails[0]
		}
	case suppression.Mail:
		return c.Address
	case suppression.Push:
		return c.ExternalID
	}
	return ""
}

// AppendContactPoint appends ContactPoint(ch) to dst without allocating.
func (c *Customer) AppendContactPoint(dst []byte, ch suppression.Channel) []byte {
	switch ch {
	case suppression.Call, suppression.SMS:
		if len(c.Phones) > 0 {
			return strconv.AppendUint(append(dst, '+'), c.Phones[0], 10)
		}
		return dst
	}
	return append(dst, c.ContactPoint(ch)...)
}

// KindOf is the kind of contact point a channel reaches customers
// through (customer for push: the app knows the customer).
func KindOf(ch suppression.Channel) contactkey.Kind {
	switch ch {
	case suppression.Call, suppression.SMS:
		return contactkey.KindPhone
	case suppression.Email:
		return contactkey.KindEmail
	case suppression.Mail:
		return contactkey.KindAddress
	}
	return contactkey.KindCustomer
}

const chunkBits = 12
const chunkSize = 1 << chunkBits

type chunk [chunkSize]Customer

// Directory is an immutable view of the customer directory.
type Directory struct {
	chunks  []*chunk
	n       int // id space: ids 0..n-1 may be present
	count   int
	version uint64

	all      *roaring64.Bitmap
	has      [contactkey.KindAddress + 1]*roaring64.Bitmap
	zones    []string // zone group names: "" (none), "America/New_York", "America/Chicago|America/Denver"
	zoneSets []*roaring64.Bitmap

	changes *changeLog // which customers each publish changed (ChangedSince)
}

// Empty returns an empty directory.
func Empty() *Directory {
	d := &Directory{all: roaring64.NewBitmap(), zones: []string{""}, zoneSets: []*roaring64.Bitmap{roaring64.NewBitmap()}}
	for k := range d.has {
		d.has[k] = roaring64.NewBitmap()
	}
	return d
}

// Len is the number of customers in the directory.
func (d *Directory) Len() int { return d.count }

// Version is the journal position of the last change.
func (d *Directory) Version() uint64 { return d.version }

// All is every customer in the directory. Do not modify.
func (d *Directory) All() *roaring64.Bitmap { return d.all }

// With returns the customers that have a contact point of kind. Do not
// modify.
func (d *Directory) With(kind contactkey.Kind) *roaring64.Bitmap {
	if kind == contactkey.KindCustomer {
		return d.all
	}
	return d.has[kind]
}

// Get returns customer id, if present. The pointer is into the immutable
// view: do not modify.
func (d *Directory) Get(id uint32) (*Customer, bool) {
	if int(id) >= d.n {
		return nil, false
	}
	c := &d.chunks[id>>chunkBits][id&(chunkSize-1)]
	return c, c.Present()
}

// ZoneGroups returns each group of time zones with the customers whose
// phones are in it (group 0: customers without phones is not included).
func (d *Directory) ZoneGroups(fn func(zones []string, set *roaring64.Bitmap)) {
	for i := 1; i < len(d.zones); i++ {
		fn(strings.Split(d.zones[i], "|"), d.zoneSets[i])
	}
}

// EachKey calls fn for batches of (customer id, key) of every contact
// point of kind, in customer order: what a suppression batch decision
// takes. For KindCustomer the caller maps ids to their customer keys.
func (d *Directory) EachKey(kind contactkey.Kind, batch int, fn func(ids []uint32, keys []uint64)) {
	ids := make([]uint32, 0, batch)
	keys := make([]uint64, 0, batch)
	for id := 0; id < d.n; id++ {
		c := &d.chunks[id>>chunkBits][id&(chunkSize-1)]
		if !c.Present() {
			continue
		}
		for _, k := range c.Keys(kind) {
			ids = append(ids, uint32(id))
			keys = append(keys, k)
			if len(ids) == batch {
				fn(ids, keys)
				ids, keys = ids[:0], keys[:0]
			}
		}
	}
	if len(ids) > 0 {
		fn(ids, keys)
	}
}

// Builder makes the next Directory from one. Only one goroutine uses a
// Builder; the directories it returns are safe for any number of readers.
type Builder struct {
	cur    *Directory
	owned  map[int]bool    // chunks this builder copied (or made) since the last Publish
	ownedZ map[uint32]bool // zone sets likewise
	zoneIx map[string]uint32
	next   *Directory
	puts   []uint32 // ids Put since the last Publish
}

// NewBuilder starts from d.
func NewBuilder(d *Directory) *Builder {
	b := &Builder{cur: d, zoneIx: map[string]uint32{}}
	for i, z := range d.zones {
		b.zoneIx[z] = uint32(i)
	}
	return b
}

func (b *Builder) begin() {
	if b.next != nil {
		return
	}
	d := b.cur
	nd := &Directory{chunks: slices.Clone(d.chunks), n: d.n, count: d.count, version: d.version,
		all: d.all.Clone(), zones: slices.Clone(d.zones), zoneSets: slices.Clone(d.zoneSets)}
	for k := range d.has {
		nd.has[k] = d.has[k].Clone()
	}
	b.next = nd
	b.owned = map[int]bool{}
	b.ownedZ = map[uint32]bool{}
}

// zoneSet returns zone group zi's set, copied once per batch before the
// first change, so published views never see it change.
func (b *Builder) zoneSet(zi uint32) *roaring64.Bitmap {
	if !b.ownedZ[zi] {
		b.next.zoneSets[zi] = b.next.zoneSets[zi].Clone()
		b.ownedZ[zi] = true
	}
	return b.next.zoneSets[zi]
}

// Put sets customer id (replacing what the directory held for it).
// zones are the phones' time zones (sorted, deduplicated by the caller).
func (b *Builder) Put(id uint32, c Customer, zones []string) {
	b.begin()
	d := b.next
	ci := int(id >> chunkBits)
	for len(d.chunks) <= ci {
		d.chunks = append(d.chunks, new(chunk))
		b.owned[len(d.chunks)-1] = true
	}
	if !b.owned[ci] {
		cp := *d.chunks[ci]
		d.chunks[ci] = &cp
		b.owned[ci] = true
	}
	slot := &d.chunks[ci][id&(chunkSize-1)]
	v := uint64(id)
	if slot.Present() {
		b.zoneSet(slot.Zone).Remove(v)
		for _, k := range []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail, contactkey.KindAddress} {
			d.has[k].Remove(v)
		}
	} else {
		d.count++
	}
	var zg string
	switch len(zones) {
	case 0:
	case 1:
		zg = zones[0]
	default:
		zg = strings.Join(zones, "|")
	}
	zi, ok := b.zoneIx[zg]
	if !ok {
		zi = uint32(len(d.zones))
		b.zoneIx[zg] = zi
		d.zones = append(d.zones, zg)
		d.zoneSets = append(d.zoneSets, roaring64.NewBitmap())
		b.ownedZ[zi] = true
	}
	c.Zone = zi
	if zi != 0 {
		b.zoneSet(zi).Add(v)
	}
	*slot = c
	d.all.Add(v)
	for _, k := range []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail, contactkey.KindAddress} {
		if len(c.Keys(k)) > 0 {
			d.has[k].Add(v)
		}
	}
	d.n = max(d.n, int(id)+1)
	if len(b.puts) <= maxChangeLog { // past it the publish is wide: no need to keep them
		b.puts = append(b.puts, id)
	}
}

// Publish returns the directory with every Put since the last Publish,
// at version.
func (b *Builder) Publish(version uint64) *Directory {
	b.begin()
	d := b.next
	d.changes = link(b.cur.changes, b.cur.version, version, b.puts)
	b.puts = nil
	d.version = version
	d.all.RunOptimize()
	b.cur, b.next = d, nil
	return d
}

// Current is the last published directory.
func (b *Builder) Current() *Directory { return b.cur }
