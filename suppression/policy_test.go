package suppression

import (
	"errors"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// The case hush exists for: in 2000 a Shanghai customer told the post
// office he accepts postal letters but no commercial mail, and that his
// data must not go to commercial firms. A third party's direct-mail
// campaign must suppress him for both reasons; a first-party service
// letter must still reach him.
func TestShanghaiCase(t *testing.T) {
	f := newFixture(t)
	const customer, home = 2000, 0xabc0ffee
	// SMS marketing needs consent; mail does not.
	f.list("sms_marketing_consent", contactkey.KindPhone, Consent, "sms", "direct_marketing", SourceCustomerRequest)
	// Someone else is on a legal hold for service letters, which makes
	// "service" a purpose the store knows.
	f.list("legal_hold", contactkey.KindAddress, Deny, "mail", "service,direct_marketing", SourceLegalHold)
	f.imp("legal_hold", Add, []uint64{0x1111}, nil)

	f.optOut(cust(customer), "mail", DirectMarketing, SourceCustomerRequest)
	f.optOut(cust(customer), "all", ThirdPartyDisclosure, SourceCustomerRequest)

	row := []contactkey.Key{cust(customer), addr(home)}
	tests := []struct {
		name    string
		scope   Scope
		allowed bool
		want    []string
	}{
		{"third-party direct mail", Scope{Mail, DirectMarketing, "acme_insurance"}, false, []string{"optout:direct_marketing", "optout:third_party_disclosure"}},
		{"first-party service letter", Scope{Mail, "service", ""}, true, []string{}},
		{"first-party direct mail", Scope{Mail, DirectMarketing, ""}, false, []string{"optout:direct_marketing"}},
		{"first-party marketing call", Scope{Call, DirectMarketing, ""}, true, []string{}},
		{"third-party marketing call", Scope{Call, DirectMarketing, "acme_insurance"}, false, []string{"optout:third_party_disclosure"}},
		{"disclosure itself, first party", Scope{Email, ThirdPartyDisclosure, ""}, false, []string{"optout:third_party_disclosure"}},
		{"disclosure itself, sponsored: one reason", Scope{Email, ThirdPartyDisclosure, "acme"}, false, []string{"optout:third_party_disclosure"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := f.policy(tc.scope.Channel, tc.scope.Purpose, tc.scope.Sponsor)
			allowed, rs := p.Decide(row, f.at().Unix(), nil)
			if allowed != tc.allowed || !slices.Equal(codes(rs), tc.want) {
				t.Fatalf("allowed=%v reasons=%v, want %v %v", allowed, codes(rs), tc.allowed, tc.want)
			}
			for _, r := range rs {
				if r.Source != SourceCustomerRequest || r.Kind != contactkey.KindCustomer || r.List != OptOutsList || r.Since == 0 {
					t.Errorf("reason %+v lacks its source, kind, list or since", r)
				}
			}
		})
	}
}

func TestScopeRules(t *testing.T) {
	f := newFixture(t)
	f.list("dnc", contactkey.KindPhone, Deny, "call,sms", "direct_marketing", SourceNationalRegistry)
	f.list("no_partners", contactkey.KindPhone, Deny, "call", "third_party_disclosure", SourceInternal)
	f.list("all_purposes", contactkey.KindPhone, Deny, "push", "all", SourceComplaint)
	f.list("mail_dnm", contactkey.KindAddress, Deny, "mail", "direct_marketing", SourcePartner)
	f.list("research", contactkey.KindPhone, Deny, "call", "research", SourceInternal)
	f.imp("dnc", Add, []uint64{100}, nil)
	f.imp("no_partners", Add, []uint64{200}, nil)
	f.imp("all_purposes", Add, []uint64{300}, nil)
	f.imp("mail_dnm", Add, []uint64{400}, nil)
	f.imp("research", Add, []uint64{100}, nil)

	tests := []struct {
		scope Scope
		key   contactkey.Key
		want  []string
	}{
		{Scope{Call, DirectMarketing, ""}, phone(100), []string{"list:dnc"}},
		{Scope{SMS, DirectMarketing, ""}, phone(100), []string{"list:dnc"}},
		{Scope{Email, DirectMarketing, ""}, phone(100), []string{}},  // channel not covered
		{Scope{Call, AutomatedDecision, ""}, phone(100), []string{}}, // purpose not covered
		{Scope{Call, DirectMarketing, ""}, phone(200), []string{}},   // first party: disclosure list does not apply
		{Scope{Call, DirectMarketing, "acme"}, phone(200), []string{"list:no_partners"}},
		{Scope{Call, "research", "acme"}, phone(200), []string{"list:no_partners"}}, // any purpose, when sponsored
		{Scope{Call, "research", ""}, phone(100), []string{"list:research"}},
		{Scope{SMS, DirectMarketing, "acme"}, phone(200), []string{}}, // disclosure list is call-only
		{Scope{Push, SensitiveData, ""}, phone(300), []string{"list:all_purposes"}},
		{Scope{Mail, DirectMarketing, ""}, addr(400), []string{"list:mail_dnm"}},
		{Scope{Mail, DirectMarketing, ""}, phone(400), []string{}}, // kind matters
	}
	for _, tc := range tests {
		p := f.policy(tc.scope.Channel, tc.scope.Purpose, tc.scope.Sponsor)
		_, rs := p.Decide([]contactkey.Key{tc.key}, f.at().Unix(), nil)
		if !slices.Equal(codes(rs), tc.want) {
			t.Errorf("%+v %v: got %v, want %v", tc.scope, tc.key, codes(rs), tc.want)
		}
	}

	p := f.policy(Call, DirectMarketing, "acme")
	var names []string
	for _, l := range p.Lists() {
		names = append(names, l.Name)
	}
	if want := []string{"dnc", "no_partners"}; !slices.Equal(names, want) {
		t.Errorf("policy lists %v, want %v", names, want)
	}
}

func TestCompileErrors(t *testing.T) {
	f := newFixture(t)
	f.list("r", contactkey.KindPhone, Deny, "call", "research", SourceInternal)
	f.optOut(phone(1), "call", "surveys", "")
	for _, tc := range []struct {
		scope Scope
		err   error
	}{
		{Scope{Call, "marketing", ""}, ErrUnknownPurpose},
		{Scope{Call, "Direct_Marketing", ""}, ErrInvalidScope},
		{Scope{0, DirectMarketing, ""}, ErrInvalidScope},
		{Scope{Call | SMS, DirectMarketing, ""}, ErrInvalidScope},
		{Scope{Call, DirectMarketing, ""}, nil},
		{Scope{Call, "research", ""}, nil}, // named by a list
		{Scope{Call, "surveys", ""}, nil},  // named by an opt-out
	} {
		_, err := f.s.Compile(tc.scope)
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("%+v: err %v, want %v", tc.scope, err, tc.err)
		}
	}
}

func TestConsent(t *testing.T) {
	f := newFixture(t)
	f.list("sms_ok", contactkey.KindPhone, Consent, "sms", "direct_marketing", SourceCustomerRequest)
	f.list("email_ok", contactkey.KindEmail, Consent, "sms,email", "direct_marketing", SourceCustomerRequest)
	now := f.at().Unix()
	f.imp("sms_ok", Add, []uint64{1, 2, 3}, []int64{0, now + 100, 0})
	f.imp("email_ok", Add, []uint64{0xe1}, nil)

	p := f.policy(SMS, DirectMarketing, "")
	if got := p.ConsentKinds(); !slices.Equal(got, []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail}) {
		t.Fatalf("ConsentKinds %v", got)
	}
	tests := []struct {
		keys []contactkey.Key
		at   int64
		want []string
	}{
		{[]contactkey.Key{phone(1), email(0xe1)}, now, []string{}},
		{[]contactkey.Key{phone(9), email(0xe1)}, now, []string{"no_consent:sms_ok"}},
		{[]contactkey.Key{email(0xe1)}, now, []string{"no_consent:sms_ok"}}, // no phone at all
		{[]contactkey.Key{phone(1)}, now, []string{"no_consent:email_ok"}},
		{[]contactkey.Key{phone(2), email(0xe1)}, now + 99, []string{}},
		{[]contactkey.Key{phone(2), email(0xe1)}, now + 100, []string{"no_consent:sms_ok"}},     // expired
		{[]contactkey.Key{phone(1), phone(9), email(0xe1)}, now, []string{"no_consent:sms_ok"}}, // every phone must consent
		{[]contactkey.Key{phone(1), email(0xe2)}, now, []string{"no_consent:email_ok"}},         // hash never seen
	}
	for _, tc := range tests {
		allowed, rs := p.Decide(tc.keys, tc.at, nil)
		if !slices.Equal(codes(rs), tc.want) || allowed != (len(tc.want) == 0) {
			t.Errorf("%v at %d: got %v %v, want %v", tc.keys, tc.at-now, allowed, codes(rs), tc.want)
		}
	}
	// Consent lists for another purpose or channel do not apply.
	if p := f.policy(Call, DirectMarketing, ""); len(p.ConsentKinds()) != 0 {
		t.Errorf("call policy has consent kinds %v", p.ConsentKinds())
	}
	if ok, _ := f.policy(Call, DirectMarketing, "").Decide(nil, now, nil); !ok {
		t.Error("a row with no keys and no applicable list must pass")
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	f.list("bounces", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
	now := f.at().Unix()
	res := f.imp("bounces", Add, []uint64{10, 11, 12}, []int64{now + 60, 0, now - 1})
	if res.Added != 3 || res.Total != 3 {
		t.Fatalf("import %+v", res)
	}
	p := f.policy(Email, DirectMarketing, "")
	for _, tc := range []struct {
		v    uint64
		at   int64
		want bool
	}{
		{10, now, false}, {10, now + 59, false}, {10, now + 60, true}, {11, now + 1e9, false}, {12, now, true}, {13, now, true},
	} {
		if ok, _ := p.Decide([]contactkey.Key{email(tc.v)}, tc.at, nil); ok != tc.want {
			t.Errorf("email %d at %+d: allowed=%v, want %v", tc.v, tc.at-now, ok, tc.want)
		}
	}
	l, _ := f.s.List("bounces")
	if e, ok := l.Entry(email(10)); !ok || e != now+60 {
		t.Errorf("Entry = %d %v", e, ok)
	}
	if !l.Contains(email(12)) || l.Contains(email(13)) {
		t.Error("Contains ignores expiry and reports membership")
	}
}

func TestReasonFields(t *testing.T) {
	f := newFixture(t)
	f.list("dnc", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.imp("dnc", Add, []uint64{5}, nil)
	l, _ := f.s.List("dnc")
	p := f.policy(Call, DirectMarketing, "")
	_, rs := p.Decide([]contactkey.Key{phone(5)}, f.at().Unix(), nil)
	want := Reason{Code: ReasonList, List: "dnc", Source: SourceNationalRegistry, Since: l.UpdatedAt().Unix(), Kind: contactkey.KindPhone, Purpose: DirectMarketing}
	if len(rs) != 1 || rs[0] != want {
		t.Fatalf("got %+v, want %+v", rs, want)
	}
}

func TestDecideDoesNotGrowDictionaries(t *testing.T) {
	f := newFixture(t)
	f.list("e", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
	f.imp("e", Add, []uint64{1, 2}, nil)
	p := f.policy(Email, DirectMarketing, "")
	before := f.s.Dictionary(contactkey.KindEmail).Len()
	for v := uint64(100); v < 200; v++ {
		p.Decide([]contactkey.Key{email(v), cust(v), addr(v), {Kind: 9, V: v}}, 0, nil)
	}
	p.DecideBatch(contactkey.KindEmail, []uint64{7, 8, 9}, 0, func(int, Reason) {})
	if after := f.s.Dictionary(contactkey.KindEmail).Len(); after != before {
		t.Errorf("dictionary grew from %d to %d on lookups", before, after)
	}
}

func TestDecideZeroAllocs(t *testing.T) {
	f := newFixture(t)
	f.list("dnc", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.list("emails", contactkey.KindEmail, Deny, "call", "all", SourceComplaint)
	f.list("call_ok", contactkey.KindCustomer, Consent, "call", "direct_marketing", SourceCustomerRequest)
	f.imp("dnc", Add, []uint64{1, 2}, nil)
	f.imp("emails", Add, []uint64{3}, nil)
	f.imp("call_ok", Add, []uint64{4}, nil)
	f.optOut(phone(2), "call", "all", "")
	p := f.policy(Call, DirectMarketing, "acme")
	keys := []contactkey.Key{phone(2), email(3), cust(5), addr(6)}
	reasons := make([]Reason, 0, 16)
	allocs := testing.AllocsPerRun(100, func() {
		_, reasons = p.Decide(keys, 0, reasons)
	})
	if allocs != 0 {
		t.Errorf("Decide allocates %.1f times per call", allocs)
	}
	if want := []string{"optout:direct_marketing", "optout:third_party_disclosure", "list:dnc", "list:emails", "no_consent:call_ok"}; !slices.Equal(codes(reasons), want) {
		t.Errorf("reasons %v, want %v", codes(reasons), want)
	}
}

// Policies over the same list versions share one union; a list change
// gives later policies a new one and leaves the old policy's alone.
func TestPolicyUnions(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"a", "b", "c"} {
		f.list(n, contactkey.KindPhone, Deny, "call,sms", "direct_marketing", SourceInternal)
	}
	f.imp("a", Add, []uint64{1, 2, 3}, nil) // the largest: left out of the union
	f.imp("b", Add, []uint64{4}, nil)
	f.imp("c", Add, []uint64{5}, nil)
	p1 := f.policy(Call, DirectMarketing, "")
	p2 := f.policy(SMS, DirectMarketing, "x")
	u1 := p1.union[contactkey.KindPhone]
	if u1 == nil || u1 != p2.union[contactkey.KindPhone] || u1.set.card != 2 {
		t.Fatalf("union not built or not shared: %v", u1)
	}
	f.imp("c", Add, []uint64{6}, nil)
	p3 := f.policy(Call, DirectMarketing, "")
	if p3.union[contactkey.KindPhone].set.card != 3 || u1.set.card != 2 {
		t.Error("a list change must give new policies a new union and keep the old")
	}
	for _, tc := range []struct {
		p    *Policy
		v    uint64
		want []string
	}{{p1, 5, []string{"list:c"}}, {p1, 6, []string{}}, {p3, 6, []string{"list:c"}}, {p3, 2, []string{"list:a"}}, {p3, 4, []string{"list:b"}}} {
		if _, rs := tc.p.Decide([]contactkey.Key{phone(tc.v)}, 0, nil); !slices.Equal(codes(rs), tc.want) {
			t.Errorf("phone %d: %v, want %v", tc.v, codes(rs), tc.want)
		}
	}
}

// A row may carry more keys than Decide resolves up front (eight): the
// rest are checked one by one, unions included.
func TestDecideManyKeys(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"a", "b", "c", "d"} {
		f.list(n, contactkey.KindPhone, Deny, "call", "all", SourceInternal)
	}
	f.list("ok", contactkey.KindPhone, Consent, "call", "direct_marketing", SourceCustomerRequest)
	f.imp("a", Add, []uint64{1, 2, 3, 4, 5, 6}, nil) // the largest: outside the union
	f.imp("b", Add, []uint64{110}, nil)
	f.imp("c", Add, []uint64{111}, nil)
	f.imp("d", Add, []uint64{112}, []int64{1000})
	f.imp("ok", Add, []uint64{100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111}, nil)
	p := f.policy(Call, DirectMarketing, "")
	if p.union[contactkey.KindPhone] == nil {
		t.Fatal("no union: the test proves little")
	}
	row := func(last ...uint64) []contactkey.Key {
		var keys []contactkey.Key
		for v := uint64(100); v < 108; v++ {
			keys = append(keys, phone(v))
		}
		for _, v := range last {
			keys = append(keys, phone(v))
		}
		return keys
	}
	for _, tc := range []struct {
		keys []contactkey.Key
		at   int64
		want []string
	}{
		{row(108, 109), 0, []string{}},
		{row(108, 110), 0, []string{"list:b"}},
		{row(111, 5), 0, []string{"list:a", "list:c", "no_consent:ok"}}, // 5 has no consent
		{row(112), 0, []string{"list:d", "no_consent:ok"}},
		{row(112), 2000, []string{"no_consent:ok"}}, // d's entry expired
	} {
		if _, rs := p.Decide(tc.keys, tc.at, nil); !slices.Equal(codes(rs), tc.want) {
			t.Errorf("row ending %d at %d: %v, want %v", tc.keys[len(tc.keys)-1].V, tc.at, codes(rs), tc.want)
		}
	}
}
