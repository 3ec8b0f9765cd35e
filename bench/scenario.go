package bench

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// ScenarioFormat names the scenario.json layout.
const ScenarioFormat = "hush-bench-scenario/1"

// Defaults of the target scenario: a 10M-row call campaign scrubbed against
// six lists holding 60M entries in all.
const (
	DefaultSeed    = 1
	DefaultRows    = 10_000_000
	DefaultHit     = 0.30
	DefaultInvalid = 0.005
)

// ErrInvalidScenario is wrapped by every Validate failure.
var ErrInvalidScenario = errors.New("invalid scenario")

// ListSpec is one suppression list of a scenario: how hush creates it
// (`hush lists create NAME --kind --type --channels --purposes --source`),
// which file holds it and how hush imports it.
type ListSpec struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // phone, email, address or customer
	Type     string `json:"type"` // deny or consent
	Channels string `json:"channels"`
	Purposes string `json:"purposes"`
	Source   string `json:"source"`
	Entries  int64  `json:"entries"` // lines generated (duplicates possible, as in real files)
	File     string `json:"file"`    // relative to the scenario directory
	Format   string `json:"format"`  // registry or csv
	Column   string `json:"column,omitempty"`
	// Style of a CSV list: "vendor" (one key column, clean spellings) or
	// "typed" (keys as people type them, plus an "added" date column).
	Style string `json:"style,omitempty"`
	// Share of the campaign's deliberate hits that come from this list.
	HitWeight float64 `json:"hit_weight"`
	// Note says why the list looks the way it does.
	Note string `json:"note,omitempty"`
}

// CampaignSpec is the campaign file and how to scrub it.
type CampaignSpec struct {
	File    string   `json:"file"`
	Columns []string `json:"columns"`
	Map     string   `json:"map"` // hush scrub --map
	Channel string   `json:"channel"`
	Purpose string   `json:"purpose"`
	Region  string   `json:"region"`
}

// Scenario is everything hushgen writes, as recorded in scenario.json.
type Scenario struct {
	Format   string       `json:"format"`
	Seed     uint64       `json:"seed"`
	Rows     int64        `json:"rows"`
	Scale    float64      `json:"scale"`
	Hit      float64      `json:"hit"`     // share of campaign rows made to hit some list
	Invalid  float64      `json:"invalid"` // share of campaign rows with a key hush must reject
	Campaign CampaignSpec `json:"campaign"`
	Lists    []ListSpec   `json:"lists"`
	// Generated is filled in by Generate.
	Generated *Report `json:"generated,omitempty"`
}

// defaultLists is the target scenario at scale 1. All six apply to a call
// campaign for direct marketing, so the scrub touches every key kind: the
// e-mail and address lists are general marketing objections recorded
// against the contact point the person used (an e-mail reply, a letter),
// not channel-only unsubscribes.
var defaultLists = []ListSpec{
	{Name: "national_dnc", Kind: "phone", Type: "deny", Channels: "call,sms", Purposes: "direct_marketing", Source: "national_registry",
		Entries: 40_000_000, File: "lists/national_dnc.txt", Format: "registry", HitWeight: 0.45,
		Note: "national do-not-call registry download: AAA,NNNNNNN lines, unsorted"},
	{Name: "litigators", Kind: "phone", Type: "deny", Channels: "all", Purposes: "all", Source: "litigator",
		Entries: 2_000_000, File: "lists/litigators.csv", Format: "csv", Column: "phone", Style: "vendor", HitWeight: 0.05,
		Note: "known TCPA litigators from a data vendor: 10-digit and E.164 numbers"},
	{Name: "company_dnc", Kind: "phone", Type: "deny", Channels: "call,sms", Purposes: "all", Source: "customer_request",
		Entries: 6_000_000, File: "lists/company_dnc.csv", Format: "csv", Column: "phone", Style: "typed", HitWeight: 0.15,
		Note: "the company's own do-not-call list, typed by agents: every phone format, plus the date added"},
	{Name: "email_optout", Kind: "email", Type: "deny", Channels: "all", Purposes: "direct_marketing", Source: "customer_request",
		Entries: 7_000_000, File: "lists/email_optout.csv", Format: "csv", Column: "email", Style: "typed", HitWeight: 0.15,
		Note: "marketing objections received by e-mail, keyed by the sender's address, plus the date added"},
	{Name: "address_dnc", Kind: "address", Type: "deny", Channels: "all", Purposes: "direct_marketing", Source: "complaint",
		Entries: 4_000_000, File: "lists/address_dnc.csv", Format: "csv", Column: "address", Style: "typed", HitWeight: 0.10,
		Note: "marketing objections received by post, keyed by the postal address"},
	{Name: "customer_optout", Kind: "customer", Type: "deny", Channels: "all", Purposes: "all", Source: "customer_request",
		Entries: 1_000_000, File: "lists/customer_optout.csv", Format: "csv", Column: "customer_id", Style: "vendor", HitWeight: 0.10,
		Note: "customers who opted out of everything in the preference centre"},
}

// NewScenario returns the target scenario with list sizes multiplied by
// scale (each list keeps at least one entry).
func NewScenario(seed uint64, rows int64, scale, hit, invalid float64) Scenario {
	s := Scenario{
		Format: ScenarioFormat, Seed: seed, Rows: rows, Scale: scale, Hit: hit, Invalid: invalid,
		Campaign: CampaignSpec{
			File:    "campaign.csv",
			Columns: []string{"customer_id", "phone", "email", "address"},
			Map:     "customer=customer_id,phone=phone,email=email,address=address",
			Channel: "call", Purpose: "direct_marketing", Region: "US",
		},
	}
	for _, l := range defaultLists {
		l.Entries = max(1, int64(math.Round(float64(l.Entries)*scale)))
		s.Lists = append(s.Lists, l)
	}
	return s
}

// TotalEntries is the number of list lines in the scenario.
func (s Scenario) TotalEntries() int64 {
	var n int64
	for _, l := range s.Lists {
		n += l.Entries
	}
	return n
}

// Validate checks what the generator relies on.
func (s Scenario) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidScenario, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Rows < 0:
		return bad("rows %d < 0", s.Rows)
	case s.Hit < 0 || s.Invalid < 0 || s.Hit+s.Invalid > 1:
		return bad("hit %.3f and invalid %.3f must be >= 0 and add up to at most 1", s.Hit, s.Invalid)
	case len(s.Lists) == 0:
		return bad("no lists")
	}
	names := map[string]bool{}
	var weight float64
	for _, l := range s.Lists {
		if names[l.Name] {
			return bad("list %q twice", l.Name)
		}
		names[l.Name] = true
		if l.Entries < 1 {
			return bad("list %q has %d entries", l.Name, l.Entries)
		}
		switch l.Kind {
		case "phone", "email", "address", "customer":
		default:
			return bad("list %q: unknown kind %q", l.Name, l.Kind)
		}
		if l.Format == "registry" && l.Kind != "phone" {
			return bad("list %q: the registry format holds phones only", l.Name)
		}
		if l.Format != "registry" && l.Format != "csv" {
			return bad("list %q: unknown format %q", l.Name, l.Format)
		}
		if l.Format == "csv" && l.Style != "vendor" && l.Style != "typed" {
			return bad("list %q: unknown style %q (want vendor or typed)", l.Name, l.Style)
		}
		if l.Format == "csv" && l.Column == "" {
			return bad("list %q: a CSV list needs its key column", l.Name)
		}
		if l.HitWeight < 0 {
			return bad("list %q: negative hit weight", l.Name)
		}
		weight += l.HitWeight
	}
	if s.Hit > 0 && weight == 0 {
		return bad("hit share %.3f but no list has a hit weight", s.Hit)
	}
	return nil
}

// stream is a list's random stream: derived from its name, so adding a list
// does not change the others.
func stream(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(name)))
	return h.Sum64()
}
