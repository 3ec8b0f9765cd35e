package scrub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/suppression"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden.txt")

// The outputs of a scrub are byte for byte those of the tree they were
// recorded with (testdata/golden.txt, written by the scrub of commit
// f9556fa, before the performance pass of 2026-12-02): the digests of
// clean, suppressed and rejected, the counts and the waterfall, for a
// mixed campaign with listed, invalid, missing, malformed and multi-line
// rows and opt-outs, on three scopes and two batch sizes. Regenerate
// with -update only for an intended change of output.
func TestGoldenOutputs(t *testing.T) {
	w, in := mixedWorld(t, 30_000)
	w.optOut(t, contactkey.KindPhone, "(212) 736-0042", "call", "direct_marketing")
	w.optOut(t, contactkey.KindEmail, "User77@Example.com", "email", "all")
	w.optOut(t, contactkey.KindCustomer, "C000123", "all", "third_party_disclosure")
	var b strings.Builder
	for _, tc := range []struct {
		name  string
		scope suppression.Scope
		batch int
	}{
		{"call-dm", suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}, 0},
		{"call-dm-batch-1000", suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}, 1000},
		{"mail-dm", mailDM, 0},
		{"email-dm-sponsored", suppression.Scope{Channel: suppression.Email, Purpose: suppression.DirectMarketing, Sponsor: "acme"}, 0},
	} {
		r, err := w.scrub(t, in, tc.scope, fullMap, func(o *Options) { o.BatchRows = tc.batch })
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		wf, _ := json.Marshal(r.m.Waterfall)
		pr, _ := json.Marshal(r.m.PerReason)
		fmt.Fprintf(&b, "%s counts %+v\n", tc.name, r.m.Counts)
		for _, o := range []struct{ name, s string }{{"clean", r.clean}, {"suppressed", r.suppressed}, {"rejected", r.rejected}} {
			sum := sha256.Sum256([]byte(o.s))
			fmt.Fprintf(&b, "%s %s %d %s\n", tc.name, o.name, len(o.s), hex.EncodeToString(sum[:]))
		}
		fmt.Fprintf(&b, "%s waterfall %s\n%s per_reason %s\n", tc.name, wf, tc.name, pr)
	}
	// Phones spread over the whole NANP range against a list of 60k of
	// them: the lists' containers outnumber a batch's keys, so the
	// key-driven walk (not the container-driven one) decides them.
	spread := newWorld(t, "US")
	rng := rand.New(rand.NewPCG(21, 22))
	areas := []int{201, 212, 213, 305, 312, 404, 415, 512, 617, 702, 718, 808, 917, 971}
	phone := func() string {
		ex := 200 + rng.IntN(800)
		if ex%100 == 11 {
			ex++
		}
		return fmt.Sprintf("+1 %d %d %04d", areas[rng.IntN(len(areas))], ex, rng.IntN(10000))
	}
	var listed []string
	var cb strings.Builder
	cb.WriteString("customer_id,phone\n")
	for i := range 60_000 {
		p := phone()
		listed = append(listed, p)
		if i%3 == 0 {
			fmt.Fprintf(&cb, "C%d,%s\n", i, p)
		}
		if i%5 == 0 {
			fmt.Fprintf(&cb, "N%d,%s\n", i, phone())
		}
	}
	spread.list(t, "national", contactkey.KindPhone, suppression.Deny, "call", "all", "national_registry", listed...)
	for _, batch := range []int{0, 1000} {
		r, err := spread.scrub(t, cb.String(), suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}, map[string]string{"customer": "customer_id", "phone": "phone"}, func(o *Options) { o.BatchRows = batch })
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "spread-%d counts %+v\n", batch, r.m.Counts)
		for _, o := range []struct{ name, s string }{{"clean", r.clean}, {"suppressed", r.suppressed}, {"rejected", r.rejected}} {
			sum := sha256.Sum256([]byte(o.s))
			fmt.Fprintf(&b, "spread-%d %s %d %s\n", batch, o.name, len(o.s), hex.EncodeToString(sum[:]))
		}
	}
	path := filepath.Join("testdata", "golden.txt")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Fatalf("outputs differ from %s:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
