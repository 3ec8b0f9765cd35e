package bench

// addressID is the identity behind a postal address. Its renderings differ
// in abbreviations, punctuation, spacing and letter case, all of which
// contactkey.NormalizeAddress folds away.
type addressID struct {
	number  uint16
	preDir  int8 // -1 none
	street  uint16
	suffix  uint8
	postDir int8 // -1 none
	unit    int8 // -1 none, else index in unitWords
	unitNum uint16
	unitLet uint8 // 0 none, else 'A'..
	city    uint16
	zip     uint16 // last two ZIP digits
}

var (
	suffixPicker = newPicker(streetSuffixWeights)
	unitPicker   = newPicker(unitWordWeights)
)

func randomAddress(r *rng) addressID {
	a := addressID{
		number: uint16(1 + r.intn(r.intn(9999)+1)), // low house numbers are more common
		preDir: -1, postDir: -1, unit: -1,
		street: uint16(r.intn(len(streetNames))),
		suffix: uint8(suffixPicker.draw(r)),
		city:   uint16(r.intn(len(cities))),
		zip:    uint16(r.intn(100)),
	}
	x := r.intn(100)
	switch {
	case x < 12:
		a.preDir = int8(r.intn(4))
	case x < 16:
		a.postDir = int8(4 + r.intn(4))
	}
	if r.intn(100) < 28 {
		a.unit = int8(unitPicker.draw(r))
		a.unitNum = uint16(1 + r.intn(r.intn(1200)+1))
		if r.intn(6) == 0 {
			a.unitLet = 'A' + uint8(r.intn(6))
		}
	}
	return a
}

// appendAddress writes one rendering of a: "123 N Main St Apt 4, Springfield, IL 62704".
// variant picks spellings and punctuation; with canonical set every choice
// is the first spelling with single spaces (what a list file holds most).
func appendAddress(dst []byte, a addressID, r *rng, canonical bool) []byte {
	choose := func(n int) int {
		if canonical || n == 1 {
			return 0
		}
		return r.intn(n)
	}
	sep := func() {
		if !canonical && r.intn(40) == 0 {
			dst = append(dst, ' ', ' ')
		} else {
			dst = append(dst, ' ')
		}
	}
	start := len(dst)
	dst = appendUint(dst, uint64(a.number))
	if a.preDir >= 0 {
		sep()
		d := directions[a.preDir]
		dst = append(dst, d[choose(len(d))]...)
	}
	sep()
	dst = append(dst, streetNames[a.street]...)
	sep()
	s := streetSuffixes[a.suffix]
	dst = append(dst, s[choose(len(s))]...)
	if a.postDir >= 0 {
		sep()
		d := directions[a.postDir]
		dst = append(dst, d[choose(len(d))]...)
	}
	if a.unit >= 0 {
		if !canonical && r.intn(3) == 0 {
			dst = append(dst, ',')
		}
		sep()
		u := unitWords[a.unit]
		w := u[choose(len(u))]
		dst = append(dst, w...)
		if w != "#" {
			dst = append(dst, ' ')
		}
		dst = appendUint(dst, uint64(a.unitNum))
		if a.unitLet != 0 {
			dst = append(dst, a.unitLet)
		}
	}
	c := cities[a.city]
	if canonical || r.intn(5) != 0 {
		dst = append(dst, ',')
	}
	sep()
	dst = append(dst, c.name...)
	if canonical || r.intn(3) != 0 {
		dst = append(dst, ',')
	}
	sep()
	dst = append(dst, c.state...)
	dst = append(dst, ' ')
	dst = append(dst, c.zip3...)
	dst = append(dst, byte('0'+a.zip/10), byte('0'+a.zip%10))
	if !canonical {
		x := r.intn(100)
		switch {
		case x < 55:
			applyCase(dst[start:], caseTitle, r)
		case x < 80:
			applyCase(dst[start:], caseUpper, r)
		case x < 95:
			applyCase(dst[start:], caseLower, r)
		default:
			applyCase(dst[start:], caseMixed, r)
		}
	}
	return dst
}
