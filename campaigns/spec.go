package campaigns

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hushcrm/hush/suppression"
)

// Errors callers can branch on.
var (
	ErrInvalidSpec   = errors.New("invalid campaign")
	ErrBadSchedule   = errors.New("invalid schedule")
	ErrRegistryStale = errors.New("national registry list is stale")
)

// Spec is a campaign definition.
type Spec struct {
	Name    string              `json:"name"`
	Channel suppression.Channel `json:"-"`
	Purpose string              `json:"purpose"`
	// Sponsor is "" for the company's own campaigns, else the third party
	// the campaign is run for.
	Sponsor string `json:"sponsor,omitempty"`
	// Audience is a segment expression (an uploaded list is a defined
	// segment: segment:NAME).
	Audience string `json:"audience"`
	// Consents names consent lists every contacted customer must be in,
	// beyond those the scope brings by itself.
	Consents []string `json:"consents,omitempty"`
	Caps     []Cap    `json:"caps,omitempty"`
	// Schedule is "once" (run when asked), "once@RFC3339" or a cron
	// expression (5 fields, or @daily...).
	Schedule    string `json:"schedule"`
	Description string `json:"description,omitempty"`
}

// ChannelName is the spec's channel as text (for JSON output).
func (s *Spec) ChannelName() string { return s.Channel.String() }

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// ValidName reports whether s can name a campaign or segment.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// Validate checks everything that does not need the state.
func (s *Spec) Validate() error {
	if !ValidName(s.Name) {
		return fmt.Errorf("%w: name %q (lower-case letters, digits, _ . -, at most 64)", ErrInvalidSpec, s.Name)
	}
	if !s.Channel.Valid() {
		return fmt.Errorf("%w: channel missing or invalid", ErrInvalidSpec)
	}
	if !suppression.ValidPurposeName(s.Purpose) {
		return fmt.Errorf("%w: purpose %q", ErrInvalidSpec, s.Purpose)
	}
	if strings.TrimSpace(s.Audience) == "" {
		return fmt.Errorf("%w: audience is empty (give a segment expression)", ErrInvalidSpec)
	}
	for i, c := range s.Caps {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("%w: cap %d: %w", ErrInvalidSpec, i+1, err)
		}
	}
	if _, err := ParseSchedule(s.Schedule); err != nil {
		return err
	}
	return nil
}

// Scope is the suppression scope the campaign contacts in.
func (s *Spec) Scope() suppression.Scope {
	return suppression.Scope{Channel: s.Channel, Purpose: s.Purpose, Sponsor: s.Sponsor}
}

// Cap limits contacts per customer: at most Max in any Days-day window
// (today and the Days-1 days before), counting contacts on Channel (0:
// any) for Purpose ("": any).
type Cap struct {
	Max     int                 `json:"max"`
	Days    int                 `json:"days"`
	Channel suppression.Channel `json:"-"`
	Purpose string              `json:"purpose,omitempty"`
}

// Validate checks the cap's numbers.
func (c Cap) Validate() error {
	if c.Max < 1 || c.Max > 1000 {
		return fmt.Errorf("max %d out of 1..1000", c.Max)
	}
	if c.Days < 1 || c.Days > 3660 {
		return fmt.Errorf("window of %d days out of 1..3660", c.Days)
	}
	if c.Channel != 0 && !c.Channel.Valid() {
		return errors.New("invalid channel")
	}
	return nil
}

// String prints the cap as ParseCap reads it: "2/7d:call:direct_marketing".
func (c Cap) String() string {
	s := fmt.Sprintf("%d/%dd", c.Max, c.Days)
	if c.Channel != 0 || c.Purpose != "" {
		ch := "any"
		if c.Channel != 0 {
			ch = c.Channel.String()
		}
		s += ":" + ch
	}
	if c.Purpose != "" {
		s += ":" + c.Purpose
	}
	return s
}

// Code is the reason code the cap gives.
func (c Cap) Code() string { return "cap:" + c.String() }

// ParseCap reads "MAX/DAYSd[:CHANNEL|any[:PURPOSE]]", e.g. "2/7d:call:direct_marketing"
// (at most 2 marketing calls per 7 days) or "4/30d" (4 contacts of any kind per 30 days).
func ParseCap(s string) (Cap, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) > 3 {
		return Cap{}, fmt.Errorf("cap %q: want MAX/DAYSd[:CHANNEL[:PURPOSE]]", s)
	}
	maxS, daysS, ok := strings.Cut(parts[0], "/")
	if !ok || !strings.HasSuffix(daysS, "d") {
		return Cap{}, fmt.Errorf("cap %q: want MAX/DAYSd, e.g. 2/7d", s)
	}
	var c Cap
	var err error
	if c.Max, err = strconv.Atoi(maxS); err != nil {
		return Cap{}, fmt.Errorf("cap %q: max %q is not a number", s, maxS)
	}
	if c.Days, err = strconv.Atoi(strings.TrimSuffix(daysS, "d")); err != nil {
		return Cap{}, fmt.Errorf("cap %q: days %q is not a number", s, daysS)
	}
	if len(parts) > 1 && parts[1] != "any" && parts[1] != "" {
		if c.Channel, err = suppression.ParseChannel(parts[1]); err != nil {
			return Cap{}, fmt.Errorf("cap %q: %w", s, err)
		}
	}
	if len(parts) > 2 {
		c.Purpose = parts[2]
		if !suppression.ValidPurposeName(c.Purpose) {
			return Cap{}, fmt.Errorf("cap %q: invalid purpose %q", s, c.Purpose)
		}
	}
	if err := c.Validate(); err != nil {
		return Cap{}, fmt.Errorf("cap %q: %w", s, err)
	}
	return c, nil
}

// Schedule is when a campaign runs.
type Schedule struct {
	Once bool
	At   time.Time     // once@...: the time; zero for plain "once"
	Cron cron.Schedule // nil unless a cron expression
	Expr string
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule reads "once", "once@2026-12-24T09:00:00Z" or a cron
// expression ("0 9 * * 1", "@daily").
func ParseSchedule(s string) (Schedule, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" || s == "once":
		return Schedule{Once: true, Expr: "once"}, nil
	case strings.HasPrefix(s, "once@"):
		t, err := time.Parse(time.RFC3339, strings.TrimPrefix(s, "once@"))
		if err != nil {
			return Schedule{}, fmt.Errorf("%w %q: once@ needs an RFC 3339 time (once@2026-12-24T09:00:00Z): %v", ErrBadSchedule, s, err)
		}
		return Schedule{Once: true, At: t.UTC(), Expr: s}, nil
	}
	c, err := cronParser.Parse(s)
	if err != nil {
		return Schedule{}, fmt.Errorf("%w %q: %v (want once, once@TIME or a cron expression such as \"0 9 * * 1\")", ErrBadSchedule, s, err)
	}
	return Schedule{Cron: c, Expr: s}, nil
}

// Next is the first run time after t, or zero when there is none.
func (s Schedule) Next(t time.Time) time.Time {
	switch {
	case s.Cron != nil:
		return s.Cron.Next(t)
	case s.Once && !s.At.IsZero() && s.At.After(t):
		return s.At
	}
	return time.Time{}
}
