package httpapi

import (
	"unicode/utf8"
)

// fastBatch decodes the common shape of a batch — an array of flat objects
// whose values are plain strings without escapes, named exactly like the
// fields — without reflection. Anything else (escapes, numbers, unknown or
// differently cased names, invalid UTF-8, trailing data) returns ok=false,
// and the caller decodes with encoding/json, which also words the errors.
// FuzzFastBatchMatchesJSON keeps the two in agreement.
func fastBatch(b []byte, max int, reqs []checkRequest) (out []checkRequest, ok, tooMany bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return nil, false, false // empty: let the slow path word it
	}
	var in interner
	for {
		if len(reqs) == max {
			return nil, false, true
		}
		var req checkRequest
		var good bool
		i, good = fastObject(b, i, &req, &in)
		if !good {
			return nil, false, false
		}
		reqs = append(reqs, req)
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, false, false
		}
		if b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if b[i] != ']' {
			return nil, false, false
		}
		if skipWS(b, i+1) != len(b) {
			return nil, false, false
		}
		return reqs, true, false
	}
}

// fastLine decodes one NDJSON line (already trimmed) the same way.
func fastLine(b []byte, req *checkRequest, in *interner) bool {
	i, ok := fastObject(b, 0, req, in)
	return ok && skipWS(b, i) == len(b)
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// fastObject reads {"name":"value",...} at b[i:].
func fastObject(b []byte, i int, req *checkRequest, in *interner) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return i, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		name, j, ok := fastString(b, i)
		if !ok {
			return i, false
		}
		j = skipWS(b, j)
		if j >= len(b) || b[j] != ':' {
			return i, false
		}
		j = skipWS(b, j+1)
		val, k, ok := fastString(b, j)
		if !ok {
			return i, false
		}
		var dst *string
		shared := false
		switch string(name) {
		case "customer":
			dst = &req.Customer
		case "phone":
			dst = &req.Phone
		case "email":
			dst = &req.Email
		case "address":
			dst = &req.Address
		case "channel":
			dst, shared = &req.Channel, true
		case "purpose":
			dst, shared = &req.Purpose, true
		case "sponsor":
			dst, shared = &req.Sponsor, true
		case "at":
			dst, shared = &req.At, true
		default:
			return i, false
		}
		if shared {
			*dst = in.str(val) // the same few values on every item
		} else {
			*dst = string(val)
		}
		i = skipWS(b, k)
		if i >= len(b) {
			return i, false
		}
		if b[i] == '}' {
			return i + 1, true
		}
		if b[i] != ',' {
			return i, false
		}
		i = skipWS(b, i+1)
	}
}

// fastString reads a string without escapes or control characters.
func fastString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	start := i + 1
	ascii := true
	for j := start; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			s := b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, i, false
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, i, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, i, false
}

// interner hands back the same string for repeated byte values (a
// batch's channel, purpose, sponsor), so they are not allocated per item.
type interner struct{ last [4]string }

func (in *interner) str(b []byte) string {
	for _, s := range in.last {
		if s == string(b) { // no allocation: compiler-recognised comparison
			return s
		}
	}
	s := string(b)
	copy(in.last[1:], in.last[:3])
	in.last[0] = s
	return s
}
