package suppression

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// TestChangesNameEveryChangedDecision: after every random mutation
// (opt-outs, opt-ins, imports of each mode with and without expiries,
// list creation and deletion), every key whose decision changed for any
// scope is named by the change log since the version before — as a key
// of a change, or through a structural or wide change of a list of its
// kind.
func TestChangesNameEveryChangedDecision(t *testing.T) {
	scopes := []Scope{{Channel: SMS, Purpose: "direct_marketing"}, {Channel: Email, Purpose: "direct_marketing", Sponsor: "acme"}, {Channel: Call, Purpose: "automated_decision"}}
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6} {
		rng := rand.New(rand.NewPCG(seed, 11))
		f := newFixture(t)
		var keys []contactkey.Key
		for v := range uint64(40) {
			keys = append(keys, phone(12025550000+v), email(1000+v))
		}
		now := f.at().Unix() + 200*3600 // beyond the fixture's clock for the whole test
		decide := func() map[string]string {
			out := map[string]string{}
			for si, sc := range scopes {
				p, err := f.s.Compile(sc)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					_, rs := p.Decide([]contactkey.Key{k}, now, nil)
					out[fmt.Sprint(si, k)] = fmt.Sprint(codes(rs))
				}
			}
			return out
		}
		names := []string{}
		for step := range 120 {
			before, v0 := decide(), f.s.Version()
			k := keys[rng.IntN(len(keys))]
			switch op := rng.IntN(7); {
			case op == 0 || len(names) == 0:
				name := fmt.Sprintf("l%d", step)
				kind, typ := contactkey.KindPhone, Deny
				if rng.IntN(2) == 0 {
					kind = contactkey.KindEmail
				}
				if rng.IntN(4) == 0 {
					typ = Consent
				}
				source := []string{"partner", "complaint", "national_registry"}[rng.IntN(3)]
				f.list(name, kind, typ, "sms,email,call", "all", source)
				names = append(names, name)
			case op == 1:
				i := rng.IntN(len(names))
				if err := f.s.DeleteList(names[i], f.next(), f.at()); err == nil {
					names = slices.Delete(names, i, i+1)
				}
			case op == 2:
				f.optOut(k, "sms,email", "direct_marketing", "customer_request")
			case op == 3:
				f.optIn(k, "sms,email,call", "all")
			default:
				name := names[rng.IntN(len(names))]
				l, _ := f.s.List(name)
				var ks []uint64
				var exp []int64
				for range rng.IntN(12) {
					c := keys[rng.IntN(len(keys))]
					if c.Kind != l.Spec().Kind {
						continue
					}
					ks = append(ks, c.V)
					// Expiries before and after now.
					exp = append(exp, []int64{0, now - 3600, now + 3600}[rng.IntN(3)])
				}
				if rng.IntN(2) == 0 {
					exp = nil
				}
				f.imp(name, ImportMode(1+rng.IntN(3)), ks, exp)
			}
			after := decide()
			named := map[contactkey.Key]bool{}
			wide := map[contactkey.Kind]bool{}
			structural := false // a consent list fails rows lacking its kind: any key may change
			if !f.s.ChangesSince(v0, func(c *Change) {
				for _, v := range c.Keys {
					named[contactkey.Key{Kind: c.Kind, V: v}] = true
				}
				structural = structural || c.Structural
				if c.Wide {
					wide[c.Kind] = true
				}
			}) {
				t.Fatalf("seed %d step %d: the log does not reach back to %d", seed, step, v0)
			}
			for si := range scopes {
				for _, k := range keys {
					id := fmt.Sprint(si, k)
					if before[id] != after[id] && !named[k] && !wide[k.Kind] && !structural {
						t.Fatalf("seed %d step %d: %v went from %s to %s, and no change names it", seed, step, k, before[id], after[id])
					}
				}
			}
		}
	}
}

// TestChangeLogNamesWhatChanged: each import mode logs exactly the
// entries that came or went or whose expiry changed, not the staged keys
// that changed nothing.
func TestChangeLogNamesWhatChanged(t *testing.T) {
	f := newFixture(t)
	f.list("dnc", contactkey.KindPhone, Deny, "call", "all", "partner")
	f.list("hashed", contactkey.KindEmail, Deny, "email", "all", "partner")
	since := func(v uint64) []string {
		var out []string
		f.s.ChangesSince(v, func(c *Change) {
			s := fmt.Sprintf("%s:%s:%v", c.List, c.Kind, c.Keys)
			if c.Structural {
				s += ":structural"
			}
			out = append(out, s)
		})
		return out
	}
	steps := []struct {
		list string
		mode ImportMode
		keys []uint64
		exp  []int64
		want string
	}{
		{"dnc", Add, []uint64{1, 2, 3}, nil, "dnc:phone:[1 2 3]"},
		{"dnc", Add, []uint64{2, 3, 4}, nil, "dnc:phone:[4]"},
		{"dnc", Add, []uint64{2}, []int64{9e9}, ""}, // no expiry beats any: nothing changes
		{"dnc", Replace, []uint64{3, 4, 5}, nil, "dnc:phone:[1 2 5]"},
		{"dnc", Remove, []uint64{4, 7}, nil, "dnc:phone:[4]"},
		{"dnc", Replace, []uint64{3, 5}, []int64{0, 9e9}, "dnc:phone:[5]"}, // 5 gains an expiry
		{"hashed", Add, []uint64{77, 88}, nil, "hashed:email:[77 88]"},
		{"hashed", Remove, []uint64{88, 99}, nil, "hashed:email:[88]"},
	}
	for i, st := range steps {
		v0 := f.s.Version()
		f.imp(st.list, st.mode, st.keys, st.exp)
		got := since(v0)
		if st.want == "" && len(got) != 0 || st.want != "" && (len(got) != 1 || got[0] != st.want) {
			t.Fatalf("step %d (%s %v): log %q, want %q", i, st.mode, st.keys, got, st.want)
		}
	}
	v0 := f.s.Version()
	f.optOut(phone(42), "call", "all", "")
	f.optOut(phone(43), "call", "all", "")
	if err := f.s.DeleteList("hashed", f.next(), f.at()); err != nil {
		t.Fatal(err)
	}
	if got := since(v0); !slices.Equal(got, []string{":phone:[42 43]", "hashed:email:[]:structural"}) {
		t.Fatalf("log %q", got)
	}
	if f.s.ChangesSince(f.s.Version()+1, func(*Change) {}) {
		t.Fatal("the log answered for a version after the store's")
	}
	// A store read from a snapshot remembers nothing before it.
	var buf bytes.Buffer
	if _, err := f.s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := ReadStore(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.ChangesSince(v0, func(*Change) {}) || !r.ChangesSince(r.Version(), func(*Change) {}) {
		t.Fatal("a restored store's log reaches before the snapshot, or not to it")
	}
	// Past its bound the log drops its oldest changes.
	for i := range maxChangeKeys/(1<<16) + 2 {
		ks := make([]uint64, 1<<16)
		for j := range ks {
			ks[j] = uint64(i)<<20 | uint64(j)
		}
		f.imp("dnc", Add, ks, nil)
	}
	if f.s.ChangesSince(v0, func(*Change) {}) || f.s.changeKeys > maxChangeKeys {
		t.Fatalf("the log kept %d keys and still reaches back to %d", f.s.changeKeys, v0)
	}
}
