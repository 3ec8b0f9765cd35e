package contactkey

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// The automata and the backtracker are checked directly against package
// regexp, on the library's own patterns, with digit strings built from the
// library's example numbers (so that many of them match).

func digitSamples(rng *rand.Rand, seeds []string, n int) []string {
	out := []string{"", "0", "00", "1", "011", "8", "180020"}
	for len(out) < n {
		var s string
		if len(seeds) > 0 && rng.IntN(4) != 0 {
			s = mutateDigits(rng, seeds[rng.IntN(len(seeds))])
			switch rng.IntN(4) {
			case 0:
				s = randDigits(rng, 1+rng.IntN(3)) + s
			case 1:
				s = "0" + s
			}
		} else {
			s = randDigits(rng, rng.IntN(18))
		}
		out = append(out, s)
	}
	return out
}

func TestDigitDFAMatchesRegexp(t *testing.T) {
	byRegion, _, _ := exampleNumbers(t)
	tabs, err := loadPhoneTables()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for _, c := range tabs.byCC {
		if c == nil {
			continue
		}
		for _, r := range c.regions {
			if err := r.ready(); err != nil {
				t.Fatal(err)
			}
			m := r.meta
			var seeds []string
			for _, e := range byRegion[r.id] {
				if e.cc == r.cc {
					seeds = append(seeds, e.nsn)
				}
			}
			descs := []string{m.GetGeneralDesc().GetNationalNumberPattern(), m.GetPremiumRate().GetNationalNumberPattern(),
				m.GetTollFree().GetNationalNumberPattern(), m.GetSharedCost().GetNationalNumberPattern(),
				m.GetVoip().GetNationalNumberPattern(), m.GetPersonalNumber().GetNationalNumberPattern(),
				m.GetPager().GetNationalNumberPattern(), m.GetUan().GetNationalNumberPattern(),
				m.GetVoicemail().GetNationalNumberPattern(), m.GetFixedLine().GetNationalNumberPattern(),
				m.GetMobile().GetNationalNumberPattern()}
			res := make([]*regexp.Regexp, len(descs))
			for i, p := range descs {
				res[i] = regexp.MustCompile("^(?:" + p + ")$")
			}
			var ld *regexp.Regexp
			if p := m.GetLeadingDigits(); p != "" {
				ld = regexp.MustCompile("^(?:" + p + ")")
			}
			for _, s := range digitSamples(rng, seeds, 150) {
				acc := r.descs.run([]byte(s))
				for i, re := range res {
					if got, want := acc&(1<<i) != 0, re.MatchString(s); got != want {
						t.Errorf("region %s desc %d on %q: automaton %v, regexp %v", r.id, i, s, got, want)
					}
				}
				if ld != nil {
					if got, want := r.leading.prefixMatch([]byte(s), 1), ld.MatchString(s); got != want {
						t.Errorf("region %s leading digits on %q: automaton %v, regexp %v", r.id, s, got, want)
					}
				}
				checked++
			}
		}
	}
	t.Logf("%d strings checked", checked)
}

func TestPrefixMatcherMatchesRegexp(t *testing.T) {
	byRegion, _, _ := exampleNumbers(t)
	tabs, err := loadPhoneTables()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range tabs.byCC {
		if c == nil {
			continue
		}
		for _, r := range c.regions {
			if err := r.ready(); err != nil {
				t.Fatal(err)
			}
			var seeds []string
			for _, e := range byRegion[r.id] {
				seeds = append(seeds, e.nsn)
			}
			type named struct {
				what string
				m    *prefixMatcher
			}
			var ms []named
			if r.idd != nil {
				ms = append(ms, named{"international prefix", r.idd})
			}
			if r.npfp != nil {
				ms = append(ms, named{"national prefix", r.npfp})
			}
			for _, nm := range ms {
				for _, s := range digitSamples(rng, seeds, 120) {
					loc := nm.m.re.FindStringSubmatchIndex(s)
					want := loc != nil && loc[0] == 0
					var caps [maxBTCaps]int
					got := nm.m.match([]byte(s), &caps)
					end, gotEnd := nm.m.matchEnd([]byte(s))
					if got != want || gotEnd != want {
						t.Errorf("region %s %s on %q: match %v/%v, regexp %v", r.id, nm.what, s, got, gotEnd, want)
						continue
					}
					if !want {
						continue
					}
					if end != loc[1] {
						t.Errorf("region %s %s on %q: end %d, regexp %d", r.id, nm.what, s, end, loc[1])
					}
					for i := range loc {
						if caps[i] != loc[i] {
							t.Errorf("region %s %s on %q: captures %v, regexp %v", r.id, nm.what, s, caps[:len(loc)], loc)
							break
						}
					}
				}
			}
		}
	}
}

// The backtracker falls back to package regexp for inputs too long for its
// bit vector, with the same answer.
func TestPrefixMatcherLongInput(t *testing.T) {
	m, err := newPrefixMatcher("(1(?:[12]\\d|79)\\d\\d)|0", true)
	if err != nil {
		t.Fatal(err)
	}
	long := "0" + randDigits(rand.New(rand.NewPCG(5, 6)), 300)
	var caps [maxBTCaps]int
	if !m.match([]byte(long), &caps) || caps[1] != 1 {
		t.Errorf("long input: match end %d", caps[1])
	}
}
