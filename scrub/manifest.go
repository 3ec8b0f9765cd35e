package scrub

import "github.com/hushcrm/hush/suppression"

// Manifest is the proof of a scrub: what went in, what came out, and
// exactly which lists at which versions decided it. Anyone holding the files
// can recompute the digests; anyone holding the journal can rebuild the lists
// at those versions and recompute theirs.
type Manifest struct {
	Format       string                `json:"format"`
	Tool         string                `json:"tool"`
	StartedAt    string                `json:"started_at"`
	FinishedAt   string                `json:"finished_at"`
	Seconds      float64               `json:"seconds"`
	DecidedAt    string                `json:"decided_at"`
	Channel      string                `json:"channel"`
	Purpose      string                `json:"purpose"`
	Sponsor      string                `json:"sponsor,omitempty"`
	Region       string                `json:"region"`
	Mapping      map[string]string     `json:"mapping"`
	StateVersion uint64                `json:"state_version"`
	Input        FileDigest            `json:"input"`
	Outputs      map[string]FileDigest `json:"outputs"`
	Lists        []ListProof           `json:"lists"`
	Counts       Counts                `json:"counts"`
	Waterfall    []Step                `json:"waterfall"`
	PerReason    map[string]int64      `json:"per_reason"`
}

// FileDigest identifies a file by content.
type FileDigest struct {
	Name   string `json:"name,omitempty"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// ListProof names one list applied, at its version, with its content digest.
type ListProof struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Type    string `json:"type"`
	Source  string `json:"source"`
	Version uint64 `json:"version"`
	Entries uint64 `json:"entries"`
	SHA256  string `json:"sha256"`
}

// Counts add up: Rows = Clean + Suppressed + Rejected.
type Counts struct {
	Rows       int64 `json:"rows"`
	Clean      int64 `json:"clean"`
	Suppressed int64 `json:"suppressed"`
	Rejected   int64 `json:"rejected"`
}

// Step is one line of the waterfall: rows removed by this reason that no
// earlier step removed, and what remains.
type Step struct {
	Reason    string `json:"reason"`
	Removed   int64  `json:"removed"`
	Remaining int64  `json:"remaining"`
}

func summarise(wf *suppression.Waterfall) (Counts, []Step, map[string]int64) {
	r := wf.Result()
	c := Counts{Rows: r.Input, Clean: r.Clean, Rejected: r.Rejected}
	c.Suppressed = r.Input - r.Clean - r.Rejected
	var steps []Step
	for _, s := range r.Steps {
		steps = append(steps, Step{Reason: s.Reason, Removed: s.Removed, Remaining: s.Remaining})
	}
	return c, steps, r.PerReason
}
