package contactkey

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// The phone tables are derived from the library's metadata once per process
// and never change afterwards. Each region's automata are compiled on first
// use (sync.Once), so a process that only ever sees Chinese numbers compiles
// little more than China's.

// Bits of a region's description automaton, in libphonenumber's order of
// getNumberTypeHelper (the order does not change the answer; validity only
// asks whether any type matches).
const (
	descGeneral = iota
	descPremiumRate
	descTollFree
	descSharedCost
	descVoip
	descPersonalNumber
	descPager
	descUAN
	descVoicemail
	descFixedLine
	descMobile
	numDescs
)

// Results of libphonenumber's testNumberLength.
type lengthResult uint8

const (
	lenPossible lengthResult = iota
	lenPossibleLocalOnly
	lenTooShort
	lenTooLong
	lenInvalid
)

// maxLenTable bounds the lengths the per-length tables cover; longer
// numbers are handled by the general rule (too long for every region).
const maxLenTable = 40

// regionTables is the fast-path view of one PhoneMetadata (a region, or a
// non-geographic entity "001" for one calling code).
type regionTables struct {
	id   string
	cc   int
	meta *phonenumbers.PhoneMetadata

	once sync.Once
	err  error // non-nil: the fast path cannot decide for this region

	descs    *digitDFA               // bit i: desc i's national_number_pattern matches whole
	lenMask  [maxLenTable + 1]uint16 // bit i: desc i's possible lengths allow this length
	typeMask uint16                  // the type descs validity looks at
	lengths  [maxLenTable + 1]lengthResult
	lenMax   int32 // largest general possible length (for lengths past the table)

	idd       *prefixMatcher // international prefix
	npfp      *prefixMatcher // national_prefix_for_parsing; nil if none
	transform []tmplPiece    // national_prefix_transform_rule; nil if none
	lastGroup int            // number of groups in npfp
	leading   *digitDFA      // leading_digits (prefix match); nil if none
	ccDigits  string
}

// ccTables groups the regions of one country calling code, in metadata
// order.
type ccTables struct {
	cc      int
	regions []*regionTables // nil entries: a listed region without metadata
	main    *regionTables   // GetRegionCodeForCountryCode's region
	mainID  string
}

type phoneTables struct {
	regions map[string]*regionTables // supported geographic regions
	byCC    [1000]*ccTables
}

var loadPhoneTables = sync.OnceValues(buildPhoneTables)

func buildPhoneTables() (*phoneTables, error) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, fmt.Errorf("load phone metadata: %w", err)
	}
	regionMeta := map[string]*phonenumbers.PhoneMetadata{}
	nonGeo := map[int]*phonenumbers.PhoneMetadata{}
	for _, m := range coll.GetMetadata() {
		if m.GetId() == "001" {
			nonGeo[int(m.GetCountryCode())] = m
		} else {
			regionMeta[m.GetId()] = m
		}
	}
	t := &phoneTables{regions: map[string]*regionTables{}}
	for id := range phonenumbers.GetSupportedRegions() {
		if m := regionMeta[id]; m != nil {
			t.regions[id] = &regionTables{id: id, cc: int(m.GetCountryCode()), meta: m}
		}
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc <= 0 || cc >= len(t.byCC) {
			return nil, fmt.Errorf("calling code %d out of range", cc)
		}
		ids := phonenumbers.GetRegionCodesForCountryCode(cc)
		c := &ccTables{cc: cc}
		if len(ids) > 0 {
			c.mainID = ids[0]
		}
		for _, id := range ids {
			var r *regionTables
			if id == "001" {
				if m := nonGeo[cc]; m != nil {
					r = &regionTables{id: id, cc: cc, meta: m}
				}
			} else {
				r = t.regions[id]
			}
			c.regions = append(c.regions, r)
		}
		if len(c.regions) > 0 {
			c.main = c.regions[0]
		}
		t.byCC[cc] = c
	}
	return t, nil
}

// ready compiles the region's automata on first use.
func (r *regionTables) ready() error {
	r.once.Do(func() { r.err = r.build() })
	return r.err
}

func (r *regionTables) build() error {
	m := r.meta
	r.ccDigits = strconv.Itoa(r.cc)
	descs := [numDescs]*phonenumbers.PhoneNumberDesc{
		descGeneral:        m.GetGeneralDesc(),
		descPremiumRate:    m.GetPremiumRate(),
		descTollFree:       m.GetTollFree(),
		descSharedCost:     m.GetSharedCost(),
		descVoip:           m.GetVoip(),
		descPersonalNumber: m.GetPersonalNumber(),
		descPager:          m.GetPager(),
		descUAN:            m.GetUan(),
		descVoicemail:      m.GetVoicemail(),
		descFixedLine:      m.GetFixedLine(),
		descMobile:         m.GetMobile(),
	}
	patterns := make([]string, numDescs)
	for i, d := range descs {
		if d == nil {
			// The library would dereference it and panic; never seen in
			// its metadata, so refuse rather than guess.
			return fmt.Errorf("region %s: missing number description %d", r.id, i)
		}
		// isNumberMatchingDesc compiles ^(?:p)$.
		patterns[i] = "(?:" + d.GetNationalNumberPattern() + ")"
		for l := 0; l <= maxLenTable; l++ {
			if len(d.PossibleLength) == 0 || slices.Contains(d.PossibleLength, int32(l)) {
				r.lenMask[l] |= 1 << i
			}
		}
	}
	var err error
	if r.descs, err = compileDigitDFA(patterns); err != nil {
		return fmt.Errorf("region %s: %w", r.id, err)
	}
	r.typeMask = 1<<numDescs - 1
	r.typeMask &^= 1 << descGeneral
	if m.GetSameMobileAndFixedLinePattern() {
		r.typeMask &^= 1 << descMobile
	}

	gen := m.GetGeneralDesc()
	if len(gen.PossibleLength) == 0 {
		return fmt.Errorf("region %s: general description has no possible lengths", r.id)
	}
	r.lenMax = gen.PossibleLength[len(gen.PossibleLength)-1]
	for l := 0; l <= maxLenTable; l++ {
		r.lengths[l] = testLength(gen.PossibleLength, gen.PossibleLengthLocalOnly, int32(l))
	}
	if r.lenMax >= maxLenTable {
		return fmt.Errorf("region %s: possible length %d beyond table", r.id, r.lenMax)
	}

	if r.id != "001" {
		if r.idd, err = newPrefixMatcher(m.GetInternationalPrefix(), false); err != nil {
			return fmt.Errorf("region %s international prefix: %w", r.id, err)
		}
	}
	if p := m.GetNationalPrefixForParsing(); p != "" {
		if r.npfp, err = newPrefixMatcher(p, true); err != nil {
			return fmt.Errorf("region %s national prefix: %w", r.id, err)
		}
		r.lastGroup = r.npfp.ncap/2 - 1
		if tr := m.GetNationalPrefixTransformRule(); tr != "" {
			r.transform = parseTemplate(tr)
		}
	}
	if ld := m.GetLeadingDigits(); ld != "" {
		if r.leading, err = compileDigitDFA([]string{"(?:" + ld + ")"}); err != nil {
			return fmt.Errorf("region %s leading digits: %w", r.id, err)
		}
	}
	return nil
}

// testLength is libphonenumber's testNumberLength for the general
// description (number type UNKNOWN).
func testLength(possible, localOnly []int32, l int32) lengthResult {
	if possible[0] == -1 {
		return lenInvalid
	}
	if slices.Contains(localOnly, l) {
		return lenPossibleLocalOnly
	}
	minimum := possible[0]
	switch {
	case minimum == l:
		return lenPossible
	case minimum > l:
		return lenTooShort
	case possible[len(possible)-1] < l:
		return lenTooLong
	}
	if slices.Contains(possible[1:], l) {
		return lenPossible
	}
	return lenInvalid
}

func (r *regionTables) lengthOf(n int) lengthResult {
	if n <= maxLenTable {
		return r.lengths[n]
	}
	return lenTooLong // lenMax < maxLenTable, checked at build
}

// generalMatches is the general description's pattern on its own (no length
// check), as libphonenumber uses it while stripping prefixes.
func (r *regionTables) generalMatches(nsn []byte) bool {
	return r.descs.run(nsn)&(1<<descGeneral) != 0
}

// validFor is getNumberTypeHelper(nsn) != UNKNOWN: the general description
// matches (length and pattern) and so does some type description.
func (r *regionTables) validFor(nsn []byte) bool {
	if len(nsn) > maxLenTable {
		return false
	}
	acc := r.descs.run(nsn) & r.lenMask[len(nsn)]
	return acc&(1<<descGeneral) != 0 && acc&r.typeMask != 0
}

// valid is IsValidNumber for a parsed number: pick the region of the calling
// code the number belongs to, then check it against that region.
func (c *ccTables) valid(nsn []byte) (bool, error) {
	if len(c.regions) == 1 {
		r := c.regions[0]
		if r == nil {
			return false, nil
		}
		if err := r.ready(); err != nil {
			return false, err
		}
		return r.validFor(nsn), nil
	}
	for _, r := range c.regions {
		if r == nil {
			// The library reads the nil metadata's leading digits as
			// empty and then dereferences it: never happens with the
			// shipped metadata (checked by a test).
			return false, fmt.Errorf("calling code %d: region without metadata", c.cc)
		}
		if err := r.ready(); err != nil {
			return false, err
		}
		if r.leading != nil {
			if r.leading.prefixMatch(nsn, 1) {
				return r.cc == c.cc && r.validFor(nsn), nil
			}
		} else if r.validFor(nsn) {
			return r.cc == c.cc, nil
		}
	}
	return false, nil
}

// tmplPiece is one piece of a regexp replacement template: literal text, or
// the text of a group (group >= 0).
type tmplPiece struct {
	lit   string
	group int
}

// parseTemplate splits a template exactly as regexp.Expand reads it: $$ is
// a dollar, $name or ${name} the longest run of letters, digits and _ as a
// group name (a number for us; other names match nothing), and a $ that
// starts no name stays as it is.
func parseTemplate(t string) []tmplPiece {
	var out []tmplPiece
	lit := ""
	for len(t) > 0 {
		i := 0
		for i < len(t) && t[i] != '$' {
			i++
		}
		lit += t[:i]
		t = t[i:]
		if len(t) == 0 {
			break
		}
		t = t[1:] // the $
		if len(t) > 0 && t[0] == '$' {
			lit += "$"
			t = t[1:]
			continue
		}
		num, rest, ok := extractTemplateName(t)
		if !ok {
			lit += "$"
			continue
		}
		t = rest
		if lit != "" {
			out = append(out, tmplPiece{lit: lit, group: -1})
			lit = ""
		}
		out = append(out, tmplPiece{group: num}) // num < 0: a name, expands to nothing
	}
	if lit != "" {
		out = append(out, tmplPiece{lit: lit, group: -1})
	}
	return out
}

// extractTemplateName mirrors regexp's extract.
func extractTemplateName(str string) (num int, rest string, ok bool) {
	if str == "" {
		return
	}
	brace := false
	if str[0] == '{' {
		brace = true
		str = str[1:]
	}
	i := 0
	for i < len(str) {
		r, size := utf8.DecodeRuneInString(str[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			break
		}
		i += size
	}
	if i == 0 {
		return
	}
	name := str[:i]
	if brace {
		if i >= len(str) || str[i] != '}' {
			return
		}
		i++
	}
	num = 0
	for j := 0; j < len(name); j++ {
		if name[j] < '0' || '9' < name[j] || num >= 1e8 {
			num = -1
			break
		}
		num = num*10 + int(name[j]) - '0'
	}
	if name[0] == '0' && len(name) > 1 {
		num = -1
	}
	rest = str[i:]
	ok = true
	return
}
