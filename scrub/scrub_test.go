package scrub

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/suppression"
)

type world struct {
	e    *engine.Engine
	n    *contactkey.Normalizer
	h    *contactkey.Hasher
	now  time.Time
	done func()
}

func newWorld(t *testing.T, region string) *world {
	t.Helper()
	j, err := wal.Open(t.TempDir(), wal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	h, err := contactkey.NewHasher(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	e, err := engine.Open(context.Background(), j, engine.Options{Hasher: h, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	n, err := contactkey.NewNormalizer(region)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{e: e, n: n, h: h, now: now}
	w.done = func() { e.Close(); j.Close() }
	t.Cleanup(w.done)
	return w
}

func (w *world) list(t *testing.T, name string, kind contactkey.Kind, typ suppression.ListType, channels, purposes, source string, raw ...string) {
	t.Helper()
	ch, err := suppression.ParseChannels(channels)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := suppression.ParsePurposes(purposes)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := w.e.CreateList(ctx, suppression.ListSpec{Name: name, Kind: kind, Type: typ, Channels: ch, Purposes: ps, Source: source}); err != nil {
		t.Fatal(err)
	}
	var keys []uint64
	for _, r := range raw {
		k, err := w.n.Key(kind, []byte(r), w.h)
		if err != nil {
			t.Fatalf("key %q: %v", r, err)
		}
		keys = append(keys, k.V)
	}
	im, err := w.e.BeginImport(ctx, name, suppression.Replace, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Add(ctx, keys, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := im.Commit(ctx, uint64(len(keys)), 0, nil); err != nil {
		t.Fatal(err)
	}
}

func (w *world) optOut(t *testing.T, kind contactkey.Kind, raw, channels, purposes string) {
	t.Helper()
	k, err := w.n.Key(kind, []byte(raw), w.h)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := suppression.ParseChannels(channels)
	ps, _ := suppression.ParsePurposes(purposes)
	if _, err := w.e.RecordOptOut(context.Background(), engine.OptOutRequest{Key: k, Channels: ch, Purposes: ps, Source: "customer_request"}); err != nil {
		t.Fatal(err)
	}
}

type result struct {
	m                           *Manifest
	clean, suppressed, rejected string
}

func (w *world) scrub(t *testing.T, input string, scope suppression.Scope, mapping map[string]string, tweak func(*Options)) (result, error) {
	t.Helper()
	var clean, supp, rej bytes.Buffer
	opts := Options{Scope: scope, Mapping: mapping, Normalizer: w.n, Hasher: w.h, CSV: csvio.Options{Delimiter: ',', Header: true}, At: w.now, InputName: "campaign.csv"}
	if tweak != nil {
		tweak(&opts)
	}
	m, err := Run(context.Background(), w.e, strings.NewReader(input), Outputs{Clean: &clean, Suppressed: &supp, Rejected: &rej}, opts)
	return result{m, clean.String(), supp.String(), rej.String()}, err
}

var mailDM = suppression.Scope{Channel: suppression.Mail, Purpose: suppression.DirectMarketing}

// The case hush exists for.
func TestShanghaiThirdPartyMailCampaign(t *testing.T) {
	w := newWorld(t, "CN")
	w.optOut(t, contactkey.KindCustomer, "SH-2000-0417", "mail", "direct_marketing,third_party_disclosure")
	w.optOut(t, contactkey.KindCustomer, "SH-1999-0001", "all", "third_party_disclosure")
	input := "customer_id,phone,address\n" +
		"SH-2000-0417,021 6234 5678,上海市黄浦区南京东路１００号２００１室\n" +
		"SH-1999-0001,021 6234 5679,上海市徐汇区衡山路1号\n" +
		"SH-1998-0002,021 6234 5670,上海市静安区长寿路2号\n"
	mapping := map[string]string{"customer": "customer_id", "phone": "phone", "address": "address"}

	third := mailDM
	third.Sponsor = "acme_insurance"
	r, err := w.scrub(t, input, third, mapping, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.m.Counts != (Counts{Rows: 3, Clean: 1, Suppressed: 2}) {
		t.Fatalf("third-party campaign counts %+v", r.m.Counts)
	}
	if !strings.Contains(r.suppressed, "SH-2000-0417") || !strings.Contains(r.suppressed, "SH-1999-0001") {
		t.Fatalf("suppressed output:\n%s", r.suppressed)
	}
	zhang := lineWith(r.suppressed, "SH-2000-0417")
	for _, want := range []string{"optouts(customer):customer_request:direct_marketing", "optouts(customer):customer_request:third_party_disclosure"} {
		if !strings.Contains(zhang, want) {
			t.Errorf("Zhang's reasons %q lack %q", zhang, want)
		}
	}
	// The first party's own mailing: only Zhang refused it.
	r, err = w.scrub(t, input, mailDM, mapping, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.m.Counts != (Counts{Rows: 3, Clean: 2, Suppressed: 1}) {
		t.Fatalf("first-party campaign counts %+v", r.m.Counts)
	}
}

func lineWith(s, needle string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, needle) {
			return l
		}
	}
	return ""
}

// Every row lands in exactly one output, whatever is wrong with it.
func TestRowAccountingAndRejects(t *testing.T) {
	w := newWorld(t, "US")
	w.list(t, "dnc", contactkey.KindPhone, suppression.Deny, "call", "all", "national_registry", "212 736 0100")
	input := "id,phone,email\n" +
		"1,(212) 736-0100,a@example.com\n" + // on the list
		"2,212.736.0101,b@example.com\n" + // clean
		"3,212-CALL-NOW,c@example.com\n" + // letters
		"4,,d@example.com\n" + // no phone for a call campaign
		"5,212 736 0102,not-an-email\n" + // bad email: fail closed
		"6,212 736 0103\n" + // ragged
		"7,\"212 736 0104,e@example.com\n" // unbalanced quote to EOF
	callDM := suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}
	r, err := w.scrub(t, input, callDM, map[string]string{"phone": "phone", "email": "email"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := r.m.Counts
	if c.Rows != 7 || c.Clean+c.Suppressed+c.Rejected != c.Rows {
		t.Fatalf("accounting: %+v", c)
	}
	if c.Clean != 1 || c.Suppressed != 1 || c.Rejected != 5 {
		t.Fatalf("counts %+v\nclean:\n%s\nsuppressed:\n%s\nrejected:\n%s", c, r.clean, r.suppressed, r.rejected)
	}
	if r.clean != "id,phone,email\n2,212.736.0101,b@example.com\n" {
		t.Fatalf("clean rows must be unchanged:\n%q", r.clean)
	}
	for _, want := range []string{"letters", "missing_phone", "invalid_email", "bad_row"} {
		if !strings.Contains(r.rejected, want) {
			t.Errorf("rejected output lacks %q:\n%s", want, r.rejected)
		}
	}
}

// Without the channel's contact column there is nothing to scrub.
func TestMappingMustNameContactColumn(t *testing.T) {
	w := newWorld(t, "US")
	_, err := w.scrub(t, "id,email\n1,a@example.com\n", suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}, map[string]string{"email": "email"}, nil)
	if err == nil || !strings.Contains(err.Error(), "phone") {
		t.Fatalf("want an error naming the phone column, got %v", err)
	}
	_, err = w.scrub(t, "id,phone\n1,2127360100\n", suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}, map[string]string{"phone": "tel"}, nil)
	if err == nil || !strings.Contains(err.Error(), "tel") {
		t.Fatalf("want an error naming the missing column, got %v", err)
	}
}

// SMS marketing needs consent: a number not on the consent list is
// suppressed with no_consent.
func TestConsentRequired(t *testing.T) {
	w := newWorld(t, "US")
	w.list(t, "sms_consent", contactkey.KindPhone, suppression.Consent, "sms", "direct_marketing", "customer_request", "212 736 0100")
	r, err := w.scrub(t, "phone\n2127360100\n2127360101\n", suppression.Scope{Channel: suppression.SMS, Purpose: suppression.DirectMarketing}, map[string]string{"phone": "phone"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.m.Counts != (Counts{Rows: 2, Clean: 1, Suppressed: 1}) || !strings.Contains(r.suppressed, "no_consent:sms_consent") {
		t.Fatalf("counts %+v suppressed:\n%s", r.m.Counts, r.suppressed)
	}
}

// Many small batches through several workers: output keeps input order and
// the manifest's counts and list proofs are right.
func TestOrderAndManifest(t *testing.T) {
	w := newWorld(t, "US")
	var listed []string
	var in strings.Builder
	in.WriteString("phone\n")
	for i := range 5000 {
		p := fmt.Sprintf("212736%04d", i)
		if i%3 == 0 {
			listed = append(listed, p)
		}
		in.WriteString(p + "\n")
	}
	w.list(t, "dnc", contactkey.KindPhone, suppression.Deny, "call", "all", "national_registry", listed...)
	callDM := suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}
	r, err := w.scrub(t, in.String(), callDM, map[string]string{"phone": "1"}, func(o *Options) { o.Workers = 3; o.BatchRows = 7 })
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString("phone\n")
	for i := range 5000 {
		if i%3 != 0 {
			fmt.Fprintf(&want, "212736%04d\n", i)
		}
	}
	if r.clean != want.String() {
		t.Fatal("clean output is not the input's unlisted rows in input order")
	}
	m := r.m
	if m.Counts.Suppressed != int64(len(listed)) || len(m.Lists) != 1 || m.Lists[0].Name != "dnc" || m.Lists[0].Entries != uint64(len(listed)) || len(m.Lists[0].SHA256) != 64 {
		t.Fatalf("manifest: %+v lists %+v", m.Counts, m.Lists)
	}
	if m.Input.Bytes != int64(in.Len()) || m.Outputs["clean"].Bytes != int64(len(r.clean)) {
		t.Fatalf("manifest digests: %+v %+v", m.Input, m.Outputs)
	}
	last := m.Waterfall[len(m.Waterfall)-1]
	if last.Reason != "list:dnc" || last.Removed != int64(len(listed)) || last.Remaining != m.Counts.Clean {
		t.Fatalf("waterfall %+v", m.Waterfall)
	}
}
