package record

// Records of the HTTP API: API keys and the access log (types 20–39).
const (
	TypeKeyCreate Type = 20
	TypeKeyRevoke Type = 21
	TypeAccess    Type = 22
)

func init() {
	register(TypeKeyCreate, "key_create", func() Record { return &KeyCreate{} })
	register(TypeKeyRevoke, "key_revoke", func() Record { return &KeyRevoke{} })
	register(TypeAccess, "access", func() Record { return &Access{} })
}

// KeyCreate adds an API key. Only the SHA-256 of the key is stored: the
// key itself was shown once to whoever created it.
type KeyCreate struct {
	ID        string // public id (part of the key)
	Hash      []byte // SHA-256 of the whole key
	Role      uint8  // access.Role
	Name      string // what the key is for ("dialer floor 3")
	ExpiresAt int64  // unix seconds, 0 = never
	At        int64
	Actor     string
}

// KeyRevoke disables a key for good.
type KeyRevoke struct {
	ID     string
	At     int64
	Actor  string
	Reason string
}

// Access is one read of personal data: who (key id and role), when, what
// (action and subject), and why (the reason the caller gave).
type Access struct {
	At      int64
	KeyID   string
	Role    uint8
	Action  string // subject_lookup, list_export, ...
	Subject string // what was read: "phone:+8621...", "email#<hash>", "list:national_dnc"
	Why     string // the caller's why parameter
	Detail  string // e.g. rows returned
}

func (*KeyCreate) Type() Type { return TypeKeyCreate }
func (*KeyRevoke) Type() Type { return TypeKeyRevoke }
func (*Access) Type() Type    { return TypeAccess }

func (r *KeyCreate) encode(e *encoder) {
	e.str(r.ID)
	e.bytes(r.Hash)
	e.byte(r.Role)
	e.str(r.Name)
	e.varint(r.ExpiresAt)
	e.varint(r.At)
	e.str(r.Actor)
}

func (r *KeyCreate) decode(d *decoder) {
	r.ID = d.str()
	r.Hash = d.bytes()
	r.Role = d.byte()
	r.Name = d.str()
	r.ExpiresAt = d.varint()
	r.At = d.varint()
	r.Actor = d.str()
}

func (r *KeyRevoke) encode(e *encoder) { e.str(r.ID); e.varint(r.At); e.str(r.Actor); e.str(r.Reason) }
func (r *KeyRevoke) decode(d *decoder) {
	r.ID = d.str()
	r.At = d.varint()
	r.Actor = d.str()
	r.Reason = d.str()
}

func (r *Access) encode(e *encoder) {
	e.varint(r.At)
	e.str(r.KeyID)
	e.byte(r.Role)
	e.str(r.Action)
	e.str(r.Subject)
	e.str(r.Why)
	e.str(r.Detail)
}

func (r *Access) decode(d *decoder) {
	r.At = d.varint()
	r.KeyID = d.str()
	r.Role = d.byte()
	r.Action = d.str()
	r.Subject = d.str()
	r.Why = d.str()
	r.Detail = d.str()
}
