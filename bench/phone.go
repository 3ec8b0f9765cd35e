package bench

import "math"

// PhoneFormat is a way people write a US number.
type PhoneFormat uint8

const (
	PhoneDigits   PhoneFormat = iota // 2125550147
	PhoneParens                      // (212) 555-0147
	PhoneDots                        // 212.555.0147
	PhoneIntl                        // +1 212 555 0147
	PhoneTrunk                       // 1-212-555-0147
	PhoneDashes                      // 212-555-0147
	PhoneE164                        // +12125550147
	PhoneRegistry                    // 212,5550147 (national registry line)
	numPhoneFormats
)

// campaignPhoneFormats: how often each format shows up in a campaign file
// pulled from a CRM and a couple of bought lists.
var campaignPhoneFormats = newPicker([]float64{
	PhoneDigits: 25, PhoneParens: 22, PhoneDots: 8, PhoneIntl: 10,
	PhoneTrunk: 8, PhoneDashes: 20, PhoneE164: 7, PhoneRegistry: 0,
})

// areaPicker draws area codes with a Zipf-like skew over usAreaCodes' order.
var areaPicker = func() picker {
	w := make([]float64, len(usAreaCodes))
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+8), 1.1)
	}
	return newPicker(w)
}()

// randomPhone draws a 10-digit NANP national number: a weighted area code,
// an exchange 200-999 that is not N11, any line number.
func randomPhone(r *rng) uint64 {
	a := uint64(usAreaCodes[areaPicker.draw(r)])
	var e uint64
	for {
		e = 200 + uint64(r.intn(800))
		if e%100 != 11 {
			break
		}
	}
	return a*10_000_000 + e*10_000 + uint64(r.intn(10_000))
}

// AppendPhone writes a 10-digit national number in format f.
func AppendPhone(dst []byte, p uint64, f PhoneFormat) []byte {
	var d [10]byte
	for i := 9; i >= 0; i-- {
		d[i] = byte('0' + p%10)
		p /= 10
	}
	switch f {
	case PhoneParens:
		dst = append(dst, '(', d[0], d[1], d[2], ')', ' ', d[3], d[4], d[5], '-', d[6], d[7], d[8], d[9])
	case PhoneDots:
		dst = append(dst, d[0], d[1], d[2], '.', d[3], d[4], d[5], '.', d[6], d[7], d[8], d[9])
	case PhoneIntl:
		dst = append(dst, '+', '1', ' ', d[0], d[1], d[2], ' ', d[3], d[4], d[5], ' ', d[6], d[7], d[8], d[9])
	case PhoneTrunk:
		dst = append(dst, '1', '-', d[0], d[1], d[2], '-', d[3], d[4], d[5], '-', d[6], d[7], d[8], d[9])
	case PhoneDashes:
		dst = append(dst, d[0], d[1], d[2], '-', d[3], d[4], d[5], '-', d[6], d[7], d[8], d[9])
	case PhoneE164:
		dst = append(dst, '+', '1')
		dst = append(dst, d[:]...)
	case PhoneRegistry:
		dst = append(dst, d[0], d[1], d[2], ',', d[3], d[4], d[5], d[6], d[7], d[8], d[9])
	default:
		dst = append(dst, d[:]...)
	}
	return dst
}

// Invalid phone kinds a campaign file carries; hush must reject each.
const (
	badPhoneLetter   = iota // a digit typed as a letter: 212-555-O147
	badPhoneShort           // a local 7-digit number or a dropped digit
	badPhoneAreaCode        // area code 1XX or N11
	numBadPhones
)

const letters = "OlIoABCDEFGHJKLMNPRSTUVWXYZ"

// appendInvalidPhone writes a phone that no NANP rule accepts.
func appendInvalidPhone(dst []byte, r *rng) []byte {
	p := randomPhone(r)
	f := PhoneFormat(campaignPhoneFormats.draw(r))
	switch r.intn(numBadPhones) {
	case badPhoneLetter:
		dst = AppendPhone(dst, p, f)
		// Replace one of the last 7 digits.
		pos := len(dst) - 1 - r.intn(8)
		for dst[pos] < '0' || dst[pos] > '9' {
			pos--
		}
		dst[pos] = letters[r.intn(len(letters))]
	case badPhoneShort:
		// A local number without its area code: 555-0147 (but not 310-XXXX,
		// which Canada uses as real 7-digit numbers).
		if r.intn(2) == 0 && p/10_000%1000 != 310 {
			d := AppendPhone(nil, p, PhoneDashes)
			dst = append(dst, d[4:]...)
		} else { // one digit dropped
			d := AppendPhone(nil, p, f)
			dst = append(dst, d[:len(d)-1]...)
		}
	default:
		var area uint64
		if r.intn(2) == 0 {
			area = 100 + uint64(r.intn(100)) // 1XX
		} else {
			area = uint64(2+r.intn(8))*100 + 11 // N11
		}
		dst = AppendPhone(dst, area*10_000_000+p%10_000_000, f)
	}
	return dst
}
