package suppression

import (
	"testing"
	"time"

	"github.com/hushcrm/hush/contactkey"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func phone(v uint64) contactkey.Key { return contactkey.Key{Kind: contactkey.KindPhone, V: v} }
func email(v uint64) contactkey.Key { return contactkey.Key{Kind: contactkey.KindEmail, V: v} }
func cust(v uint64) contactkey.Key  { return contactkey.Key{Kind: contactkey.KindCustomer, V: v} }
func addr(v uint64) contactkey.Key  { return contactkey.Key{Kind: contactkey.KindAddress, V: v} }

func mustChannels(t testing.TB, s string) ChannelSet {
	t.Helper()
	c, err := ParseChannels(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustPurposes(t testing.TB, s string) PurposeSet {
	t.Helper()
	p, err := ParsePurposes(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fixture wraps a store with a running version counter.
type fixture struct {
	t testing.TB
	s *Store
	v uint64
}

func newFixture(t testing.TB) *fixture { return &fixture{t: t, s: NewStore()} }

func (f *fixture) next() uint64 { f.v++; return f.v }

func (f *fixture) at() time.Time { return t0.Add(time.Duration(f.v) * time.Hour) }

func (f *fixture) list(name string, kind contactkey.Kind, typ ListType, channels, purposes, source string) {
	f.t.Helper()
	spec := ListSpec{Name: name, Kind: kind, Type: typ, Channels: mustChannels(f.t, channels), Purposes: mustPurposes(f.t, purposes), Source: source}
	v := f.next()
	if err := f.s.CreateList(spec, v, f.at()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) imp(name string, mode ImportMode, keys []uint64, expires []int64) ImportResult {
	f.t.Helper()
	im, err := f.s.BeginImport(name, mode)
	if err != nil {
		f.t.Fatal(err)
	}
	im.Add(keys, expires)
	v := f.next()
	res, err := f.s.CommitImport(im, v, f.at())
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *fixture) optOut(k contactkey.Key, channels, purposes, source string) {
	f.t.Helper()
	v := f.next()
	ev := OptEvent{Version: v, At: f.at().Unix(), Channels: mustChannels(f.t, channels), Purposes: mustPurposes(f.t, purposes), Source: source}
	if err := f.s.OptOut(k, ev); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) optIn(k contactkey.Key, channels, purposes string) {
	f.t.Helper()
	v := f.next()
	ev := OptEvent{Version: v, At: f.at().Unix(), Channels: mustChannels(f.t, channels), Purposes: mustPurposes(f.t, purposes), Source: SourceCustomerRequest, Evidence: "signed form #" + f.at().String()}
	if err := f.s.OptIn(k, ev); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) policy(c Channel, purpose, sponsor string) *Policy {
	f.t.Helper()
	p, err := f.s.Compile(Scope{Channel: c, Purpose: purpose, Sponsor: sponsor})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// codes renders reasons compactly for comparisons: "optout:direct_marketing",
// "list:dnc", "no_consent:sms_ok".
func codes(rs []Reason) []string {
	out := []string{}
	for _, r := range rs {
		if r.Code == ReasonOptOut {
			out = append(out, r.Code+":"+r.Purpose)
		} else {
			out = append(out, r.Code+":"+r.List)
		}
	}
	return out
}
