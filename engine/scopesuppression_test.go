package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/customers"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/rfm"
	"github.com/hushcrm/hush/suppression"
)

// rebuiltScope is the full derivation on the current state, for
// comparison with what scopeSuppression carried forward.
func rebuiltScope(t *testing.T, e *Engine, dir *customers.Directory, scope suppression.Scope, at int64) []campaigns.Step {
	t.Helper()
	var steps []campaigns.Step
	if err := e.Read(func(st *suppression.Store, _ journal.Seq) error {
		p, err := st.Compile(scope)
		if err != nil {
			return err
		}
		steps = deriveScope(dir, p, p.Lists(), scope, at, scopeKinds(scope.Channel))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return steps
}

func sameSteps(a, b []campaigns.Step) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d steps, rebuilt %d: %v vs %v", len(a), len(b), labels(a), labels(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Code != y.Code || x.List != y.List || x.Source != y.Source || x.Purpose != y.Purpose {
			return fmt.Errorf("step %d: %+v, rebuilt %+v", i, x, y)
		}
		if !x.Set.Equals(y.Set) {
			return fmt.Errorf("step %s: %v, rebuilt %v", x.Label(), x.Set.ToArray(), y.Set.ToArray())
		}
	}
	return nil
}

func labels(steps []campaigns.Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Label())
	}
	return out
}

// TestScopeSuppressionPatchEqualsRebuild applies random opt-outs,
// opt-ins, list imports (add, replace, remove; with expiries), list
// creations and deletions, customer imports (new customers, changed and
// shared contact points) and moves of the plan's time across entries'
// expiries; after each step the customer-level suppression of several
// scopes, carried forward from the step before, must equal the full
// derivation exactly. Most steps must have been patched, not rebuilt.
func TestScopeSuppressionPatchEqualsRebuild(t *testing.T) {
	scopes := []suppression.Scope{
		{Channel: suppression.SMS, Purpose: suppression.DirectMarketing},
		{Channel: suppression.SMS, Purpose: suppression.DirectMarketing, Sponsor: "acme"},
		{Channel: suppression.Email, Purpose: suppression.DirectMarketing},
		{Channel: suppression.Push, Purpose: suppression.AutomatedDecision},
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			checkPatchesAgainstRebuild(t, seed, scopes, 90)
		})
	}
}

func checkPatchesAgainstRebuild(t *testing.T, seed uint64, scopes []suppression.Scope, steps int) {
	ctx := context.Background()
	e, _ := benchEngine(t, wal.Options{NoSync: true})
	rng := rand.New(rand.NewPCG(seed, 5))
	base := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	at := base
	const nCust, nPhones, nEmails = 160, 120, 90
	phone := func(i int) uint64 { return 12025550000 + uint64(i) }
	email := func(i int) uint64 { return e.Hasher().Sum(contactkey.KindEmail, fmt.Sprintf("p%d@example.com", i)) }
	subject := func(i int) uint64 { return e.Hasher().Sum(contactkey.KindCustomer, strconv.Itoa(9000+i)) }
	putCustomers := func(n int) {
		var rows []CustomerRow
		for range n {
			i := rng.IntN(nCust)
			id := strconv.Itoa(9000 + i)
			key, _ := rfm.KeyOf([]byte(id))
			r := CustomerRow{ID: id, CustomerKey: key, SubjectKey: subject(i), InquiryDay: customers.NoDay}
			for range rng.IntN(3) {
				r.Phones = append(r.Phones, phone(rng.IntN(nPhones)))
			}
			for range rng.IntN(2) {
				m := rng.IntN(nEmails)
				r.Emails, r.EmailKeys = append(r.Emails, fmt.Sprintf("p%d@example.com", m)), append(r.EmailKeys, email(m))
			}
			rows = append(rows, r)
		}
		if _, err := e.PutCustomers(ctx, "test", rows); err != nil {
			t.Fatal(err)
		}
	}
	putCustomers(nCust)
	type listInfo struct {
		kind contactkey.Kind
		key  func(int) uint64
		n    int
	}
	lists := map[string]listInfo{}
	var names []string
	createList := func(name string, kind contactkey.Kind, typ suppression.ListType, source string) {
		ch := suppression.ChannelSet(suppression.SMS | suppression.Email | suppression.Push)
		purposes := suppression.PurposeSet{All: true}
		if rng.IntN(3) == 0 {
			purposes = suppression.PurposeSet{Names: []string{suppression.ThirdPartyDisclosure}}
		}
		if _, err := e.CreateList(ctx, suppression.ListSpec{Name: name, Kind: kind, Type: typ, Channels: ch, Purposes: purposes, Source: source}); err != nil {
			t.Fatal(err)
		}
		li := listInfo{kind: kind, key: phone, n: nPhones}
		switch kind {
		case contactkey.KindEmail:
			li.key, li.n = email, nEmails
		case contactkey.KindCustomer:
			li.key, li.n = subject, nCust
		}
		lists[name] = li
		names = append(names, name)
	}
	createList("dnc", contactkey.KindPhone, suppression.Deny, "national_registry")
	createList("stop", contactkey.KindPhone, suppression.Deny, "customer_request")
	createList("hold", contactkey.KindCustomer, suppression.Deny, "legal_hold")
	createList("bounces", contactkey.KindEmail, suppression.Deny, "bounce")
	createList("sms_ok", contactkey.KindPhone, suppression.Consent, "customer_request")
	keyOf := func() contactkey.Key {
		switch rng.IntN(3) {
		case 0:
			return contactkey.Key{Kind: contactkey.KindPhone, V: phone(rng.IntN(nPhones))}
		case 1:
			return contactkey.Key{Kind: contactkey.KindEmail, V: email(rng.IntN(nEmails))}
		}
		return contactkey.Key{Kind: contactkey.KindCustomer, V: subject(rng.IntN(nCust))}
	}
	patched, total := 0, 0
	check := func(step int, what string) {
		t.Helper()
		dir := e.Campaigns().Directory
		for _, sc := range scopes {
			got, err := e.scopeSuppression(dir, sc, at.Unix())
			if err != nil {
				t.Fatal(err)
			}
			total++
			if got.patched {
				patched++
			}
			if err := sameSteps(got.steps, rebuiltScope(t, e, dir, sc, at.Unix())); err != nil {
				t.Fatalf("seed %d step %d (%s), scope %+v, patched %v: %v", seed, step, what, sc, got.patched, err)
			}
		}
	}
	check(-1, "start")
	for step := range steps {
		var what string
		switch op := rng.IntN(10); op {
		case 0, 1:
			k := keyOf()
			what = fmt.Sprintf("opt-out %v", k)
			chs := []suppression.ChannelSet{suppression.ChannelSet(suppression.SMS), suppression.ChannelSet(suppression.SMS | suppression.Email | suppression.Push)}[rng.IntN(2)]
			purposes := []suppression.PurposeSet{{All: true}, {Names: []string{suppression.DirectMarketing}}, {Names: []string{suppression.ThirdPartyDisclosure}}}[rng.IntN(3)]
			source := []string{"customer_request", "complaint"}[rng.IntN(2)]
			if _, err := e.RecordOptOut(ctx, OptOutRequest{Key: k, Channels: chs, Purposes: purposes, Source: source, At: at}); err != nil {
				t.Fatal(err)
			}
		case 2:
			k := keyOf()
			what = fmt.Sprintf("opt-in %v", k)
			if _, err := e.RecordOptOut(ctx, OptOutRequest{Key: k, Channels: suppression.ChannelSet(suppression.SMS | suppression.Email | suppression.Push), Purposes: suppression.PurposeSet{All: true}, Evidence: "form 7", OptIn: true, At: at}); err != nil {
				t.Fatal(err)
			}
		case 3, 4, 5:
			name := names[rng.IntN(len(names))]
			li := lists[name]
			mode := suppression.ImportMode(1 + rng.IntN(3))
			var keys []uint64
			var exp []int64
			for range rng.IntN(30) {
				keys = append(keys, li.key(rng.IntN(li.n)))
				exp = append(exp, []int64{0, 0, base.Add(-time.Hour).Unix(), base.Add(time.Hour).Unix(), base.Add(20 * time.Hour).Unix()}[rng.IntN(5)])
			}
			what = fmt.Sprintf("%s of %d keys into %s", mode, len(keys), name)
			im, err := e.BeginImport(ctx, name, mode, "test")
			if err != nil {
				t.Fatal(err)
			}
			if err := im.Add(ctx, keys, exp); err != nil {
				t.Fatal(err)
			}
			if _, _, err := im.Commit(ctx, uint64(len(keys)), 0, nil); err != nil {
				t.Fatal(err)
			}
		case 6:
			what = "customers"
			putCustomers(1 + rng.IntN(20))
		case 7:
			at = base.Add([]time.Duration{0, -2 * time.Hour, 2 * time.Hour, 30 * time.Hour}[rng.IntN(4)])
			what = "time " + at.String()
		case 8:
			name := fmt.Sprintf("l%d", step)
			kind := []contactkey.Kind{contactkey.KindPhone, contactkey.KindEmail, contactkey.KindCustomer}[rng.IntN(3)]
			typ := suppression.Deny
			if rng.IntN(5) == 0 {
				typ = suppression.Consent
			}
			what = "create " + name
			createList(name, kind, typ, "partner")
		case 9:
			i := rng.IntN(len(names))
			what = "delete " + names[i]
			if _, err := e.DeleteList(ctx, names[i]); err == nil {
				delete(lists, names[i])
				names = append(names[:i:i], names[i+1:]...)
			}
		}
		check(step, what)
	}
	if patched*2 < total {
		t.Fatalf("only %d of %d states were patched", patched, total)
	}
	t.Logf("seed %d: %d of %d states patched", seed, patched, total)
}
