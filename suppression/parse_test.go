package suppression

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseChannels(t *testing.T) {
	tests := []struct {
		in   string
		want ChannelSet
		str  string
		err  error
	}{
		{"call", ChannelSet(Call), "call", nil},
		{"SMS, email", ChannelSet(SMS | Email), "sms,email", nil},
		{"post,voice,text", ChannelSet(Mail | Call | SMS), "call,sms,mail", nil},
		{"all", AllChannels, "all", nil},
		{"push,all", AllChannels, "all", nil},
		{"fax", 0, "", ErrUnknownChannel},
		{"", 0, "", ErrUnknownChannel},
		{"call,", 0, "", ErrUnknownChannel},
	}
	for _, tc := range tests {
		got, err := ParseChannels(tc.in)
		if !errors.Is(err, tc.err) || got != tc.want || (err == nil && got.String() != tc.str) {
			t.Errorf("ParseChannels(%q) = %v (%s), %v; want %v (%s), %v", tc.in, got, got, err, tc.want, tc.str, tc.err)
		}
	}
	if _, err := ParseChannels("call,fax"); err == nil || !strings.Contains(err.Error(), `"fax"`) {
		t.Errorf("error must name the unknown channel: %v", err)
	}
	for _, c := range []Channel{Call, SMS, Email, Mail, Push} {
		if got, err := ParseChannel(c.String()); err != nil || got != c || !c.Valid() {
			t.Errorf("channel %s does not round-trip", c)
		}
	}
	if Channel(3).Valid() || Channel(0).Valid() || Channel(64).Valid() {
		t.Error("invalid channels reported valid")
	}
}

func TestParsePurposes(t *testing.T) {
	tests := []struct {
		in   string
		want PurposeSet
		err  error
	}{
		{"direct_marketing", PurposeSet{Names: []string{DirectMarketing}}, nil},
		{"third_party_disclosure, Direct_Marketing,direct_marketing", PurposeSet{Names: []string{DirectMarketing, ThirdPartyDisclosure}}, nil},
		{"all", PurposeSet{All: true}, nil},
		{"research,all", PurposeSet{All: true}, nil},
		{"x9_", PurposeSet{Names: []string{"x9_"}}, nil},
		{"", PurposeSet{}, ErrInvalidPurpose},
		{"9lives", PurposeSet{}, ErrInvalidPurpose},
		{"direct-marketing", PurposeSet{}, ErrInvalidPurpose},
		{strings.Repeat("a", 65), PurposeSet{}, ErrInvalidPurpose},
	}
	for _, tc := range tests {
		got, err := ParsePurposes(tc.in)
		if !errors.Is(err, tc.err) || got.All != tc.want.All || !slices.Equal(got.Names, tc.want.Names) {
			t.Errorf("ParsePurposes(%q) = %+v, %v; want %+v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	p := PurposeSet{Names: []string{"a", "b"}}
	if !p.Has("a") || p.Has("c") || !(PurposeSet{All: true}).Has("anything") {
		t.Error("Has")
	}
	if !p.Covers(PurposeSet{Names: []string{"b"}}) || p.Covers(PurposeSet{All: true}) || !(PurposeSet{All: true}).Covers(p) || p.Covers(PurposeSet{Names: []string{"c"}}) {
		t.Error("Covers")
	}
}

func TestParseListTypeAndMode(t *testing.T) {
	for in, want := range map[string]ListType{"deny": Deny, " Consent ": Consent} {
		if got, err := ParseListType(in); err != nil || got != want || (got.String() != strings.ToLower(strings.TrimSpace(in))) {
			t.Errorf("ParseListType(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseListType("allow"); !errors.Is(err, ErrUnknownListType) {
		t.Errorf("allow: %v", err)
	}
	for _, m := range []ImportMode{Replace, Add, Remove} {
		if got, err := ParseImportMode(m.String()); err != nil || got != m {
			t.Errorf("mode %s does not round-trip", m)
		}
	}
	if _, err := ParseImportMode("merge"); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("merge: %v", err)
	}
}

func FuzzParseChannels(f *testing.F) {
	for _, s := range []string{"call", "sms,email", "all", "post, voice", "", ",", "fax"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseChannels(s)
		if err != nil {
			if !errors.Is(err, ErrUnknownChannel) {
				t.Fatalf("error %v does not wrap ErrUnknownChannel", err)
			}
			return
		}
		if !set.Valid() {
			t.Fatalf("%q parsed to invalid set %#x", s, uint8(set))
		}
		again, err := ParseChannels(set.String())
		if err != nil || again != set {
			t.Fatalf("%q → %s does not round-trip: %v %v", s, set, again, err)
		}
	})
}

func FuzzParsePurposes(f *testing.F) {
	for _, s := range []string{"direct_marketing", "all", "b,a,b", "", "A,b", "x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePurposes(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidPurpose) {
				t.Fatalf("error %v does not wrap ErrInvalidPurpose", err)
			}
			return
		}
		if err := p.validate(); err != nil {
			t.Fatalf("%q parsed to invalid %+v: %v", s, p, err)
		}
		if !p.All && (!slices.IsSorted(p.Names) || len(slices.Compact(slices.Clone(p.Names))) != len(p.Names)) {
			t.Fatalf("%q: names not sorted and unique: %v", s, p.Names)
		}
		again, err := ParsePurposes(p.String())
		if err != nil || again.All != p.All || !slices.Equal(again.Names, p.Names) {
			t.Fatalf("%q → %s does not round-trip", s, p)
		}
	})
}
