package rfm

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestElevenSegmentTableHasFourUnreachable(t *testing.T) {
	data, err := os.ReadFile("testdata/rules/eleven.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := ParseRules(data, "eleven.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := tb.Check(5)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"New Customers", "Promising", "Can't Lose Them", "Lost"}
	if !slices.Equal(rc.Unreachable, want) {
		t.Errorf("unreachable = %v, want %v", rc.Unreachable, want)
	}
	if len(rc.Others) != 44 {
		t.Errorf("cells to Others = %d, want 44", len(rc.Others))
	}
	won := 0
	for _, n := range rc.CellsWon {
		won += n
	}
	if won != 125 {
		t.Errorf("cells won add up to %d, want 125", won)
	}
	// Every overlap names its winner first, and the winner is the first rule.
	for _, o := range rc.Overlaps {
		if len(o.Rules) < 2 || o.Winner != o.Rules[0] {
			t.Errorf("overlap %v", o)
		}
	}
	// Cell 555: Champions, Loyal? no (r 2-4). Champions and At Risk? no. Check one known overlap:
	// 4,4,4 is Champions (4-5) and Loyal Customers (2-4,3-4,4-5) and Need Attention (3-4,3-4,3-4).
	found := false
	for _, o := range rc.Overlaps {
		if o.Cell == (Cell{4, 4, 4}) {
			found = true
			if !slices.Equal(o.Rules, []string{"Champions", "Loyal Customers", "Need Attention"}) {
				t.Errorf("444 matched by %v", o.Rules)
			}
		}
	}
	if !found {
		t.Error("444 not reported as an overlap")
	}
}

func TestDefaultRulesCheck(t *testing.T) {
	rc, err := DefaultRules().Check(5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Unreachable) != 0 {
		t.Errorf("default table unreachable: %v", rc.Unreachable)
	}
	if rc.CellsWon["Champions"] != 1 {
		t.Errorf("Champions wins %d cells, want 1", rc.CellsWon["Champions"])
	}
	seg := map[string]bool{}
	for _, r := range DefaultRules().Rules {
		seg[r.Slug] = true
	}
	for _, s := range []string{"champions", "potential_loyalist", "cant_lose_them", "about_to_sleep", "lost"} {
		if !seg[s] {
			t.Errorf("slug %s missing", s)
		}
	}
}

func TestParseRulesForms(t *testing.T) {
	yamlList := "- name: Best\n  r: [4, 5]\n  f: 5\n  m: \"3-5\"\n- name: Rest\n  r: [1, 5]\n  f: [1, 5]\n  m: [1, 5]\n"
	jsonObj := `{"segments": [{"name": "Best", "slug": "best", "r": [4,5], "f": [5,5], "m": [3,5]}, {"name": "Rest", "r": [1,5], "f": [1,5], "m": [1,5]}]}`
	for _, src := range []string{yamlList, jsonObj} {
		tb, err := ParseRules([]byte(src), "t")
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if len(tb.Rules) != 2 || tb.Rules[0].F != (Range{5, 5}) || tb.Rules[0].M != (Range{3, 5}) || tb.Rules[0].Slug != "best" {
			t.Errorf("%+v", tb.Rules)
		}
		rc, err := tb.Check(5)
		if err != nil {
			t.Fatal(err)
		}
		if len(rc.Others) != 0 || len(rc.Unreachable) != 0 || len(rc.Overlaps) != 2*1*3 {
			t.Errorf("check: %+v", rc)
		}
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{"- {name: Top, r: [1, 5], f: [1, 5]}", `rule 1 (Top): missing field m`},
		{"- {r: [1, 5], f: [1, 5], m: 1}", `rule 1: missing field name`},
		{"- {name: A, r: [1,5], f: [1,5], m: [1,5]}\n- {name: B, r: [0, 5], f: [1, 5], m: [1, 5]}", ""}, // parses; Validate rejects
		{"- {name: A, r: [3, 2], f: [1,5], m: [1,5]}", `rule 1 (A): field r: range 3-2 is empty`},
		{"- {name: A, r: [1, 2, 3], f: [1,5], m: [1,5]}", `rule 1 (A): field r: want [lo, hi]`},
		{"- {name: A, r: x, f: [1,5], m: [1,5]}", `rule 1 (A): field r: score "x" is not a whole number`},
		{"- {name: A, r: 1.5, f: [1,5], m: [1,5]}", `not a whole number`},
		{"- {name: A, r: 1, f: 1, m: 1, colour: red}", `unknown field "colour"`},
		{"- {name: A, r: 1, f: 1, m: 1}\n- {name: a, r: 2, f: 2, m: 2}", `slug "a" is also A's`},
		{"- {name: Others, r: 1, f: 1, m: 1}", `slug "others" is also Others's`},
		{"", "empty"},
		{"[]", "no rules"},
		{"segments: 3", `"segments" must be a list`},
		{"{a: [", "bad rule table"},
	}
	for _, tt := range tests {
		_, err := ParseRules([]byte(tt.src), "t.yaml")
		if tt.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.src, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrRules) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.src, err, tt.want)
		}
	}
}

func TestValidateScoreOutsideBins(t *testing.T) {
	tb, err := ParseRules([]byte("- {name: A, r: [1,5], f: [1,5], m: [1,5]}\n- {name: Far, r: [4, 6], f: [1, 5], m: [1, 5]}"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = tb.Validate(5)
	if err == nil || !strings.Contains(err.Error(), "rule 2 (Far): r range 4-6 is outside the scores 1..5") {
		t.Fatalf("Validate: %v", err)
	}
	if _, err := tb.Check(5); err == nil {
		t.Fatal("Check accepted a score of 6 with 5 bins")
	}
	tb2, _ := ParseRules([]byte("- {name: Z, r: [0, 2], f: 1, m: 1}"), "t.yaml")
	if err := tb2.Validate(5); err == nil || !strings.Contains(err.Error(), "rule 1 (Z)") {
		t.Fatalf("Validate 0: %v", err)
	}
}

func FuzzParseRules(f *testing.F) {
	for _, s := range []string{
		"- {name: Top, r: [4, 5], f: [4, 5], m: [4, 5]}",
		`{"segments": [{"name": "A", "r": [1,5], "f": [1,5], "m": [1,5]}]}`,
		"segments:\n  - name: X\n    r: 1-3\n    f: 2\n    m: [1, 5]\n",
		"- {name: A, r: [3, 2], f: 1, m: 1}",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tb, err := ParseRules([]byte(s), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrRules) {
				t.Fatalf("error %v does not wrap ErrRules", err)
			}
			return
		}
		for bins := 2; bins <= 10; bins += 4 {
			rc, err := tb.Check(bins)
			if err != nil {
				if !errors.Is(err, ErrRules) {
					t.Fatalf("check error %v does not wrap ErrRules", err)
				}
				continue
			}
			won := 0
			for _, n := range rc.CellsWon {
				won += n
			}
			if won != bins*bins*bins {
				t.Fatalf("cells won %d, want %d", won, bins*bins*bins)
			}
		}
	})
}
