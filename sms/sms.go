package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"sort"
	"strings"
)

// Keyword is what an inbound message asks for.
type Keyword uint8

const (
	None  Keyword = iota // an ordinary message
	Stop                 // STOP, STOPALL, UNSUBSCRIBE, END, QUIT, CANCEL, REVOKE, OPTOUT
	Start                // START, UNSTOP, YES
	Help                 // HELP, INFO
)

func (k Keyword) String() string {
	return [...]string{"none", "stop", "start", "help"}[k]
}

// Classify reads a message body: a single keyword in any case, with
// surrounding whitespace, and nothing else. "Stop sending me offers" is
// not a keyword (carriers treat only the bare word as one).
func Classify(body string) Keyword {
	switch strings.ToUpper(strings.TrimSpace(body)) {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT":
		return Stop
	case "START", "UNSTOP", "YES":
		return Start
	case "HELP", "INFO":
		return Help
	}
	return None
}

// Signature computes Twilio's X-Twilio-Signature for a form POST: HMAC-SHA1
// keyed with the auth token over the full URL followed by every parameter
// name and value, sorted by name, base64-encoded.
func Signature(authToken, url string, params map[string][]string) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(url))
	for _, k := range names {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			m.Write([]byte(k))
			m.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ValidSignature checks sig in constant time.
func ValidSignature(authToken, url string, params map[string][]string, sig string) bool {
	if sig == "" {
		return false
	}
	want := Signature(authToken, url, params)
	return hmac.Equal([]byte(want), []byte(sig))
}

// Reply is the gateway's XML reply: one message, or none when text is "".
func Reply(text string) []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	if text == "" {
		b.WriteString("<Response></Response>\n")
		return []byte(b.String())
	}
	b.WriteString("<Response><Message>")
	xml.EscapeText(&b, []byte(text))
	b.WriteString("</Message></Response>\n")
	return []byte(b.String())
}
