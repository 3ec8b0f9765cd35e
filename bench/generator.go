package bench

import (
	"fmt"
	"time"
)

type keyKind uint8

const (
	kindPhone keyKind = iota
	kindEmail
	kindAddress
	kindCustomer
)

func parseKind(s string) keyKind {
	switch s {
	case "email":
		return kindEmail
	case "address":
		return kindAddress
	case "customer":
		return kindCustomer
	}
	return kindPhone
}

type listGen struct {
	spec   ListSpec
	kind   keyKind
	stream uint64
	typed  bool
}

// Generator produces a scenario's files. It holds no mutable state: every
// method is safe for concurrent use.
type Generator struct {
	sc     Scenario
	lists  []listGen
	hits   picker // list index by hit weight
	header []byte
}

// Streams of the campaign, apart from the lists' own.
const (
	streamCampaign = 0xc0ffee
	streamRender   = 0x5eed
)

// NewGenerator checks sc and prepares its tables.
func NewGenerator(sc Scenario) (*Generator, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{sc: sc}
	w := make([]float64, len(sc.Lists))
	for i, l := range sc.Lists {
		g.lists = append(g.lists, listGen{spec: l, kind: parseKind(l.Kind), stream: stream(l.Name), typed: l.Style == "typed"})
		w[i] = l.HitWeight
	}
	if sc.Hit > 0 {
		g.hits = newPicker(w)
	}
	for i, c := range sc.Campaign.Columns {
		if i > 0 {
			g.header = append(g.header, ',')
		}
		g.header = append(g.header, c...)
	}
	g.header = append(g.header, '\n')
	return g, nil
}

// Scenario returns the scenario g generates.
func (g *Generator) Scenario() Scenario { return g.sc }

// identity draws the key behind entry j of list li.
type identity struct {
	phone    uint64
	email    emailID
	address  addressID
	customer uint64
}

func (g *Generator) identity(li int, j int64) identity {
	l := &g.lists[li]
	r := newRNG(g.sc.Seed, l.stream, uint64(j))
	var id identity
	switch l.kind {
	case kindPhone:
		id.phone = randomPhone(&r)
	case kindEmail:
		id.email = randomEmail(&r)
	case kindAddress:
		id.address = randomAddress(&r)
	default:
		id.customer = randomCustomer(&r)
	}
	return id
}

const customerSpace = 1_000_000_000

func randomCustomer(r *rng) uint64 { return uint64(r.int63n(customerSpace)) }

func appendCustomer(dst []byte, c uint64) []byte {
	var d [10]byte
	d[0] = 'C'
	for i := 9; i >= 1; i-- {
		d[i] = byte('0' + c%10)
		c /= 10
	}
	return append(dst, d[:]...)
}

// ListHeader is the first line of list li's file (empty for registries).
func (g *Generator) ListHeader(li int) []byte {
	l := &g.lists[li]
	if l.spec.Format == "registry" {
		return nil
	}
	h := []byte(l.spec.Column)
	if l.typed {
		h = append(h, ",added"...)
	}
	return append(h, '\n')
}

// vendorPhoneFormats: a data vendor's list, 10 digits or E.164.
var vendorPhoneFormats = newPicker([]float64{PhoneDigits: 70, PhoneE164: 30, numPhoneFormats - 1: 0})

// typedPhoneFormats: numbers typed by agents into a CRM.
var typedPhoneFormats = newPicker([]float64{
	PhoneDigits: 30, PhoneParens: 25, PhoneDots: 5, PhoneIntl: 5,
	PhoneTrunk: 5, PhoneDashes: 25, PhoneE164: 5, PhoneRegistry: 0,
})

// AppendListLine appends line j of list li's file, newline included.
func (g *Generator) AppendListLine(dst []byte, li int, j int64) []byte {
	l := &g.lists[li]
	id := g.identity(li, j)
	r := newRNG(g.sc.Seed, l.stream^streamRender, uint64(j))
	switch l.kind {
	case kindPhone:
		switch {
		case l.spec.Format == "registry":
			dst = AppendPhone(dst, id.phone, PhoneRegistry)
		case l.typed:
			dst = AppendPhone(dst, id.phone, PhoneFormat(typedPhoneFormats.draw(&r)))
		default:
			dst = AppendPhone(dst, id.phone, PhoneFormat(vendorPhoneFormats.draw(&r)))
		}
	case kindEmail:
		start := len(dst)
		dst = appendEmailLower(dst, id.email)
		if l.typed {
			x := r.intn(100)
			switch {
			case x < 15:
				applyCase(dst[start:], caseTitle, &r)
			case x < 20:
				applyCase(dst[start:], caseUpper, &r)
			}
		}
	case kindAddress:
		dst = append(dst, '"')
		dst = appendAddress(dst, id.address, &r, !l.typed || r.intn(2) == 0)
		dst = append(dst, '"')
	default:
		dst = appendCustomer(dst, id.customer)
	}
	if l.typed && l.spec.Format == "csv" {
		dst = append(dst, ',')
		dst = append(dst, addedDates[r.intn(len(addedDates))]...)
	}
	return append(dst, '\n')
}

// addedDates are the dates 2015-01-01 .. 2025-12-31 as YYYY-MM-DD, so the
// hot loop formats no time.
var addedDates = func() []string {
	var out []string
	for d := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2026; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}()

// RowInfo says what a campaign row was made to be.
type RowInfo struct {
	HitList      int   // index of the list it was made to hit, or -1
	HitEntry     int64 // which entry of that list
	Invalid      bool
	InvalidKind  string // "phone" or "email" when Invalid
	EmptyEmail   bool
	EmptyAddress bool
}

// Campaign row shares of missing optional keys.
const (
	emptyEmailPct   = 4
	emptyAddressPct = 3
)

// AppendRow appends campaign row i (0-based, header not counted), newline
// included, and says what it was made to be.
func (g *Generator) AppendRow(dst []byte, i int64) ([]byte, RowInfo) {
	r := newRNG(g.sc.Seed, streamCampaign, uint64(i))
	info := RowInfo{HitList: -1}
	u := r.float()
	var id identity
	id.customer = randomCustomer(&r)
	id.phone = randomPhone(&r)
	id.email = randomEmail(&r)
	id.address = randomAddress(&r)
	info.EmptyEmail = r.intn(100) < emptyEmailPct
	info.EmptyAddress = r.intn(100) < emptyAddressPct
	badPhone := false
	switch {
	case u < g.sc.Invalid:
		info.Invalid = true
		if r.intn(4) == 0 {
			info.InvalidKind = "email"
			info.EmptyEmail = false
		} else {
			info.InvalidKind = "phone"
			badPhone = true
		}
	case u < g.sc.Invalid+g.sc.Hit:
		li := g.hits.draw(&r)
		info.HitList = li
		info.HitEntry = r.int63n(g.lists[li].spec.Entries)
		hit := g.identity(li, info.HitEntry)
		switch g.lists[li].kind {
		case kindPhone:
			id.phone = hit.phone
		case kindEmail:
			id.email = hit.email
			info.EmptyEmail = false
		case kindAddress:
			id.address = hit.address
			info.EmptyAddress = false
		default:
			id.customer = hit.customer
		}
	}

	dst = appendCustomer(dst, id.customer)
	dst = append(dst, ',')
	if badPhone {
		dst = appendInvalidPhone(dst, &r)
	} else {
		dst = AppendPhone(dst, id.phone, PhoneFormat(campaignPhoneFormats.draw(&r)))
	}
	dst = append(dst, ',')
	switch {
	case info.InvalidKind == "email":
		dst = appendInvalidEmail(dst, &r)
	case !info.EmptyEmail:
		start := len(dst)
		dst = appendEmailLower(dst, id.email)
		x := r.intn(100)
		switch {
		case x < 22:
			applyCase(dst[start:], caseTitle, &r)
		case x < 32:
			applyCase(dst[start:], caseUpper, &r)
		case x < 40:
			applyCase(dst[start:], caseMixed, &r)
		}
		if x%50 == 7 { // a stray space pasted along
			dst = append(dst, ' ')
		}
	}
	dst = append(dst, ',')
	if !info.EmptyAddress {
		dst = append(dst, '"')
		dst = appendAddress(dst, id.address, &r, false)
		dst = append(dst, '"')
	}
	return append(dst, '\n'), info
}

// CampaignHeader is the campaign file's header line.
func (g *Generator) CampaignHeader() []byte { return g.header }

// CampaignStats counts what the campaign rows were made to be. Rows that
// hit a list by chance (a random number that happens to be registered) are
// not counted as hits: the scrub finds somewhat more than Hits.
type CampaignStats struct {
	Rows          int64            `json:"rows"`
	Hits          int64            `json:"hits"`
	HitsByList    map[string]int64 `json:"hits_by_list"`
	Invalid       int64            `json:"invalid"`
	InvalidPhones int64            `json:"invalid_phones"`
	InvalidEmails int64            `json:"invalid_emails"`
	EmptyEmails   int64            `json:"empty_emails"`
	EmptyAddress  int64            `json:"empty_addresses"`
}

func (s *CampaignStats) add(g *Generator, info RowInfo) {
	s.Rows++
	if info.HitList >= 0 {
		s.Hits++
		if s.HitsByList == nil {
			s.HitsByList = map[string]int64{}
		}
		s.HitsByList[g.lists[info.HitList].spec.Name]++
	}
	if info.Invalid {
		s.Invalid++
		if info.InvalidKind == "email" {
			s.InvalidEmails++
		} else {
			s.InvalidPhones++
		}
	}
	if info.EmptyEmail {
		s.EmptyEmails++
	}
	if info.EmptyAddress {
		s.EmptyAddress++
	}
}

func (s *CampaignStats) merge(o *CampaignStats) {
	s.Rows += o.Rows
	s.Hits += o.Hits
	for k, v := range o.HitsByList {
		if s.HitsByList == nil {
			s.HitsByList = map[string]int64{}
		}
		s.HitsByList[k] += v
	}
	s.Invalid += o.Invalid
	s.InvalidPhones += o.InvalidPhones
	s.InvalidEmails += o.InvalidEmails
	s.EmptyEmails += o.EmptyEmails
	s.EmptyAddress += o.EmptyAddress
}

// ListIndex returns the index of the named list.
func (g *Generator) ListIndex(name string) (int, error) {
	for i, l := range g.lists {
		if l.spec.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: no list %q", ErrInvalidScenario, name)
}
