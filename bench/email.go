package bench

// emailID is the identity behind an e-mail address; rendering it in
// different letter cases gives the same key.
type emailID struct {
	first, last uint16
	style       uint8
	num         uint32
	domain      int16 // index in commonDomains, or -1 for a random domain
	dom         uint64
}

var domainPicker = func() picker {
	w := append([]float64(nil), commonDomainWeights...)
	return newPicker(append(w, randomDomainWeight))
}()

const numEmailStyles = 6

// randomEmail draws an address. At the big providers every address carries
// a number, as it must to be unique among millions of John Smiths (without
// one, a 7M-entry list would hold most name combinations at gmail.com and
// random campaign rows would hit it far more often than real ones do); at
// small domains half go without.
func randomEmail(r *rng) emailID {
	id := emailID{
		first: uint16(r.intn(len(firstNames))),
		last:  uint16(r.intn(len(lastNames))),
		style: uint8(r.intn(numEmailStyles)),
	}
	switch x := r.intn(100); { // 2 to 5 digits
	case x < 15:
		id.num = 10 + uint32(r.intn(90))
	case x < 40:
		id.num = 100 + uint32(r.intn(900))
	case x < 75:
		id.num = 1000 + uint32(r.intn(9000))
	default:
		id.num = 10000 + uint32(r.intn(90000))
	}
	d := domainPicker.draw(r)
	if d == len(commonDomains) {
		id.domain = -1
		id.dom = r.next()
		if r.intn(2) == 0 {
			id.num = 0
		}
	} else {
		id.domain = int16(d)
	}
	return id
}

// appendEmailLower writes the address in lower case.
func appendEmailLower(dst []byte, id emailID) []byte {
	f, l := firstNames[id.first], lastNames[id.last]
	switch id.style {
	case 0: // first.last
		dst = append(append(append(dst, f...), '.'), l...)
	case 1: // firstlast
		dst = append(append(dst, f...), l...)
	case 2: // flast
		dst = append(append(dst, f[0]), l...)
	case 3: // first_last
		dst = append(append(append(dst, f...), '_'), l...)
	case 4: // last.first
		dst = append(append(append(dst, l...), '.'), f...)
	default: // firstl
		dst = append(append(dst, f...), l[0])
	}
	if id.num != 0 {
		dst = appendUint(dst, uint64(id.num))
	}
	dst = append(dst, '@')
	if id.domain >= 0 {
		return append(dst, commonDomains[id.domain]...)
	}
	r := rng{s: id.dom}
	n := 2 + r.intn(2)
	for range n {
		dst = append(dst, domainSyllables[r.intn(len(domainSyllables))]...)
	}
	if r.intn(8) == 0 {
		dst = append(dst, '-')
		dst = append(dst, domainSyllables[r.intn(len(domainSyllables))]...)
	}
	dst = append(dst, '.')
	return append(dst, tlds[r.intn(len(tlds))]...)
}

// Letter-case styles of a rendered e-mail or address.
const (
	caseLower = iota
	caseTitle // first letter of every word upper
	caseUpper
	caseMixed // random letters upper
)

// applyCase changes the letter case of b in place.
func applyCase(b []byte, style int, r *rng) {
	switch style {
	case caseUpper:
		for i, c := range b {
			if c >= 'a' && c <= 'z' {
				b[i] = c - 32
			}
		}
	case caseLower:
		for i, c := range b {
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 32
			}
		}
	case caseTitle:
		start := true
		for i, c := range b {
			isLetter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if isLetter {
				if start && c >= 'a' {
					b[i] = c - 32
				} else if !start && c <= 'Z' {
					b[i] = c + 32
				}
			}
			start = !isLetter && !(c >= '0' && c <= '9') && c != '\''
		}
	case caseMixed:
		bits := r.next()
		for i, c := range b {
			if i%64 == 63 {
				bits = r.next()
			}
			if c >= 'a' && c <= 'z' && bits&(1<<(i%64)) != 0 {
				b[i] = c - 32
			}
		}
	}
}

// Invalid e-mail kinds; hush must reject each.
const (
	badEmailNoAt = iota
	badEmailTwoAt
	badEmailNoDot
	numBadEmails
)

func appendInvalidEmail(dst []byte, r *rng) []byte {
	start := len(dst)
	dst = appendEmailLower(dst, randomEmail(r))
	at := start
	for dst[at] != '@' {
		at++
	}
	switch r.intn(numBadEmails) {
	case badEmailNoAt: // john.smithgmail.com
		copy(dst[at:], dst[at+1:])
		dst = dst[:len(dst)-1]
	case badEmailTwoAt: // john.smith@@gmail.com
		dst = append(dst, 0)
		copy(dst[at+1:], dst[at:])
	default: // john.smith@gmail
		for i := len(dst) - 1; i > at; i-- {
			if dst[i] == '.' {
				dst = dst[:i]
				break
			}
		}
	}
	return dst
}

func appendUint(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}
