package campaigns

import (
	"fmt"
	"time"
)

// SourceNationalRegistry is the list source of national do-not-call
// registries.
const SourceNationalRegistry = "national_registry"

// Rules are the configurable windows of the rules real campaigns obey.
type Rules struct {
	// Established business relationship: a national-registry do-not-call
	// entry does not suppress a customer who bought within PurchaseMonths
	// or inquired within InquiryMonths (default 18 and 3). A
	// company-specific do-not-call request always wins: it is its own
	// list or opt-out, which the exemption never touches.
	EBRPurchaseMonths int `json:"ebr_purchase_months"`
	EBRInquiryMonths  int `json:"ebr_inquiry_months"`
	// RegistryMaxAge: a call campaign refuses to run when a national
	// registry list is older (default 31 days).
	RegistryMaxAge time.Duration `json:"registry_max_age"`
	// Calling hours in the callee's local time, [CallStart, CallEnd)
	// hours (default 8 and 21).
	CallStart int `json:"call_start"`
	CallEnd   int `json:"call_end"`
	// OptOutDeadline is how soon an opt-out must be honoured by every
	// scheduled campaign (default 10 days).
	OptOutDeadline time.Duration `json:"optout_deadline"`
}

// DefaultRules are the defaults above.
func DefaultRules() Rules {
	return Rules{EBRPurchaseMonths: 18, EBRInquiryMonths: 3, RegistryMaxAge: 31 * 24 * time.Hour, CallStart: 8, CallEnd: 21, OptOutDeadline: 10 * 24 * time.Hour}
}

// EBRCutoffs returns the first day (days since 1970-01-01, UTC) a
// purchase or an inquiry still counts as a relationship on day today.
func (r Rules) EBRCutoffs(today time.Time) (purchaseFrom, inquiryFrom int32) {
	t := today.UTC()
	d := func(x time.Time) int32 { return int32(x.Unix() / 86400) }
	return d(t.AddDate(0, -r.EBRPurchaseMonths, 0)), d(t.AddDate(0, -r.EBRInquiryMonths, 0))
}

// ListAge is what freshness needs of a list.
type ListAge struct {
	Name      string
	Source    string
	UpdatedAt time.Time
}

// StaleError names the stale registry list and its age.
type StaleError struct {
	List      string
	UpdatedAt time.Time
	Age       time.Duration
	MaxAge    time.Duration
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("national registry list %q was last refreshed %d days ago (%s), more than the %d days allowed: import a fresh copy before running call campaigns",
		e.List, int(e.Age.Hours()/24), e.UpdatedAt.UTC().Format(time.RFC3339), int(e.MaxAge.Hours()/24))
}

func (e *StaleError) Unwrap() error { return ErrRegistryStale }

// CheckFresh fails with a *StaleError for the first national-registry
// list (in the order given) older than MaxAge at now.
func (r Rules) CheckFresh(lists []ListAge, now time.Time) error {
	for _, l := range lists {
		if l.Source != SourceNationalRegistry {
			continue
		}
		if age := now.Sub(l.UpdatedAt); age > r.RegistryMaxAge {
			return &StaleError{List: l.Name, UpdatedAt: l.UpdatedAt, Age: age, MaxAge: r.RegistryMaxAge}
		}
	}
	return nil
}

// InCallingHours reports whether at is inside calling hours in every
// one of zones (IANA names). A number whose zone is unknown, or a zone
// this machine cannot load, is outside: fail closed.
func (r Rules) InCallingHours(zones []string, at time.Time) bool {
	if len(zones) == 0 {
		return false
	}
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			return false
		}
		h := at.In(loc).Hour()
		if h < r.CallStart || h >= r.CallEnd {
			return false
		}
	}
	return true
}
