package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/hushcrm/hush/contactkey"
)

// subjectFlags are the --phone/--email/--address/--customer flags that name
// a subject by one or more of its contact points.
type subjectFlags struct {
	phone, email, address, customer *string
}

func addSubjectFlags(fs *flag.FlagSet) subjectFlags {
	return subjectFlags{
		phone:    fs.String("phone", "", "phone number (any common format; --region applies when no country code)"),
		email:    fs.String("email", "", "email address"),
		address:  fs.String("address", "", "postal address"),
		customer: fs.String("customer", "", "CRM customer id"),
	}
}

type rawKey struct {
	kind contactkey.Kind
	raw  string
}

func (s subjectFlags) given() []rawKey {
	var out []rawKey
	for _, k := range []struct {
		kind contactkey.Kind
		v    *string
	}{{contactkey.KindCustomer, s.customer}, {contactkey.KindPhone, s.phone}, {contactkey.KindEmail, s.email}, {contactkey.KindAddress, s.address}} {
		if *k.v != "" {
			out = append(out, rawKey{k.kind, *k.v})
		}
	}
	return out
}

// parseAt reads --at: RFC 3339, or a date (midnight UTC).
func parseAt(s string, now func() time.Time) (time.Time, error) {
	if s == "" {
		return now(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, userErr("--at %q: want RFC 3339 (2026-11-22T10:00:00Z) or a date (2026-11-22)", s)
}

var errNoSubject = errors.New("name the subject with --phone, --email, --address or --customer")

func displayKey(n *contactkey.Normalizer, rk rawKey) string {
	s, err := n.Normalize(rk.kind, rk.raw)
	if err != nil {
		return ""
	}
	if rk.kind == contactkey.KindPhone {
		return s
	}
	// Hashed kinds: show the normalised form back to the person who typed
	// it (it is their input), never anything read from the store.
	return fmt.Sprintf("%s:%s", rk.kind, s)
}
