package segments

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"rfm:champions", "rfm:champions"},
		{"RFM:champions", "rfm:champions"},
		{"rfm:champions OR (rfm:loyal_customers AND monetary >= 500) AND NOT list:mail_dnm AND NOT segment:complained_2026",
			"rfm:champions OR (rfm:loyal_customers AND monetary >= 500) AND NOT list:mail_dnm AND NOT segment:complained_2026"},
		{"a:b", ""}, // placeholder replaced below
		{"rfm:a or rfm:b and rfm:c", "rfm:a OR rfm:b AND rfm:c"},
		{"(rfm:a or rfm:b) and rfm:c", "(rfm:a OR rfm:b) AND rfm:c"},
		{"not rfm:a and rfm:b", "NOT rfm:a AND rfm:b"},
		{"not (rfm:a and rfm:b)", "NOT (rfm:a AND rfm:b)"},
		{"NOT NOT rfm:a", "NOT NOT rfm:a"},
		{"monetary>=12.50", "monetary >= 12.5"},
		{"r = 5 AND f == 4 AND m != 1", "r = 5 AND f = 4 AND m != 1"},
		{"recency_days < 30 OR recency_days > 1_000", "recency_days < 30 OR recency_days > 1000"},
		{"monetary > -3.25", "monetary > -3.25"},
		{"((rfm:a))", "rfm:a"},
		{"rfm:a AND (rfm:b AND rfm:c)", "rfm:a AND (rfm:b AND rfm:c)"},
		{"list:national-dnc.v2 OR consent:sms_marketing", "list:national-dnc.v2 OR consent:sms_marketing"},
	}
	for _, tt := range tests {
		if tt.in == "a:b" {
			continue
		}
		t.Run(tt.in, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := n.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			again, err := Parse(n.String())
			if err != nil || again.String() != n.String() {
				t.Fatalf("re-parse of %q: %v, %v", n.String(), again, err)
			}
		})
	}
}

func TestParsePrecedence(t *testing.T) {
	n, err := Parse("rfm:a OR NOT rfm:b AND rfm:c")
	if err != nil {
		t.Fatal(err)
	}
	or, ok := n.(*Or)
	if !ok || len(or.Xs) != 2 {
		t.Fatalf("top node %T %v, want OR of two", n, n)
	}
	and, ok := or.Xs[1].(*And)
	if !ok || len(and.Xs) != 2 {
		t.Fatalf("right of OR is %T, want AND", or.Xs[1])
	}
	if _, ok := and.Xs[0].(*Not); !ok {
		t.Fatalf("NOT binds tighter than AND: got %T", and.Xs[0])
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		col     int // 1-based, 0 = not a positional error
		wantSub string
		want    error
	}{
		{"", 0, "empty", ErrEmpty},
		{"   \t\n", 0, "empty", ErrEmpty},
		{"(rfm:a AND rfm:b", 17, "unbalanced parentheses: expected ')' to close '(' at column 1, found end of input", nil},
		{"rfm:a AND rfm:b)", 16, "unbalanced parentheses: ')' without a matching '('", nil},
		{"((rfm:a)", 9, "unbalanced parentheses", nil},
		{"()", 2, "expected a set name", nil},
		{"rfm:a AND", 10, "unexpected end of input: expected a set name", nil},
		{"rfm:a OR OR rfm:b", 10, "found \"OR\"", nil},
		{"rfm:a rfm:b", 7, "expected AND, OR or end of input, found \"rfm:b\"", nil},
		{"monetary >=", 12, "expected a number after monetary >=, found end of input", nil},
		{"monetary >= rfm:a", 13, "expected a number", nil},
		{"monetary >= 1.2.3", 13, "not a decimal", nil},
		{"monetary >= 1.1234567", 13, "more than 6 digits", nil},
		{"monetary >= 99999999999999999999", 13, "out of range", nil},
		{"500 <= monetary", 1, "write the attribute first", nil},
		{"spend >= 5", 1, "unknown attribute \"spend\"", nil},
		{"champions", 1, "unknown name \"champions\"", nil},
		{"foo:bar", 1, "unknown namespace \"foo\"", nil},
		{"rfm:", 5, "expected a name after \"rfm:\"", nil},
		{"rfm:a && rfm:b", 7, "write AND, OR", nil},
		{"!rfm:a", 1, "use NOT", nil},
		{"rfm:a AND ~rfm:b", 11, "unexpected character '~'", nil},
		{"monetary >= 5x", 14, "unexpected 'x' in number", nil},
		{strings.Repeat("(", 300) + "rfm:a" + strings.Repeat(")", 300), 0, "nested deeper than 200", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error", tt.in)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Fatalf("error %q does not say %q", err, tt.wantSub)
			}
			if tt.col > 0 && !strings.Contains(err.Error(), fmt.Sprintf("column %d:", tt.col)) {
				t.Fatalf("error %q does not name column %d", err, tt.col)
			}
		})
	}
}

func smallFixture() *fixture {
	f := newFixture()
	f.addSet(NSRFM, "champions", 1, 2, 3)
	f.addSet(NSRFM, "lost", 7, 8)
	f.addSet(NSList, "mail_dnm", 2)
	f.addSet(NSSegment, "complained_2026", 3)
	f.addSet(NSConsent, "sms_marketing", 1, 8)
	f.setAttr(AttrMonetary, map[uint64]int64{1: 50000, 2: 49999, 3: 120000, 7: 100, 8: 0})
	f.setAttr(AttrR, map[uint64]int64{1: 5, 2: 5, 3: 4, 7: 1, 8: 1})
	f.addSet(NSRFM, "others", 9) // a customer with no purchases
	return f.build()
}

func TestCheckErrors(t *testing.T) {
	f := smallFixture()
	tests := []struct {
		in       string
		wantType bool
		wantSubs []string
	}{
		{"monetary AND rfm:lost", true, []string{"column 1: type error: monetary is a number, not a set of customers"}},
		{"rfm:lost OR NOT r", true, []string{"column 17: type error: r is a number"}},
		{"rfm:champs", false, []string{"column 1: unknown RFM segment \"champs\" (known: champions, lost, others)"}},
		{"rfm:lost AND list:nope AND segment:x", false, []string{"column 14: unknown list \"nope\" (known: mail_dnm)", "column 28: unknown segment \"x\""}},
		{"frequency >= 2", false, []string{"attribute frequency has no index yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Compile(tt.in, f)
			if err == nil {
				t.Fatalf("Compile(%q) succeeded", tt.in)
			}
			var te *TypeError
			var ne *NameError
			if tt.wantType && !errors.As(err, &te) {
				t.Fatalf("want a TypeError, got %v", err)
			}
			if !tt.wantType && !errors.As(err, &ne) {
				t.Fatalf("want a NameError, got %v", err)
			}
			for _, s := range tt.wantSubs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestEvalSmall(t *testing.T) {
	f := smallFixture()
	tests := []struct {
		in   string
		want []uint64
	}{
		{"rfm:champions", []uint64{1, 2, 3}},
		{"rfm:champions AND NOT list:mail_dnm", []uint64{1, 3}},
		{"NOT rfm:champions", []uint64{7, 8, 9}},
		{"monetary >= 500", []uint64{1, 3}},
		{"monetary >= 499.99", []uint64{1, 2, 3}},
		{"monetary > 499.991", []uint64{1, 3}},
		{"monetary < 499.991", []uint64{2, 7, 8}},
		{"monetary = 500", []uint64{1}},
		{"monetary = 500.001", nil},
		{"monetary != 500", []uint64{2, 3, 7, 8}},
		{"NOT monetary >= 1", []uint64{8, 9}},
		{"monetary >= -5", []uint64{1, 2, 3, 7, 8}},
		{"monetary >= 1000000000", nil},
		{"monetary <= 1000000000", []uint64{1, 2, 3, 7, 8}},
		{"r >= 5 OR segment:complained_2026", []uint64{1, 2, 3}},
		{"rfm:champions OR rfm:lost AND consent:sms_marketing", []uint64{1, 2, 3, 8}},
		{"(rfm:champions OR rfm:lost) AND consent:sms_marketing", []uint64{1, 8}},
		{"NOT rfm:lost AND NOT rfm:champions", []uint64{9}},
		{"r >= 4 AND monetary < 1000 AND NOT list:mail_dnm", []uint64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := Compile(tt.in, f)
			if err != nil {
				t.Fatal(err)
			}
			bm, err := Eval(n, f)
			if err != nil {
				t.Fatal(err)
			}
			got := bm.ToArray()
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Fatalf("Eval = %v, want %v", got, tt.want)
			}
			c, err := Count(n, f)
			if err != nil || c != uint64(len(tt.want)) {
				t.Fatalf("Count = %d, %v; want %d", c, err, len(tt.want))
			}
		})
	}
}

func TestEvalDoesNotChangeResolverSets(t *testing.T) {
	f := smallFixture()
	before := f.bms[Ref{NS: NSRFM, Name: "champions"}].GetCardinality()
	for _, src := range []string{"rfm:champions", "rfm:champions AND NOT list:mail_dnm", "rfm:champions AND monetary >= 500", "rfm:champions OR rfm:lost"} {
		n, _ := Compile(src, f)
		bm, err := Eval(n, f)
		if err != nil {
			t.Fatal(err)
		}
		bm.Clear()
	}
	if got := f.bms[Ref{NS: NSRFM, Name: "champions"}].GetCardinality(); got != before {
		t.Fatalf("resolver's set changed: %d -> %d", before, got)
	}
}

// randomFixture builds sets and attributes over a random universe.
func randomFixture(rng *rand.Rand) *fixture {
	f := newFixture()
	span := uint64(50 + rng.IntN(3000))
	for id := uint64(0); id < span; id++ {
		if rng.IntN(4) != 0 {
			f.universe[id] = true
		}
	}
	ids := make([]uint64, 0, len(f.universe))
	for id := range f.universe {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, ns := range Namespaces {
		for k := range 3 {
			var members []uint64
			p := rng.Float64()
			for _, id := range ids {
				if rng.Float64() < p {
					members = append(members, id)
				}
			}
			f.addSet(ns, fmt.Sprintf("s%d", k), members...)
		}
	}
	for _, a := range Attributes {
		vals := map[uint64]int64{}
		lo := int64(rng.IntN(3)) - 1 // some indexes hold negatives
		width := int64(1 + rng.IntN(100000))
		if rng.IntN(2) == 0 {
			width = int64(1 + rng.IntN(MaxValueSets)) // few values: per-value bitmaps apply
		}
		for _, id := range ids {
			if rng.IntN(5) != 0 {
				vals[id] = lo*width/2 + rng.Int64N(width)
			}
		}
		f.setAttr(a, vals)
	}
	return f.build()
}

func randomExpr(rng *rand.Rand, depth int) string {
	if depth <= 0 || rng.IntN(4) == 0 {
		if rng.IntN(2) == 0 {
			return fmt.Sprintf("%s:s%d", Namespaces[rng.IntN(len(Namespaces))], rng.IntN(3))
		}
		ops := []string{"=", "!=", "<", "<=", ">", ">="}
		a := Attributes[rng.IntN(len(Attributes))]
		v := rng.Int64N(120000) - 60000
		if rng.IntN(2) == 0 {
			v = rng.Int64N(24) - 4
		}
		lit := fmt.Sprint(v)
		if rng.IntN(3) == 0 {
			lit = fmt.Sprintf("%d.%03d", v/1000, rng.IntN(1000))
		}
		return fmt.Sprintf("%s %s %s", a, ops[rng.IntN(len(ops))], lit)
	}
	switch rng.IntN(4) {
	case 0:
		return "NOT " + randomExpr(rng, depth-1)
	case 1:
		return "(" + randomExpr(rng, depth-1) + ")"
	case 2:
		return randomExpr(rng, depth-1) + " AND " + randomExpr(rng, depth-1)
	}
	return randomExpr(rng, depth-1) + " OR " + randomExpr(rng, depth-1)
}

// TestEvalMatchesNaive is the property test: on random data, the bitmap
// evaluation equals the definition evaluated over plain maps.
func TestEvalMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 2026))
	for round := range 40 {
		f := randomFixture(rng)
		for range 25 {
			src := randomExpr(rng, 4)
			n, err := Compile(src, f)
			if err != nil {
				t.Fatalf("round %d: Compile(%q): %v", round, src, err)
			}
			var r Resolver = f
			if round%2 == 1 {
				r = valueFixture{f}
			}
			bm, err := Eval(n, r)
			if err != nil {
				t.Fatalf("Eval(%q): %v", src, err)
			}
			want := f.naive(n)
			if c, err := Count(n, r); err != nil || c != uint64(len(want)) {
				t.Fatalf("round %d: Count(%q) = %d, %v; naive %d", round, src, c, err, len(want))
			}
			got := bm.ToArray()
			if len(got) != len(want) {
				t.Fatalf("round %d: %q: %d customers, naive %d", round, src, len(got), len(want))
			}
			for _, id := range got {
				if !want[id] {
					t.Fatalf("round %d: %q: %d selected, naive says no", round, src, id)
				}
			}
		}
	}
}

func TestBuildIndexValues(t *testing.T) {
	ids := []uint64{0, 3, 4, 1000, 70000}
	vals := []int64{0, -7, 123456, 1, -1}
	b, err := BuildIndex(ids, vals)
	if err != nil {
		t.Fatal(err)
	}
	for k, id := range ids {
		if v, ok := b.GetValue(id); !ok || v != vals[k] {
			t.Errorf("GetValue(%d) = %d, %v; want %d", id, v, ok, vals[k])
		}
	}
	if _, err := BuildIndex([]uint64{2, 1}, []int64{0, 0}); err == nil {
		t.Error("unsorted ids accepted")
	}
}

func TestRefs(t *testing.T) {
	n, _ := Parse("rfm:a AND NOT list:b OR rfm:a OR monetary > 1")
	got := Refs(n)
	want := []Ref{{NS: NSRFM, Name: "a"}, {NS: NSList, Name: "b"}}
	if !slices.Equal(got, want) {
		t.Fatalf("Refs = %v, want %v", got, want)
	}
}

func TestInRange(t *testing.T) {
	ids := []uint64{1, 2, 3, 4, 5}
	vals := []int64{-3, 0, 7, 20000, 20400}
	b, _ := BuildIndex(ids, vals)
	for _, tt := range []struct {
		lo, hi int64
		want   []uint64
	}{
		{0, 10, []uint64{2, 3}}, {-100, 100, []uint64{1, 2, 3}}, {20000, 1 << 40, []uint64{4, 5}},
		{1 << 40, 1 << 41, nil}, {-1 << 40, -4, nil}, {5, 4, nil}, {-1 << 40, 1 << 40, ids},
	} {
		got := InRange(b, tt.lo, tt.hi).ToArray()
		if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("InRange(%d, %d) = %v, want %v", tt.lo, tt.hi, got, tt.want)
		}
	}
}
