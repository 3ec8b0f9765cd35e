package contactkey

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// The fast path must give exactly the library's answer. These tests
// generate numbers from the library's own example numbers for every region
// and non-geographic entity, mutate them (valid and invalid ones), write
// them in national, international, IDD, trunk-prefix and bare forms with
// assorted punctuation, and parse each against a default region — mostly
// the number's own, often another one.

type phoneCase struct {
	region string
	input  string
}

type exampleNumber struct {
	region string // "001" for non-geographic entities
	cc     int
	nsn    string
	meta   *phonenumbers.PhoneMetadata
}

func exampleNumbers(t testing.TB) (byRegion map[string][]exampleNumber, all []exampleNumber, regions []string) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	byRegion = map[string][]exampleNumber{}
	for _, m := range coll.GetMetadata() {
		for _, d := range []*phonenumbers.PhoneNumberDesc{m.GetFixedLine(), m.GetMobile(), m.GetTollFree(),
			m.GetPremiumRate(), m.GetSharedCost(), m.GetPersonalNumber(), m.GetVoip(), m.GetPager(),
			m.GetUan(), m.GetVoicemail()} {
			if ex := d.GetExampleNumber(); ex != "" {
				e := exampleNumber{region: m.GetId(), cc: int(m.GetCountryCode()), nsn: ex, meta: m}
				byRegion[m.GetId()] = append(byRegion[m.GetId()], e)
				all = append(all, e)
			}
		}
	}
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	return byRegion, all, regions
}

var mainRegions = []string{"CN", "US", "GB", "KR", "ES"}

func genPhoneCases(t testing.TB, seed uint64, n int) []phoneCase {
	byRegion, all, regions := exampleNumbers(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cases := make([]phoneCase, 0, n)
	for len(cases) < n {
		region := regions[rng.IntN(len(regions))]
		if rng.IntN(5) < 2 {
			region = mainRegions[rng.IntN(len(mainRegions))]
		}
		var ex exampleNumber
		switch p := rng.IntN(10); {
		case p < 7 && len(byRegion[region]) > 0:
			own := byRegion[region]
			ex = own[rng.IntN(len(own))]
		case p < 9:
			ex = all[rng.IntN(len(all))]
		default:
			digits := make([]byte, 2+rng.IntN(14))
			for i := range digits {
				digits[i] = byte('0' + rng.IntN(10))
			}
			ex = exampleNumber{region: region, cc: 1 + rng.IntN(999), nsn: string(digits)}
		}
		nsn := mutateDigits(rng, ex.nsn)
		cases = append(cases, phoneCase{region: region, input: formatCase(rng, region, ex, nsn)})
	}
	return cases
}

func randDigits(rng *rand.Rand, k int) string {
	b := make([]byte, k)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}

func mutateDigits(rng *rand.Rand, nsn string) string {
	b := []byte(nsn)
	switch p := rng.IntN(22); {
	case p < 9: // new subscriber digits: mostly still valid
		k := 1 + rng.IntN(min(5, len(b)))
		for i := len(b) - k; i < len(b); i++ {
			b[i] = byte('0' + rng.IntN(10))
		}
	case p < 11:
		b = b[:len(b)-1]
	case p < 13:
		b = append(b, byte('0'+rng.IntN(10)))
	case p < 14:
		b[0] = byte('0' + rng.IntN(10))
	case p < 15 && len(b) > 3:
		i := 1 + rng.IntN(len(b)-2)
		b[i] = byte('0' + rng.IntN(10))
	case p < 16:
		b = append(b, randDigits(rng, 2+rng.IntN(5))...)
	case p < 17 && len(b) > 4: // a local number: the area code left off
		b = b[1+rng.IntN(min(4, len(b)-3)):]
	}
	return string(b)
}

// punctuate inserts separators between random groups of digits.
func punctuate(rng *rand.Rand, digits string) string {
	if rng.IntN(4) == 0 {
		return digits
	}
	seps := []string{" ", "-", ".", "/", " - ", "  "}
	sep := seps[rng.IntN(len(seps))]
	var sb strings.Builder
	for i := 0; i < len(digits); {
		g := 2 + rng.IntN(3)
		if i+g > len(digits) {
			g = len(digits) - i
		}
		if i > 0 {
			if rng.IntN(8) == 0 {
				sb.WriteString(seps[rng.IntN(len(seps))])
			} else {
				sb.WriteString(sep)
			}
		}
		if i == 0 && rng.IntN(5) == 0 && g < len(digits) {
			sb.WriteString("(" + digits[:g] + ")")
		} else {
			sb.WriteString(digits[i : i+g])
		}
		i += g
	}
	return sb.String()
}

func iddFor(rng *rand.Rand, region string) string {
	m := regionMetaForTest(region)
	if m == nil {
		return "00"
	}
	if p := m.GetPreferredInternationalPrefix(); p != "" && rng.IntN(2) == 0 {
		return strings.ReplaceAll(p, "~", "")
	}
	if lits, ok := literalAlternatives(m.GetInternationalPrefix()); ok {
		return lits[rng.IntN(len(lits))]
	}
	return "00"
}

func regionMetaForTest(region string) *phonenumbers.PhoneMetadata {
	coll, _ := phonenumbers.MetadataCollection()
	for _, m := range coll.GetMetadata() {
		if m.GetId() == region {
			return m
		}
	}
	return nil
}

var oddInputs = []string{"#", "*", "~", "ext. 12", " x123", ";ext=7", "\t", "１２", "٣", "+", "++", "tel:", "电话", " ,,5", "[", "]", "&&a]"}

func formatCase(rng *rand.Rand, region string, ex exampleNumber, nsn string) string {
	cc := strconv.Itoa(ex.cc)
	np := ""
	if ex.meta != nil {
		np = strings.ReplaceAll(ex.meta.GetNationalPrefix(), "~", "")
	}
	var s string
	switch p := rng.IntN(24); {
	case p < 5:
		s = "+" + cc + " " + punctuate(rng, nsn)
	case p < 7:
		s = "+" + punctuate(rng, cc+nsn)
	case p < 9:
		s = iddFor(rng, region) + " " + cc + " " + punctuate(rng, nsn)
	case p < 10:
		s = "00" + cc + punctuate(rng, nsn)
	case p < 12:
		s = punctuate(rng, cc+nsn)
	case p < 15:
		s = punctuate(rng, np+nsn)
	case p < 18:
		s = punctuate(rng, nsn)
	case p < 20:
		num, err := phonenumbers.Parse("+"+cc+nsn, "ZZ")
		if err == nil {
			s = phonenumbers.Format(num, phonenumbers.NATIONAL)
		} else {
			s = nsn
		}
	case p < 21:
		s = "+" + np + punctuate(rng, nsn) // a plus that should not be there
	case p < 22:
		s = "+" + iddFor(rng, region) + cc + nsn
	case p < 23:
		s = randDigits(rng, 1+rng.IntN(4)) + punctuate(rng, nsn) // carrier codes and junk prefixes
	default:
		s = punctuate(rng, randDigits(rng, 1+rng.IntN(20)))
	}
	switch rng.IntN(60) {
	case 0:
		s = oddInputs[rng.IntN(len(oddInputs))] + s
	case 1:
		s += oddInputs[rng.IntN(len(oddInputs))]
	case 2:
		s = "(" + s
	case 3:
		s = " " + s + " "
	}
	return s
}

// referencePhone is the specification: the library on the trimmed input,
// letters refused first.
func referencePhone(n *Normalizer, input string) (uint64, phoneReason) {
	return n.phoneSlow(string(bytes.TrimSpace([]byte(input))))
}

type agreeStats struct {
	total, decided, valid int
	mismatches            []string
}

func checkAgreement(t *testing.T, cases []phoneCase) agreeStats {
	normalizers := map[string]*Normalizer{}
	for _, c := range cases {
		if normalizers[c.region] == nil {
			n, err := NewNormalizer(c.region)
			if err != nil {
				t.Fatalf("NewNormalizer(%s): %v", c.region, err)
			}
			normalizers[c.region] = n
		}
	}
	workers := runtime.GOMAXPROCS(0)
	results := make([]agreeStats, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := &results[w]
			for i := w; i < len(cases); i += workers {
				c := cases[i]
				n := normalizers[c.region]
				wantV, wantR := referencePhone(n, c.input)
				st.total++
				if wantR == prOK {
					st.valid++
				}
				gotV, gotR, decided := n.phoneFast(bytes.TrimSpace([]byte(c.input)))
				if decided {
					st.decided++
					if gotV != wantV || gotR != wantR {
						st.mismatches = append(st.mismatches, fmt.Sprintf("region %s input %q: fast %d %q, library %d %q",
							c.region, c.input, gotV, gotR, wantV, wantR))
					}
				}
				// Normalising the normalised form is a no-op.
				if wantR == prOK {
					if again, err := n.Phone([]byte(FormatPhone(wantV))); err != nil || again != wantV {
						st.mismatches = append(st.mismatches, fmt.Sprintf("region %s input %q: %s re-reads as %d, %v",
							c.region, c.input, FormatPhone(wantV), again, err))
					}
				}
				// The public entry point agrees whatever path it takes.
				v, err := n.Phone([]byte(c.input))
				if (err == nil) != (wantR == prOK) || v != wantV {
					st.mismatches = append(st.mismatches, fmt.Sprintf("region %s input %q: Phone %d %v, library %d %q",
						c.region, c.input, v, err, wantV, wantR))
				}
			}
		}(w)
	}
	wg.Wait()
	var all agreeStats
	for _, r := range results {
		all.total += r.total
		all.decided += r.decided
		all.valid += r.valid
		all.mismatches = append(all.mismatches, r.mismatches...)
	}
	return all
}

func TestPhoneFastPathAgreesWithLibrary(t *testing.T) {
	n := 120_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	cases := genPhoneCases(t, 20240601, n)
	st := checkAgreement(t, cases)
	t.Logf("%d inputs, %d decided by the fast path (%.1f%%), %d valid (%.1f%%)",
		st.total, st.decided, 100*float64(st.decided)/float64(st.total), st.valid, 100*float64(st.valid)/float64(st.total))
	for i, m := range st.mismatches {
		if i == 30 {
			t.Errorf("... %d mismatches in all", len(st.mismatches))
			break
		}
		t.Error(m)
	}
	if st.decided < st.total*9/10 {
		t.Errorf("fast path decided only %d of %d inputs", st.decided, st.total)
	}
	if st.valid < st.total/4 || st.valid > st.total*3/4 {
		t.Errorf("sample is lopsided: %d of %d valid", st.valid, st.total)
	}
}
