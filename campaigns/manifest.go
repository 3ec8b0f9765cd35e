package campaigns

// Manifest is the proof of a campaign run, like a scrub's: which lists at
// which versions and digests, the counts, and the digests of the outputs.
type Manifest struct {
	Format       string            `json:"format"` // "hush-campaign-manifest/1"
	Campaign     string            `json:"campaign"`
	Run          uint64            `json:"run"`
	DryRun       bool              `json:"dry_run"`
	Channel      string            `json:"channel"`
	Purpose      string            `json:"purpose"`
	Sponsor      string            `json:"sponsor,omitempty"`
	Audience     string            `json:"audience"`
	At           string            `json:"at"` // RFC 3339, the time the run was computed for
	StateVersion uint64            `json:"state_version"`
	Lists        []ManifestList    `json:"lists"`
	Caps         []string          `json:"caps,omitempty"`
	Waterfall    Waterfall         `json:"waterfall"`
	Reasons      map[string]uint64 `json:"reasons"` // per reason, suppressed customers it applies to (overlaps included)
	Outputs      []Output          `json:"outputs,omitempty"`
}

// ManifestList is one list the run applied.
type ManifestList struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Type    string `json:"type"`
	Source  string `json:"source"`
	Version uint64 `json:"version"`
	Digest  string `json:"sha256"`
	Entries uint64 `json:"entries"`
}

// Output is a file the run wrote.
type Output struct {
	Name   string `json:"name"` // final, suppressed, waterfall
	Path   string `json:"path"`
	Rows   uint64 `json:"rows"`
	SHA256 string `json:"sha256"`
}

// ManifestFormat identifies the manifest layout.
const ManifestFormat = "hush-campaign-manifest/1"
