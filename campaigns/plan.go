package campaigns

import (
	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// Reason codes a run gives beside suppression's list, optout and
// no_consent.
const (
	ReasonNoContactPoint = "no_contact_point"       // the customer has no contact point for the channel
	ReasonOutsideWindow  = "outside_calling_window" // local time of the number is outside calling hours
	ReasonCap            = "cap"                    // a frequency cap is reached (Step.List names the cap)
)

// Step is one reason customers are taken out of an audience: the
// customers it applies to (any customers; the plan intersects them with
// the audience) and how to label them.
type Step struct {
	Code    string `json:"code"`
	List    string `json:"list,omitempty"`
	Source  string `json:"source,omitempty"`
	Purpose string `json:"purpose,omitempty"`
	// Set is read, never changed.
	Set *roaring64.Bitmap `json:"-"`
}

// Label is the reason as written into suppressed files:
// "list:mail_dnm:customer_request", "optout:direct_marketing", "no_contact_point".
func (s Step) Label() string {
	l := s.Code
	switch s.Code {
	case "list", "no_consent":
		l += ":" + s.List
		if s.Source != "" {
			l += ":" + s.Source
		}
	case "optout":
		if s.Purpose != "" {
			l += ":" + s.Purpose
		}
	case ReasonCap:
		l = s.List
	}
	return l
}

// WaterfallStep is one line of the suppression waterfall: how many of
// the audience the reason applies to (Matched, overlaps included), how
// many this step took out that earlier steps had not (Removed), and how
// many remain after it.
type WaterfallStep struct {
	Reason    string `json:"reason"`
	Code      string `json:"code"`
	List      string `json:"list,omitempty"`
	Purpose   string `json:"purpose,omitempty"`
	Matched   uint64 `json:"matched"`
	Removed   uint64 `json:"removed"`
	Remaining uint64 `json:"remaining"`
}

// Waterfall is audience → each step → final.
type Waterfall struct {
	Audience   uint64          `json:"audience"`
	Steps      []WaterfallStep `json:"steps"`
	Final      uint64          `json:"final"`
	Suppressed uint64          `json:"suppressed"`
}

// Plan is a computed run: the final customers, the suppressed ones, and
// the waterfall.
type Plan struct {
	Waterfall  Waterfall
	Final      *roaring64.Bitmap
	Suppressed *roaring64.Bitmap
	steps      []Step
	matched    []*roaring64.Bitmap
}

// DryRun computes the waterfall only: counts, no lists.
func DryRun(audience *roaring64.Bitmap, steps []Step) Waterfall {
	w, _, _ := waterfall(audience, steps, false)
	return w
}

// waterfall counts the steps against the audience. It never changes the
// audience: an audience is typically a few long runs (everyone but…),
// and taking sets out of a run container one at a time rebuilds it each
// time. Instead it keeps the union of what earlier steps matched: a step
// removes what it matches minus that union. keep returns the matched
// sets and the union too.
func waterfall(audience *roaring64.Bitmap, steps []Step, keep bool) (Waterfall, []*roaring64.Bitmap, *roaring64.Bitmap) {
	w := Waterfall{Audience: audience.GetCardinality()}
	taken := roaring64.NewBitmap()
	var matched []*roaring64.Bitmap
	if keep {
		matched = make([]*roaring64.Bitmap, len(steps))
	}
	left := w.Audience
	for i, s := range steps {
		ws := WaterfallStep{Reason: s.Label(), Code: s.Code, List: s.List, Purpose: s.Purpose}
		m := roaring64.NewBitmap()
		if s.Set != nil && !s.Set.IsEmpty() {
			m = roaring64.And(audience, s.Set)
			ws.Matched = m.GetCardinality()
			if ws.Matched > 0 {
				ws.Removed = ws.Matched - m.AndCardinality(taken)
				taken.Or(m)
			}
		}
		if keep {
			matched[i] = m
		}
		left -= ws.Removed
		ws.Remaining = left
		w.Steps = append(w.Steps, ws)
	}
	w.Final = left
	w.Suppressed = w.Audience - left
	return w, matched, taken
}

// Compute runs the steps in order over the audience.
func Compute(audience *roaring64.Bitmap, steps []Step) *Plan {
	p := &Plan{steps: steps}
	p.Waterfall, p.matched, p.Suppressed = waterfall(audience, steps, true)
	p.Final = roaring64.AndNot(audience, p.Suppressed)
	return p
}

// Steps returns the plan's steps.
func (p *Plan) Steps() []Step { return p.steps }

// EachSuppressed calls fn for every suppressed customer in id order with
// the indexes (into Steps) of every reason that applies to it. reasons
// is reused between calls.
func (p *Plan) EachSuppressed(fn func(id uint64, reasons []int) error) error {
	its := make([]roaring64.IntPeekable64, len(p.matched))
	for i, m := range p.matched {
		its[i] = m.Iterator()
	}
	var reasons []int
	it := p.Suppressed.Iterator()
	for it.HasNext() {
		id := it.Next()
		reasons = reasons[:0]
		for i, si := range its {
			si.AdvanceIfNeeded(id)
			if si.HasNext() && si.PeekNext() == id {
				reasons = append(reasons, i)
			}
		}
		if err := fn(id, reasons); err != nil {
			return err
		}
	}
	return nil
}
