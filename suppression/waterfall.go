package suppression

import (
	"maps"
	"slices"
	"strings"
)

// Waterfall counts a scrub's rows: input, minus the rejected rows, minus
// the rows each suppression step removes, down to the clean rows. A row
// with several reasons is removed by the first step in policy order that
// it has (so the steps add up), and is counted in every step's total
// (Rows). Feed it row by row from one goroutine.
type Waterfall struct {
	index    map[stepKey]int
	steps    []wfStep
	known    int // steps[:known] come from the policy, in its order
	rejected map[string]int64
	input    int64
	clean    int64
	seen     []int
}

type stepKey struct{ code, list, purpose string }

type wfStep struct {
	key     stepKey
	removed int64
	rows    int64
}

func keyOf(r *Reason) stepKey {
	k := stepKey{code: r.Code, list: r.List}
	if r.Code == ReasonOptOut {
		// Opt-outs are one list; by purpose they tell more.
		k.purpose = r.Purpose
	}
	return k
}

func (k stepKey) label() string {
	if k.code == ReasonOptOut {
		return k.code + ":" + k.purpose
	}
	return k.code + ":" + k.list
}

// NewWaterfall returns a waterfall whose steps follow p's decision order:
// opt-outs (the scope's purpose, then third_party_disclosure when
// sponsored), deny lists, consent lists. p may be nil; then steps appear
// in label order.
func NewWaterfall(p *Policy) *Waterfall {
	w := &Waterfall{index: map[stepKey]int{}, rejected: map[string]int64{}}
	if p != nil {
		for _, purpose := range p.purposes[:p.nPurposes] {
			w.add(stepKey{code: ReasonOptOut, list: OptOutsList, purpose: purpose})
		}
		for i := range p.steps {
			w.add(keyOf(&p.steps[i].reason))
		}
	}
	w.known = len(w.steps)
	return w
}

func (w *Waterfall) add(k stepKey) int {
	if len(w.steps) <= linearSteps {
		// A policy has a handful of steps, and the reasons' strings share
		// the policy's bytes (equal strings at the same address compare
		// without reading them): a scan beats hashing three strings per
		// reason, 3.5M reasons in a 10M-row scrub.
		for i := range w.steps {
			if w.steps[i].key == k {
				return i
			}
		}
	} else if i, ok := w.index[k]; ok {
		return i
	}
	w.index[k] = len(w.steps)
	w.steps = append(w.steps, wfStep{key: k})
	return len(w.steps) - 1
}

// linearSteps is how many steps add searches by scanning.
const linearSteps = 16

// before orders steps: the policy's first, in its order; others by label.
func (w *Waterfall) before(a, b int) bool {
	if a < w.known || b < w.known {
		return a < b
	}
	return w.steps[a].key.label() < w.steps[b].key.label()
}

// AddRow counts a suppressed row with its reasons (at least one).
func (w *Waterfall) AddRow(reasons []Reason) { w.AddRows(reasons, 1) }

// AddRows counts n suppressed rows that have the same reasons: AddRow n
// times in one step. A scrub's suppressed rows share a few dozen reason
// sets at most, so its writer counts each set's rows and adds them here
// once a batch, instead of walking the reasons of every row.
func (w *Waterfall) AddRows(reasons []Reason, n int64) {
	if n <= 0 {
		return
	}
	if len(reasons) == 0 {
		w.input += n
		w.clean += n
		return
	}
	w.input += n
	w.seen = w.seen[:0]
	first := -1
	for i := range reasons {
		s := w.add(keyOf(&reasons[i]))
		if slices.Contains(w.seen, s) {
			continue
		}
		w.seen = append(w.seen, s)
		w.steps[s].rows += n
		if first < 0 || w.before(s, first) {
			first = s
		}
	}
	w.steps[first].removed += n
}

// AddRejected counts a row that could not be checked (a key that does not
// parse, a malformed line): it is not contacted either.
func (w *Waterfall) AddRejected(reason string) {
	w.input++
	w.rejected[reason]++
}

// AddClean counts a row that may be contacted.
func (w *Waterfall) AddClean() {
	w.input++
	w.clean++
}

// WaterfallStep is one line of the waterfall.
type WaterfallStep struct {
	Reason    string // "rejected:<reason>", "optout:<purpose>", "list:<name>", "no_consent:<name>"
	Code      string // "rejected", or the Reason code
	List      string // the list (OptOutsList for opt-outs); the reject reason for rejected rows
	Purpose   string // for opt-outs
	Removed   int64  // rows this step removed that no earlier step did
	Remaining int64  // rows left after this step
	Rows      int64  // every row carrying this reason
}

// WaterfallResult is the waterfall's report. Input = Rejected + the
// Removed of the suppression steps + Clean.
type WaterfallResult struct {
	Input    int64
	Rejected int64
	Clean    int64
	// Steps: the rejected rows by reason (in reason order), then every
	// step of the policy in decision order (also those that removed
	// nothing: they were applied), then reasons the policy did not name,
	// by label.
	Steps []WaterfallStep
	// PerReason maps each step's Reason to its Rows.
	PerReason map[string]int64
}

// Result reports the counts so far.
func (w *Waterfall) Result() WaterfallResult {
	r := WaterfallResult{Input: w.input, Clean: w.clean, PerReason: map[string]int64{}}
	remaining := w.input
	for _, reason := range slices.Sorted(maps.Keys(w.rejected)) {
		n := w.rejected[reason]
		r.Rejected += n
		remaining -= n
		label := "rejected:" + reason
		r.Steps = append(r.Steps, WaterfallStep{Reason: label, Code: "rejected", List: reason, Removed: n, Remaining: remaining, Rows: n})
		r.PerReason[label] += n
	}
	order := make([]int, len(w.steps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order[w.known:], func(a, b int) int { return strings.Compare(w.steps[a].key.label(), w.steps[b].key.label()) })
	for _, i := range order {
		s := &w.steps[i]
		remaining -= s.removed
		label := s.key.label()
		r.Steps = append(r.Steps, WaterfallStep{Reason: label, Code: s.key.code, List: s.key.list, Purpose: s.key.purpose, Removed: s.removed, Remaining: remaining, Rows: s.rows})
		r.PerReason[label] += s.rows
	}
	return r
}
