package record

// Records of the customer directory, segments, campaigns and contact
// history (types 60–79).
const (
	TypeCustomerBatch  Type = 60
	TypeSegmentDefine  Type = 61
	TypeSegmentDelete  Type = 62
	TypeCampaignDefine Type = 63
	TypeCampaignDelete Type = 64
	TypeContactHistory Type = 65
)

func init() {
	register(TypeCustomerBatch, "customer_batch", func() Record { return &CustomerBatch{} })
	register(TypeSegmentDefine, "segment_define", func() Record { return &SegmentDefine{} })
	register(TypeSegmentDelete, "segment_delete", func() Record { return &SegmentDelete{} })
	register(TypeCampaignDefine, "campaign_define", func() Record { return &CampaignDefine{} })
	register(TypeCampaignDelete, "campaign_delete", func() Record { return &CampaignDelete{} })
	register(TypeContactHistory, "contact_history", func() Record { return &ContactHistory{} })
}

// CustomerBatch adds or replaces directory entries, one row per index of
// the parallel columns. A customer's phones are PhoneCounts[i] values of
// Phones taken in order (E.164 as integers), e-mails likewise.
type CustomerBatch struct {
	At          int64
	Actor       string
	Source      string // file name as given
	IDs         []string
	CustomerKey []uint64 // rfm.KeyOf of the id: the key dense ids are assigned by
	SubjectKeys []uint64 // keyed hash of the id: the key customer-kind lists and opt-outs hold
	Names       []string
	PhoneCounts []uint64
	Phones      []uint64
	EmailCounts []uint64
	Emails      []string // normalised
	EmailKeys   []uint64 // keyed hashes, parallel to Emails
	Addresses   []string // as given; "" for none
	AddressKeys []uint64 // keyed hash of the normalised address
	Regions     []string
	InquiryDays []int64 // days since 1970-01-01, or math.MinInt32 for none
}

// SegmentDefine defines (or redefines) a named segment: an expression
// over other sets, or, with Members, a fixed set of customers (an
// uploaded list; Members is a serialised roaring64 bitmap of dense ids).
type SegmentDefine struct {
	Name    string
	Expr    string
	Members []byte
	At      int64
	Actor   string
	Source  string
}

// SegmentDelete removes a segment.
type SegmentDelete struct {
	Name  string
	At    int64
	Actor string
}

// CampaignDefine creates or replaces a campaign; Spec is its JSON.
type CampaignDefine struct {
	Name  string
	Spec  []byte
	At    int64
	Actor string
}

// CampaignDelete removes a campaign definition (its history stays).
type CampaignDelete struct {
	Name  string
	At    int64
	Actor string
}

// ContactHistory marks a campaign run as sent: every customer of its
// final list was contacted on Day through Channel for Purpose. One record
// per run, so a crash leaves the run either recorded whole or not at all.
type ContactHistory struct {
	Run         uint64 // the run's id: the state version it was computed at
	Campaign    string
	Day         int32
	Channel     uint8
	Purpose     string
	Customers   []byte // serialised roaring64 bitmap of dense ids
	FinalSHA256 []byte // digest of the final list the run wrote
	At          int64
	Actor       string
}

func (*CustomerBatch) Type() Type  { return TypeCustomerBatch }
func (*SegmentDefine) Type() Type  { return TypeSegmentDefine }
func (*SegmentDelete) Type() Type  { return TypeSegmentDelete }
func (*CampaignDefine) Type() Type { return TypeCampaignDefine }
func (*CampaignDelete) Type() Type { return TypeCampaignDelete }
func (*ContactHistory) Type() Type { return TypeContactHistory }

// Len is the number of rows.
func (r *CustomerBatch) Len() int { return len(r.IDs) }

func (r *CustomerBatch) encode(e *encoder) {
	e.varint(r.At)
	e.str(r.Actor)
	e.str(r.Source)
	e.strs(r.IDs)
	e.keys(r.CustomerKey)
	e.keys(r.SubjectKeys)
	e.strs(r.Names)
	e.keys(r.PhoneCounts)
	e.keys(r.Phones)
	e.keys(r.EmailCounts)
	e.strs(r.Emails)
	e.keys(r.EmailKeys)
	e.strs(r.Addresses)
	e.keys(r.AddressKeys)
	e.strs(r.Regions)
	e.uvarint(uint64(len(r.InquiryDays)))
	for _, d := range r.InquiryDays {
		e.varint(d)
	}
}

func (r *CustomerBatch) decode(d *decoder) {
	r.At = d.varint()
	r.Actor = d.str()
	r.Source = d.str()
	r.IDs = d.strs()
	r.CustomerKey = d.keys()
	r.SubjectKeys = d.keys()
	r.Names = d.strs()
	r.PhoneCounts = d.keys()
	r.Phones = d.keys()
	r.EmailCounts = d.keys()
	r.Emails = d.strs()
	r.EmailKeys = d.keys()
	r.Addresses = d.strs()
	r.AddressKeys = d.keys()
	r.Regions = d.strs()
	n := d.count(1)
	if n > 0 {
		r.InquiryDays = make([]int64, n)
		for i := range r.InquiryDays {
			r.InquiryDays[i] = d.varint()
		}
	}
}

func (r *SegmentDefine) encode(e *encoder) {
	e.str(r.Name)
	e.str(r.Expr)
	e.bytes(r.Members)
	e.varint(r.At)
	e.str(r.Actor)
	e.str(r.Source)
}

func (r *SegmentDefine) decode(d *decoder) {
	r.Name = d.str()
	r.Expr = d.str()
	r.Members = d.bytes()
	r.At = d.varint()
	r.Actor = d.str()
	r.Source = d.str()
}

func (r *SegmentDelete) encode(e *encoder) { e.str(r.Name); e.varint(r.At); e.str(r.Actor) }
func (r *SegmentDelete) decode(d *decoder) { r.Name = d.str(); r.At = d.varint(); r.Actor = d.str() }

func (r *CampaignDefine) encode(e *encoder) {
	e.str(r.Name)
	e.bytes(r.Spec)
	e.varint(r.At)
	e.str(r.Actor)
}
func (r *CampaignDefine) decode(d *decoder) {
	r.Name = d.str()
	r.Spec = d.bytes()
	r.At = d.varint()
	r.Actor = d.str()
}

func (r *CampaignDelete) encode(e *encoder) { e.str(r.Name); e.varint(r.At); e.str(r.Actor) }
func (r *CampaignDelete) decode(d *decoder) { r.Name = d.str(); r.At = d.varint(); r.Actor = d.str() }

func (r *ContactHistory) encode(e *encoder) {
	e.uvarint(r.Run)
	e.str(r.Campaign)
	e.varint(int64(r.Day))
	e.byte(r.Channel)
	e.str(r.Purpose)
	e.bytes(r.Customers)
	e.bytes(r.FinalSHA256)
	e.varint(r.At)
	e.str(r.Actor)
}

func (r *ContactHistory) decode(d *decoder) {
	r.Run = d.uvarint()
	r.Campaign = d.str()
	r.Day = int32(d.varint())
	r.Channel = d.byte()
	r.Purpose = d.str()
	r.Customers = d.bytes()
	r.FinalSHA256 = d.bytes()
	r.At = d.varint()
	r.Actor = d.str()
}
