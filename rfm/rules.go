package rfm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Range is an inclusive range of scores.
type Range struct{ Lo, Hi int }

func (r Range) contains(s int) bool { return s >= r.Lo && s <= r.Hi }

func (r Range) String() string { return fmt.Sprintf("%d-%d", r.Lo, r.Hi) }

// Rule names a segment and the score cells it takes.
type Rule struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
	R    Range  `json:"-"`
	F    Range  `json:"-"`
	M    Range  `json:"-"`
}

// Matches reports whether the rule takes cell (r, f, m).
func (ru Rule) Matches(r, f, m int) bool {
	return ru.R.contains(r) && ru.F.contains(f) && ru.M.contains(m)
}

// RuleTable maps score cells to segments: the first matching rule wins,
// cells no rule matches are OthersName.
type RuleTable struct {
	Name  string // where it came from (file name, "default")
	Rules []Rule
}

// OthersName and OthersSlug name the segment of unmatched cells.
const (
	OthersName = "Others"
	OthersSlug = "others"
)

// ErrRules is wrapped by every rule-table error.
var ErrRules = errors.New("bad rule table")

// DefaultRules is the ten-segment table of the R rfm package (v0.3.0), for
// five score levels.
func DefaultRules() *RuleTable {
	t := &RuleTable{Name: "default"}
	add := func(name string, r0, r1, f0, f1, m0, m1 int) {
		t.Rules = append(t.Rules, Rule{Name: name, Slug: Slugify(name), R: Range{r0, r1}, F: Range{f0, f1}, M: Range{m0, m1}})
	}
	add("Champions", 5, 5, 5, 5, 5, 5)
	add("Potential Loyalist", 3, 5, 3, 5, 2, 5)
	add("Loyal Customers", 2, 4, 2, 4, 2, 4)
	add("Promising", 3, 4, 1, 3, 3, 5)
	add("New Customers", 4, 5, 1, 3, 1, 5)
	add("Can't Lose Them", 1, 2, 3, 4, 4, 5)
	add("At Risk", 1, 2, 2, 5, 4, 5)
	add("Need Attention", 1, 3, 3, 5, 3, 5)
	add("About To Sleep", 2, 3, 1, 3, 1, 4)
	add("Lost", 1, 1, 1, 5, 1, 5)
	return t
}

// DefaultRulesBins is the number of score levels DefaultRules is written for.
const DefaultRulesBins = 5

// Slugify makes a segment name into the slug of its bitmap (rfm:<slug>):
// lower case, letters and digits, words joined by '_', apostrophes dropped.
func Slugify(name string) string {
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(name) {
		switch {
		case c == '\'' || c == '’':
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(c)
		default:
			under = true
		}
	}
	return b.String()
}

// ParseRules reads a rule table from YAML or JSON (JSON is read as YAML).
// Either a list of rules or an object with a "segments" (or "rules") list;
// each rule has name, r, f and m, and optionally slug. A range is
// [lo, hi], a single score, or "lo-hi". Errors name the rule.
func ParseRules(data []byte, name string) (*RuleTable, error) {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRules, name, err)
	}
	var list []any
	switch d := doc.(type) {
	case []any:
		list = d
	case map[string]any:
		for _, k := range []string{"segments", "rules"} {
			if v, ok := d[k]; ok {
				l, ok := v.([]any)
				if !ok {
					return nil, fmt.Errorf("%w: %s: %q must be a list of rules", ErrRules, name, k)
				}
				list = l
				break
			}
		}
		if list == nil {
			return nil, fmt.Errorf("%w: %s: want a list of rules or an object with a \"segments\" list", ErrRules, name)
		}
	case nil:
		return nil, fmt.Errorf("%w: %s: empty", ErrRules, name)
	default:
		return nil, fmt.Errorf("%w: %s: want a list of rules or an object with a \"segments\" list", ErrRules, name)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: %s: no rules", ErrRules, name)
	}
	if len(list) > 250 {
		return nil, fmt.Errorf("%w: %s: %d rules, at most 250", ErrRules, name, len(list))
	}
	t := &RuleTable{Name: name}
	slugs := map[string]int{OthersSlug: 0}
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: %s: rule %d: want an object with name, r, f, m", ErrRules, name, i+1)
		}
		var ru Rule
		label := fmt.Sprintf("rule %d", i+1)
		if n, ok := m["name"].(string); ok && strings.TrimSpace(n) != "" {
			ru.Name = strings.TrimSpace(n)
			label = fmt.Sprintf("rule %d (%s)", i+1, ru.Name)
		} else {
			return nil, fmt.Errorf("%w: %s: %s: missing field name", ErrRules, name, label)
		}
		for k := range m {
			switch strings.ToLower(k) {
			case "name", "slug", "r", "f", "m", "recency", "frequency", "monetary":
			default:
				return nil, fmt.Errorf("%w: %s: %s: unknown field %q (want name, slug, r, f, m)", ErrRules, name, label, k)
			}
		}
		ru.Slug = Slugify(ru.Name)
		if s, ok := m["slug"]; ok {
			ss, ok := s.(string)
			if !ok || Slugify(ss) != ss || ss == "" {
				return nil, fmt.Errorf("%w: %s: %s: slug %v must be lower-case letters, digits and '_'", ErrRules, name, label, s)
			}
			ru.Slug = ss
		}
		if ru.Slug == "" {
			return nil, fmt.Errorf("%w: %s: %s: the name has no letters or digits for a slug", ErrRules, name, label)
		}
		if j, dup := slugs[ru.Slug]; dup {
			other := OthersName
			if j > 0 {
				other = t.Rules[j-1].Name
			}
			return nil, fmt.Errorf("%w: %s: %s: slug %q is also %s's", ErrRules, name, label, ru.Slug, other)
		}
		slugs[ru.Slug] = i + 1
		for _, dim := range []struct {
			short, long string
			dst         *Range
		}{{"r", "recency", &ru.R}, {"f", "frequency", &ru.F}, {"m", "monetary", &ru.M}} {
			v, ok := m[dim.short]
			if !ok {
				v, ok = m[dim.long]
			}
			if !ok {
				return nil, fmt.Errorf("%w: %s: %s: missing field %s", ErrRules, name, label, dim.short)
			}
			r, err := parseRange(v)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %s: field %s: %v", ErrRules, name, label, dim.short, err)
			}
			*dim.dst = r
		}
		t.Rules = append(t.Rules, ru)
	}
	return t, nil
}

func parseRange(v any) (Range, error) {
	toInt := func(x any) (int, error) {
		switch n := x.(type) {
		case int:
			return n, nil
		case float64:
			if n != float64(int(n)) {
				return 0, fmt.Errorf("score %v is not a whole number", n)
			}
			return int(n), nil
		case string:
			i, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil {
				return 0, fmt.Errorf("score %q is not a whole number", n)
			}
			return i, nil
		}
		return 0, fmt.Errorf("want a score, got %v", x)
	}
	var r Range
	var err error
	switch x := v.(type) {
	case []any:
		if len(x) != 2 {
			return r, fmt.Errorf("want [lo, hi], got %d values", len(x))
		}
		if r.Lo, err = toInt(x[0]); err != nil {
			return r, err
		}
		if r.Hi, err = toInt(x[1]); err != nil {
			return r, err
		}
	case string:
		lo, hi, found := strings.Cut(x, "-")
		if !found {
			hi = lo
		}
		if r.Lo, err = toInt(lo); err != nil {
			return r, err
		}
		if r.Hi, err = toInt(hi); err != nil {
			return r, err
		}
	default:
		if r.Lo, err = toInt(x); err != nil {
			return r, err
		}
		r.Hi = r.Lo
	}
	if r.Lo > r.Hi {
		return r, fmt.Errorf("range %d-%d is empty (lo > hi)", r.Lo, r.Hi)
	}
	return r, nil
}

// Validate checks every range lies in 1..bins; the error names the rule.
func (t *RuleTable) Validate(bins int) error {
	for i, ru := range t.Rules {
		for _, d := range []struct {
			n string
			r Range
		}{{"r", ru.R}, {"f", ru.F}, {"m", ru.M}} {
			if d.r.Lo < 1 || d.r.Hi > bins {
				return fmt.Errorf("%w: %s: rule %d (%s): %s range %s is outside the scores 1..%d", ErrRules, t.Name, i+1, ru.Name, d.n, d.r, bins)
			}
		}
	}
	return nil
}

// Compile returns, for bins score levels, the segment index of every cell
// ((r-1)*bins*bins + (f-1)*bins + (m-1)); index len(t.Rules) is Others.
func (t *RuleTable) Compile(bins int) ([]uint8, error) {
	if err := t.Validate(bins); err != nil {
		return nil, err
	}
	cells := make([]uint8, bins*bins*bins)
	for r := 1; r <= bins; r++ {
		for f := 1; f <= bins; f++ {
			for m := 1; m <= bins; m++ {
				seg := len(t.Rules)
				for i, ru := range t.Rules {
					if ru.Matches(r, f, m) {
						seg = i
						break
					}
				}
				cells[((r-1)*bins+(f-1))*bins+(m-1)] = uint8(seg)
			}
		}
	}
	return cells, nil
}

// Cell is one (R, F, M) score combination.
type Cell struct{ R, F, M int }

func (c Cell) String() string { return fmt.Sprintf("%d%d%d", c.R, c.F, c.M) }

// Overlap is a cell more than one rule matches.
type Overlap struct {
	Cell   Cell     `json:"cell"`
	Rules  []string `json:"rules"`
	Winner string   `json:"winner"`
}

// RuleCheck is what `rules check` reports about a table.
type RuleCheck struct {
	Table       string         `json:"table"`
	Bins        int            `json:"bins"`
	Cells       int            `json:"cells"`
	Overlaps    []Overlap      `json:"overlaps"`
	Unreachable []string       `json:"unreachable"`
	Others      []Cell         `json:"others"`
	CellsWon    map[string]int `json:"cells_won"`
}

// Check reports overlaps (cells matched by several rules and which wins),
// rules that win no cell (unreachable: earlier rules take all of theirs),
// and cells that fall to Others.
func (t *RuleTable) Check(bins int) (*RuleCheck, error) {
	if err := t.Validate(bins); err != nil {
		return nil, err
	}
	rc := &RuleCheck{Table: t.Name, Bins: bins, Cells: bins * bins * bins, CellsWon: map[string]int{}}
	won := make([]int, len(t.Rules))
	for r := 1; r <= bins; r++ {
		for f := 1; f <= bins; f++ {
			for m := 1; m <= bins; m++ {
				var match []string
				first := -1
				for i, ru := range t.Rules {
					if ru.Matches(r, f, m) {
						if first < 0 {
							first = i
						}
						match = append(match, ru.Name)
					}
				}
				c := Cell{r, f, m}
				switch {
				case first < 0:
					rc.Others = append(rc.Others, c)
				default:
					won[first]++
					if len(match) > 1 {
						rc.Overlaps = append(rc.Overlaps, Overlap{Cell: c, Rules: match, Winner: match[0]})
					}
				}
			}
		}
	}
	for i, ru := range t.Rules {
		rc.CellsWon[ru.Name] = won[i]
		if won[i] == 0 {
			rc.Unreachable = append(rc.Unreachable, ru.Name)
		}
	}
	rc.CellsWon[OthersName] = len(rc.Others)
	return rc, nil
}
