package suppression

import (
	"fmt"
	"slices"
	"strings"
)

// The four standard purposes: the opt-outs every customer data model
// needs. Users may define more (for example "service" or "research").
const (
	DirectMarketing      = "direct_marketing"
	ThirdPartyDisclosure = "third_party_disclosure"
	AutomatedDecision    = "automated_decision"
	SensitiveData        = "sensitive_data"
)

// StandardPurposes lists the standard purposes in a fixed order.
var StandardPurposes = []string{DirectMarketing, ThirdPartyDisclosure, AutomatedDecision, SensitiveData}

const maxPurposeLen = 64

// ValidPurposeName reports whether name has the shape of a purpose:
// [a-z][a-z0-9_]{0,63}.
func ValidPurposeName(name string) bool { return identifier(name, maxPurposeLen) }

// identifier reports whether s matches [a-z][a-z0-9_]{0,max-1}.
func identifier(s string, max int) bool {
	if len(s) == 0 || len(s) > max || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isStandardPurpose(name string) bool { return slices.Contains(StandardPurposes, name) }

// PurposeSet is a set of purposes: every purpose (All), or the named ones.
// Names are sorted and free of duplicates (ParsePurposes and the Store
// keep them so), which makes equal sets compare and serialise the same.
type PurposeSet struct {
	All   bool
	Names []string
}

// ParsePurposes reads a comma-separated list of purpose names, or "all".
// Names are lower-cased; each must be a valid purpose name.
func ParsePurposes(s string) (PurposeSet, error) {
	var p PurposeSet
	for f := range strings.SplitSeq(s, ",") {
		name := strings.ToLower(strings.TrimSpace(f))
		if name == "all" {
			p.All = true
			continue
		}
		if !ValidPurposeName(name) {
			return PurposeSet{}, fmt.Errorf("%w %q (want [a-z][a-z0-9_]{0,63} or all)", ErrInvalidPurpose, f)
		}
		p.Names = append(p.Names, name)
	}
	return p.normalized(), nil
}

// normalized returns p with its names sorted and deduplicated in a fresh
// slice (or none when All), so the caller's slice is never shared.
func (p PurposeSet) normalized() PurposeSet {
	if p.All {
		return PurposeSet{All: true}
	}
	names := slices.Clone(p.Names)
	slices.Sort(names)
	return PurposeSet{Names: slices.Compact(names)}
}

// validate checks that p is non-empty and every name is well formed.
func (p PurposeSet) validate() error {
	if p.All {
		return nil
	}
	if len(p.Names) == 0 {
		return fmt.Errorf("%w: empty purpose set", ErrInvalidPurpose)
	}
	for _, n := range p.Names {
		if !ValidPurposeName(n) {
			return fmt.Errorf("%w %q", ErrInvalidPurpose, n)
		}
	}
	return nil
}

// Has reports whether the set holds name. It does not allocate.
func (p PurposeSet) Has(name string) bool {
	if p.All {
		return true
	}
	for _, n := range p.Names {
		if n == name {
			return true
		}
	}
	return false
}

// Covers reports whether every purpose of o is in p.
func (p PurposeSet) Covers(o PurposeSet) bool {
	if p.All {
		return true
	}
	if o.All {
		return false
	}
	for _, n := range o.Names {
		if !p.Has(n) {
			return false
		}
	}
	return true
}

// String writes the set as ParsePurposes reads it.
func (p PurposeSet) String() string {
	if p.All {
		return "all"
	}
	return strings.Join(p.Names, ",")
}
