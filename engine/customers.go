package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/nyaruka/phonenumbers"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/customers"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
	"github.com/hushcrm/hush/rfm"
	"github.com/hushcrm/hush/segments"
	"github.com/hushcrm/hush/suppression"
)

// Errors of the directory, segments and campaigns.
var (
	ErrUnknownSegment  = errors.New("unknown segment")
	ErrUnknownCampaign = errors.New("unknown campaign")
	ErrSegmentCycle    = errors.New("segment refers to itself")
	ErrAlreadySent     = errors.New("run already recorded as sent")
)

// Segment is a named customer set: an expression, or fixed members (an
// uploaded list).
type Segment struct {
	Name      string            `json:"name"`
	Expr      string            `json:"expr,omitempty"`
	Members   *roaring64.Bitmap `json:"-"`
	Source    string            `json:"source,omitempty"`
	DefinedAt int64             `json:"defined_at"`
	DefinedBy string            `json:"defined_by"`
	Version   uint64            `json:"version"`
}

// Campaign is a stored campaign definition.
type Campaign struct {
	Spec      campaigns.Spec `json:"spec"`
	CreatedAt int64          `json:"created_at"`
	UpdatedAt int64          `json:"updated_at"`
	UpdatedBy string         `json:"updated_by"`
	Version   uint64         `json:"version"`
}

// campaignSpecJSON is how a spec is stored in its record: channel and
// caps as text, so the record reads the same to any later binary.
type campaignSpecJSON struct {
	campaigns.Spec
	ChannelText string   `json:"channel"`
	CapsText    []string `json:"caps,omitempty"`
}

// EncodeSpec is the spec as stored.
func EncodeSpec(s campaigns.Spec) ([]byte, error) {
	j := campaignSpecJSON{Spec: s, ChannelText: s.Channel.String()}
	j.Spec.Caps = nil
	for _, c := range s.Caps {
		j.CapsText = append(j.CapsText, c.String())
	}
	return json.Marshal(j)
}

// DecodeSpec reads a stored spec.
func DecodeSpec(b []byte) (campaigns.Spec, error) {
	var j campaignSpecJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return campaigns.Spec{}, err
	}
	s := j.Spec
	ch, err := suppression.ParseChannel(j.ChannelText)
	if err != nil {
		return campaigns.Spec{}, err
	}
	s.Channel = ch
	s.Caps = nil
	for _, t := range j.CapsText {
		c, err := campaigns.ParseCap(t)
		if err != nil {
			return campaigns.Spec{}, err
		}
		s.Caps = append(s.Caps, c)
	}
	return s, nil
}

// CampaignState is an immutable view of the directory, segments,
// campaigns and contact history, published whole after every change.
type CampaignState struct {
	Version   uint64
	Directory *customers.Directory
	Segments  map[string]*Segment
	Campaigns map[string]*Campaign
	History   campaigns.History
}

// audience is the engine component of customers, segments, campaigns and
// contact history.
type audience struct {
	e       *Engine
	builder *customers.Builder
	state   atomic.Pointer[CampaignState]

	// caches of customer-level sets derived from the state and the lists
	// (see campaignrun.go, scopesuppression.go), keyed by what they are
	// derived from.
	cacheMu  sync.Mutex
	cache    map[string]*roaring64.Bitmap
	exempt   *roaring64.Bitmap // relationshipExempt's last set
	exemptAt exemptKey
	ebr      []ebrHit
	scopeCaches
	rfmRes     *rfm.Result
	rfmCache   map[string]*roaring64.Bitmap
	zoneCache  map[uint64][]string // phone → time zones (writer only)
	valuesRes  *rfm.Result
	values     map[segments.Attribute]map[int64]*roaring64.Bitmap
	inquiry    *roaring64.BSI
	inquiryAt  uint64
	inquiryDir *customers.Directory
}

func newAudience(e *Engine) component {
	a := &audience{e: e, builder: customers.NewBuilder(customers.Empty()), cache: map[string]*roaring64.Bitmap{}}
	a.state.Store(&CampaignState{Directory: a.builder.Current(), Segments: map[string]*Segment{}, Campaigns: map[string]*Campaign{}})
	return a
}

func (a *audience) name() string { return "customers" }

func (a *audience) publish(fn func(st *CampaignState)) {
	old := a.state.Load()
	next := *old
	fn(&next)
	a.state.Store(&next)
}

func (a *audience) apply(seq journal.Seq, r record.Record) (bool, error) {
	v := uint64(seq)
	switch r := r.(type) {
	case *record.CustomerBatch:
		if err := a.applyCustomers(r); err != nil {
			return true, domainErr(err)
		}
		dir := a.builder.Publish(v)
		a.publish(func(st *CampaignState) { st.Directory, st.Version = dir, v })
		return true, nil
	case *record.SegmentDefine:
		sg := &Segment{Name: r.Name, Expr: r.Expr, Source: r.Source, DefinedAt: r.At, DefinedBy: r.Actor, Version: v}
		if r.Members != nil {
			sg.Members = roaring64.NewBitmap()
			if _, err := sg.Members.ReadFrom(bytes.NewReader(r.Members)); err != nil {
				return true, domainErr(fmt.Errorf("segment %s: members: %w", r.Name, err))
			}
		}
		a.publish(func(st *CampaignState) {
			st.Segments = maps.Clone(st.Segments)
			st.Segments[r.Name] = sg
			st.Version = v
		})
		return true, nil
	case *record.SegmentDelete:
		if _, ok := a.state.Load().Segments[r.Name]; !ok {
			return true, domainErr(fmt.Errorf("%w %q", ErrUnknownSegment, r.Name))
		}
		a.publish(func(st *CampaignState) {
			st.Segments = maps.Clone(st.Segments)
			delete(st.Segments, r.Name)
			st.Version = v
		})
		return true, nil
	case *record.CampaignDefine:
		spec, err := DecodeSpec(r.Spec)
		if err != nil {
			return true, domainErr(fmt.Errorf("campaign %s: %w", r.Name, err))
		}
		a.publish(func(st *CampaignState) {
			st.Campaigns = maps.Clone(st.Campaigns)
			c := &Campaign{Spec: spec, CreatedAt: r.At, UpdatedAt: r.At, UpdatedBy: r.Actor, Version: v}
			if old, ok := st.Campaigns[r.Name]; ok {
				c.CreatedAt = old.CreatedAt
			}
			st.Campaigns[r.Name] = c
			st.Version = v
		})
		return true, nil
	case *record.CampaignDelete:
		if _, ok := a.state.Load().Campaigns[r.Name]; !ok {
			return true, domainErr(fmt.Errorf("%w %q", ErrUnknownCampaign, r.Name))
		}
		a.publish(func(st *CampaignState) {
			st.Campaigns = maps.Clone(st.Campaigns)
			delete(st.Campaigns, r.Name)
			st.Version = v
		})
		return true, nil
	case *record.ContactHistory:
		if a.state.Load().History.Sent(r.Run) {
			return true, domainErr(fmt.Errorf("%w: run %d of %s", ErrAlreadySent, r.Run, r.Campaign))
		}
		set := roaring64.NewBitmap()
		if _, err := set.ReadFrom(bytes.NewReader(r.Customers)); err != nil {
			return true, domainErr(fmt.Errorf("contact history of run %d: %w", r.Run, err))
		}
		ct := campaigns.Contact{Run: r.Run, Campaign: r.Campaign, Day: r.Day, Channel: suppression.Channel(r.Channel), Purpose: r.Purpose, Customers: set}
		a.publish(func(st *CampaignState) {
			// A full slice: the append copies, so views holding the old
			// header keep their prefix.
			st.History = append(st.History[:len(st.History):len(st.History)], ct)
			st.Version = v
		})
		return true, nil
	}
	return false, nil
}

func (a *audience) applyCustomers(r *record.CustomerBatch) error {
	n := r.Len()
	for _, l := range []int{len(r.CustomerKey), len(r.SubjectKeys), len(r.Names), len(r.PhoneCounts), len(r.EmailCounts), len(r.Addresses), len(r.AddressKeys), len(r.Regions), len(r.InquiryDays)} {
		if l != n {
			return errors.New("customer batch: columns of unequal length")
		}
	}
	if len(r.EmailKeys) != len(r.Emails) {
		return errors.New("customer batch: e-mails and their keys differ in length")
	}
	ids := a.e.customerIDs()
	var pi, ei uint64
	if a.zoneCache == nil || len(a.zoneCache) > 1<<20 {
		a.zoneCache = map[uint64][]string{}
	}
	zoneCache := a.zoneCache
	for i := range n {
		pc, ec := r.PhoneCounts[i], r.EmailCounts[i]
		if pi+pc > uint64(len(r.Phones)) || ei+ec > uint64(len(r.Emails)) {
			return errors.New("customer batch: contact point counts exceed the columns")
		}
		c := customers.Customer{
			ExternalID: r.IDs[i], SubjectKey: r.SubjectKeys[i], Name: r.Names[i],
			Phones: slices.Clone(r.Phones[pi : pi+pc]), Emails: slices.Clone(r.Emails[ei : ei+ec]), EmailKeys: slices.Clone(r.EmailKeys[ei : ei+ec]),
			Address: r.Addresses[i], AddressKey: r.AddressKeys[i], Region: r.Regions[i], InquiryDay: customers.NoDay,
		}
		if d := r.InquiryDays[i]; d >= math.MinInt32 && d <= math.MaxInt32 {
			c.InquiryDay = int32(d)
		}
		pi, ei = pi+pc, ei+ec
		if c.ExternalID == "" {
			return fmt.Errorf("customer batch: row %d has no customer id", i)
		}
		var zones []string
		for _, p := range c.Phones {
			zs, ok := zoneCache[p]
			if !ok {
				zs = phoneZones(p)
				zoneCache[p] = zs
			}
			zones = append(zones, zs...)
		}
		if len(zones) > 1 {
			slices.Sort(zones)
			zones = slices.Compact(zones)
		}
		id := ids.Assign(r.CustomerKey[i], []byte(r.IDs[i]))
		a.builder.Put(id, c, zones)
	}
	return nil
}

// phoneZones are the IANA time zones libphonenumber gives the number
// (by its longest known prefix); unknown numbers get phonenumbers'
// "Etc/Unknown", which calling windows treat as outside (fail closed).
func phoneZones(e164 uint64) []string {
	zs, err := phonenumbers.GetTimezonesForPrefix(fmt.Sprint(e164))
	if err != nil || len(zs) == 0 {
		return []string{phonenumbers.UNKNOWN_TIMEZONE}
	}
	return zs
}

// Snapshot section: version, the directory rows by dense id, segments,
// campaigns and contact history, each sorted so equal states write equal
// bytes.
const audienceSection = 1

func (a *audience) writeSnapshot(w io.Writer) error {
	st := a.state.Load()
	bw := bufio.NewWriterSize(w, 1<<20)
	sw := snapWriter{w: bw}
	sw.u(audienceSection)
	sw.u(st.Version)
	dir := st.Directory
	sw.u(uint64(dir.Len()))
	for it := dir.All().Iterator(); it.HasNext(); {
		x := it.Next()
		if !func() bool {
			c, _ := dir.Get(uint32(x))
			sw.u(x)
			sw.s(c.ExternalID)
			sw.u(c.SubjectKey)
			sw.s(c.Name)
			sw.keys(c.Phones)
			sw.u(uint64(len(c.Emails)))
			for i, e := range c.Emails {
				sw.s(e)
				sw.u(c.EmailKeys[i])
			}
			sw.s(c.Address)
			sw.u(c.AddressKey)
			sw.s(c.Region)
			sw.i(int64(c.InquiryDay))
			return sw.err == nil
		}() {
			break
		}
	}
	names := slices.Sorted(maps.Keys(st.Segments))
	sw.u(uint64(len(names)))
	for _, n := range names {
		sg := st.Segments[n]
		sw.s(sg.Name)
		sw.s(sg.Expr)
		sw.s(sg.Source)
		sw.i(sg.DefinedAt)
		sw.s(sg.DefinedBy)
		sw.u(sg.Version)
		sw.bitmap(sg.Members)
	}
	names = slices.Sorted(maps.Keys(st.Campaigns))
	sw.u(uint64(len(names)))
	for _, n := range names {
		c := st.Campaigns[n]
		b, err := EncodeSpec(c.Spec)
		if err != nil {
			return err
		}
		sw.b(b)
		sw.i(c.CreatedAt)
		sw.i(c.UpdatedAt)
		sw.s(c.UpdatedBy)
		sw.u(c.Version)
	}
	sw.u(uint64(len(st.History)))
	for _, h := range st.History {
		sw.u(h.Run)
		sw.s(h.Campaign)
		sw.i(int64(h.Day))
		sw.u(uint64(h.Channel))
		sw.s(h.Purpose)
		sw.bitmap(h.Customers)
	}
	if sw.err != nil {
		return sw.err
	}
	return bw.Flush()
}

func (a *audience) readSnapshot(r io.Reader) error {
	sr := snapReader{r: bufio.NewReaderSize(r, 1<<20)}
	if v := sr.u(); v != audienceSection && sr.err == nil {
		return fmt.Errorf("customers section version %d", v)
	}
	st := &CampaignState{Segments: map[string]*Segment{}, Campaigns: map[string]*Campaign{}}
	st.Version = sr.u()
	b := customers.NewBuilder(customers.Empty())
	n := sr.count()
	for range n {
		id := sr.u()
		c := customers.Customer{ExternalID: sr.s(), SubjectKey: sr.u(), Name: sr.s(), Phones: sr.keys()}
		ne := sr.count()
		for range ne {
			c.Emails = append(c.Emails, sr.s())
			c.EmailKeys = append(c.EmailKeys, sr.u())
		}
		c.Address, c.AddressKey, c.Region, c.InquiryDay = sr.s(), sr.u(), sr.s(), int32(sr.i())
		if sr.err != nil {
			return sr.err
		}
		if id > math.MaxUint32 {
			return fmt.Errorf("customers section: id %d", id)
		}
		var zones []string
		for _, p := range c.Phones {
			zones = append(zones, phoneZones(p)...)
		}
		slices.Sort(zones)
		b.Put(uint32(id), c, slices.Compact(zones))
	}
	st.Directory = b.Publish(st.Version)
	for range sr.count() {
		sg := &Segment{Name: sr.s(), Expr: sr.s(), Source: sr.s(), DefinedAt: sr.i(), DefinedBy: sr.s(), Version: sr.u(), Members: sr.bitmap()}
		st.Segments[sg.Name] = sg
	}
	for range sr.count() {
		spec, err := DecodeSpec(sr.b())
		if err != nil && sr.err == nil {
			return fmt.Errorf("customers section: campaign: %w", err)
		}
		c := &Campaign{Spec: spec, CreatedAt: sr.i(), UpdatedAt: sr.i(), UpdatedBy: sr.s(), Version: sr.u()}
		st.Campaigns[spec.Name] = c
	}
	for range sr.count() {
		h := campaigns.Contact{Run: sr.u(), Campaign: sr.s(), Day: int32(sr.i()), Channel: suppression.Channel(sr.u()), Purpose: sr.s(), Customers: sr.bitmap()}
		st.History = append(st.History, h)
	}
	if sr.err != nil {
		return fmt.Errorf("customers section: %w", sr.err)
	}
	a.builder = b
	a.state.Store(st)
	return nil
}

type snapWriter struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func (s *snapWriter) write(p []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(p)
	}
}
func (s *snapWriter) u(v uint64) { s.buf = binary.AppendUvarint(s.buf[:0], v); s.write(s.buf) }
func (s *snapWriter) i(v int64)  { s.buf = binary.AppendVarint(s.buf[:0], v); s.write(s.buf) }
func (s *snapWriter) b(p []byte) { s.u(uint64(len(p))); s.write(p) }
func (s *snapWriter) s(v string) { s.b([]byte(v)) }
func (s *snapWriter) keys(ks []uint64) {
	s.u(uint64(len(ks)))
	for _, k := range ks {
		s.u(k)
	}
}
func (s *snapWriter) bitmap(bm *roaring64.Bitmap) {
	if bm == nil {
		s.u(0)
		return
	}
	var buf bytes.Buffer
	if _, err := bm.WriteTo(&buf); err != nil && s.err == nil {
		s.err = err
	}
	s.u(1)
	s.b(buf.Bytes())
}

type snapReader struct {
	r   *bufio.Reader
	err error
}

func (s *snapReader) u() uint64 {
	if s.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(s.r)
	if err != nil {
		s.err = noEOF(err)
	}
	return v
}
func (s *snapReader) i() int64 {
	if s.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(s.r)
	if err != nil {
		s.err = noEOF(err)
	}
	return v
}
func (s *snapReader) count() uint64 {
	n := s.u()
	if n > 1<<34 {
		s.err = fmt.Errorf("implausible count %d", n)
		return 0
	}
	return n
}
func (s *snapReader) b() []byte {
	n := s.count()
	if s.err != nil || n > 1<<31 {
		if s.err == nil {
			s.err = fmt.Errorf("field of %d bytes", n)
		}
		return nil
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(s.r, p); err != nil {
		s.err = noEOF(err)
	}
	return p
}
func (s *snapReader) s() string { return string(s.b()) }
func (s *snapReader) keys() []uint64 {
	n := s.count()
	if n == 0 {
		return nil
	}
	ks := make([]uint64, 0, min(n, 1<<20))
	for range n {
		ks = append(ks, s.u())
	}
	return ks
}
func (s *snapReader) bitmap() *roaring64.Bitmap {
	if s.u() == 0 {
		return nil
	}
	p := s.b()
	if s.err != nil {
		return nil
	}
	bm := roaring64.NewBitmap()
	if _, err := bm.ReadFrom(bytes.NewReader(p)); err != nil {
		s.err = err
	}
	return bm
}

func (e *Engine) audience() *audience {
	for _, c := range e.comps() {
		if a, ok := c.(*audience); ok {
			return a
		}
	}
	panic("engine: no customers component")
}

// Campaigns returns the current view of customers, segments, campaigns
// and contact history. It never blocks and never changes.
func (e *Engine) Campaigns() *CampaignState { return e.audience().state.Load() }

// CustomerRow is one parsed directory row (contact points normalised,
// keys computed by the caller with the deployment's hasher).
type CustomerRow struct {
	ID          string
	CustomerKey uint64 // rfm.KeyOf(ID)
	SubjectKey  uint64 // keyed hash of the customer id
	Name        string
	Phones      []uint64
	Emails      []string
	EmailKeys   []uint64
	Address     string
	AddressKey  uint64
	Region      string
	InquiryDay  int32 // or customers.NoDay
}

// PutCustomers makes a batch of directory rows durable (one record) and
// applies it: new customers are added, known ones replaced.
func (e *Engine) PutCustomers(ctx context.Context, source string, rows []CustomerRow) (journal.Seq, error) {
	rec := &record.CustomerBatch{At: e.now(), Actor: e.opts.Actor, Source: source}
	for _, r := range rows {
		rec.IDs = append(rec.IDs, r.ID)
		rec.CustomerKey = append(rec.CustomerKey, r.CustomerKey)
		rec.SubjectKeys = append(rec.SubjectKeys, r.SubjectKey)
		rec.Names = append(rec.Names, r.Name)
		rec.PhoneCounts = append(rec.PhoneCounts, uint64(len(r.Phones)))
		rec.Phones = append(rec.Phones, r.Phones...)
		rec.EmailCounts = append(rec.EmailCounts, uint64(len(r.Emails)))
		rec.Emails = append(rec.Emails, r.Emails...)
		rec.EmailKeys = append(rec.EmailKeys, r.EmailKeys...)
		rec.Addresses = append(rec.Addresses, r.Address)
		rec.AddressKeys = append(rec.AddressKeys, r.AddressKey)
		rec.Regions = append(rec.Regions, r.Region)
		rec.InquiryDays = append(rec.InquiryDays, int64(r.InquiryDay))
	}
	return e.submit1(ctx, rec)
}

// DefineSegment stores a segment: an expression (checked against the
// current names; it may not refer to itself, directly or through other
// segments) or fixed members.
func (e *Engine) DefineSegment(ctx context.Context, name, expr string, members *roaring64.Bitmap, source string) (journal.Seq, error) {
	if !campaigns.ValidName(name) {
		return 0, fmt.Errorf("segment name %q: lower-case letters, digits, _ . -, at most 64", name)
	}
	rec := &record.SegmentDefine{Name: name, At: e.now(), Actor: e.opts.Actor, Source: source}
	if members != nil {
		var buf bytes.Buffer
		members.RunOptimize()
		if _, err := members.WriteTo(&buf); err != nil {
			return 0, err
		}
		rec.Members = buf.Bytes()
	} else {
		n, err := segments.Compile(expr, e.SegmentResolver())
		if err != nil {
			return 0, err
		}
		if err := e.checkCycle(name, n); err != nil {
			return 0, err
		}
		rec.Expr = n.String()
	}
	return e.submit1(ctx, rec)
}

func (e *Engine) checkCycle(name string, n segments.Node) error {
	st := e.Campaigns()
	seen := map[string]bool{}
	var visit func(n segments.Node, path []string) error
	visit = func(n segments.Node, path []string) error {
		for _, r := range segments.Refs(n) {
			if r.NS != segments.NSSegment {
				continue
			}
			if r.Name == name {
				return fmt.Errorf("%w: %s", ErrSegmentCycle, joinPath(append(path, name)))
			}
			if seen[r.Name] {
				continue
			}
			seen[r.Name] = true
			sg, ok := st.Segments[r.Name]
			if !ok || sg.Expr == "" {
				continue
			}
			sub, err := segments.Parse(sg.Expr)
			if err != nil {
				continue
			}
			if err := visit(sub, append(path, r.Name)); err != nil {
				return err
			}
		}
		return nil
	}
	return visit(n, []string{name})
}

func joinPath(p []string) string {
	s := ""
	for i, x := range p {
		if i > 0 {
			s += " → "
		}
		s += "segment:" + x
	}
	return s
}

// DeleteSegment removes a segment.
func (e *Engine) DeleteSegment(ctx context.Context, name string) (journal.Seq, error) {
	if _, ok := e.Campaigns().Segments[name]; !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownSegment, name)
	}
	return e.submit1(ctx, &record.SegmentDelete{Name: name, At: e.now(), Actor: e.opts.Actor})
}

// DefineCampaign validates and stores a campaign (replacing one of the
// same name). Its audience must compile against the current names, and
// its consent lists must exist and be consent lists.
func (e *Engine) DefineCampaign(ctx context.Context, spec campaigns.Spec) (journal.Seq, error) {
	if err := spec.Validate(); err != nil {
		return 0, err
	}
	n, err := segments.Compile(spec.Audience, e.SegmentResolver())
	if err != nil {
		return 0, fmt.Errorf("campaign %s: audience: %w", spec.Name, err)
	}
	spec.Audience = n.String()
	if err := e.Read(func(st *suppression.Store, _ journal.Seq) error {
		for _, c := range spec.Consents {
			l, ok := st.List(c)
			if !ok {
				return fmt.Errorf("campaign %s: consent list %q: %w", spec.Name, c, suppression.ErrUnknownList)
			}
			if l.Spec().Type != suppression.Consent {
				return fmt.Errorf("campaign %s: %q is a deny list, not a consent list", spec.Name, c)
			}
		}
		if _, err := st.Compile(spec.Scope()); err != nil {
			return fmt.Errorf("campaign %s: %w", spec.Name, err)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	b, err := EncodeSpec(spec)
	if err != nil {
		return 0, err
	}
	return e.submit1(ctx, &record.CampaignDefine{Name: spec.Name, Spec: b, At: e.now(), Actor: e.opts.Actor})
}

// DeleteCampaign removes a campaign definition; its contact history stays.
func (e *Engine) DeleteCampaign(ctx context.Context, name string) (journal.Seq, error) {
	if _, ok := e.Campaigns().Campaigns[name]; !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownCampaign, name)
	}
	return e.submit1(ctx, &record.CampaignDelete{Name: name, At: e.now(), Actor: e.opts.Actor})
}

// MarkSent records a run's final list as contacted, in one record: after
// a crash the run is in the history whole or not at all.
func (e *Engine) MarkSent(ctx context.Context, run uint64, spec campaigns.Spec, at time.Time, final *roaring64.Bitmap, finalSHA256 []byte) (journal.Seq, error) {
	if e.Campaigns().History.Sent(run) {
		return 0, fmt.Errorf("%w: run %d of %s", ErrAlreadySent, run, spec.Name)
	}
	var buf bytes.Buffer
	final.RunOptimize()
	if _, err := final.WriteTo(&buf); err != nil {
		return 0, err
	}
	return e.submit1(ctx, &record.ContactHistory{Run: run, Campaign: spec.Name, Day: int32(at.UTC().Unix() / 86400), Channel: uint8(spec.Channel),
		Purpose: spec.Purpose, Customers: buf.Bytes(), FinalSHA256: finalSHA256, At: e.now(), Actor: e.opts.Actor})
}

// SortedCampaigns returns the campaigns by name.
func (st *CampaignState) SortedCampaigns() []*Campaign {
	out := slices.Collect(maps.Values(st.Campaigns))
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Name < out[j].Spec.Name })
	return out
}
