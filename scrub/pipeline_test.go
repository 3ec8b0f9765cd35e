package scrub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/suppression"
)

// mixedCampaign is n rows of every kind of key, with listed, invalid,
// missing and malformed rows among them, and a quoted multi-line field.
func mixedCampaign(n int) (input string, phones, emails, addrs, custs []string) {
	rng := rand.New(rand.NewPCG(11, 12))
	var b strings.Builder
	b.WriteString("customer_id,phone,email,address\n")
	for i := range n {
		cust := fmt.Sprintf("C%06d", i)
		phone := fmt.Sprintf("(212) 736-%04d", i%10000)
		email := fmt.Sprintf("User%d@Example.com", i)
		addr := fmt.Sprintf("%d Main Street, Springfield, IL 62704", i)
		switch r := rng.IntN(40); {
		case r == 0:
			phone = "212-73O-0000" // a letter for a digit
		case r == 1:
			email = "no-at-sign"
		case r == 2:
			phone = ""
		case r == 3:
			email, addr = "", ""
		case r == 4:
			addr = fmt.Sprintf("%d Main St\nSpringfield, IL 62704", i) // quoted, two lines
		case r < 12:
			phones = append(phones, phone)
		case r < 16:
			emails = append(emails, email)
		case r < 18:
			addrs = append(addrs, addr)
		case r < 20:
			custs = append(custs, cust)
		}
		if i%997 == 5 {
			b.WriteString("\"unbalanced,quote\n") // a bad row
			continue
		}
		fmt.Fprintf(&b, "%s,%s,%s,%q\n", cust, phone, email, addr)
	}
	return b.String(), phones, emails, addrs, custs
}

func mixedWorld(t *testing.T, n int) (*world, string) {
	w := newWorld(t, "US")
	in, phones, emails, addrs, custs := mixedCampaign(n)
	w.list(t, "dnc", contactkey.KindPhone, suppression.Deny, "call", "all", "national_registry", phones...)
	w.list(t, "emails", contactkey.KindEmail, suppression.Deny, "all", "direct_marketing", "customer_request", emails...)
	w.list(t, "homes", contactkey.KindAddress, suppression.Deny, "all", "direct_marketing", "complaint", addrs...)
	w.list(t, "custs", contactkey.KindCustomer, suppression.Deny, "all", "all", "customer_request", custs...)
	return w, in
}

var fullMap = map[string]string{"customer": "customer_id", "phone": "phone", "email": "email", "address": "address"}

// The pipeline (several normalising and deciding workers, batches in
// flight, ordered writer) gives byte for byte the outputs, counts and
// waterfall of one worker taking the whole file as one batch.
func TestPipelineEqualsSingleThreaded(t *testing.T) {
	w, in := mixedWorld(t, 20_000)
	callDM := suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}
	ref, err := w.scrub(t, in, callDM, fullMap, func(o *Options) { o.Workers = 1; o.BatchRows = 1 << 20 })
	if err != nil {
		t.Fatal(err)
	}
	c := ref.m.Counts
	if c.Clean == 0 || c.Suppressed == 0 || c.Rejected == 0 || c.Rows != c.Clean+c.Suppressed+c.Rejected {
		t.Fatalf("reference run: %+v", c)
	}
	for _, tc := range []struct{ workers, batch int }{{2, 64}, {3, 7}, {4, 1000}, {2, 1}, {8, 4096}} {
		got, err := w.scrub(t, in, callDM, fullMap, func(o *Options) { o.Workers = tc.workers; o.BatchRows = tc.batch })
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("workers=%d batch=%d", tc.workers, tc.batch)
		if got.clean != ref.clean || got.suppressed != ref.suppressed || got.rejected != ref.rejected {
			t.Fatalf("%s: outputs differ from the single-threaded run", name)
		}
		if got.m.Counts != ref.m.Counts || fmt.Sprint(got.m.Waterfall) != fmt.Sprint(ref.m.Waterfall) || fmt.Sprint(got.m.PerReason) != fmt.Sprint(ref.m.PerReason) {
			t.Fatalf("%s: manifest %+v %+v, want %+v %+v", name, got.m.Counts, got.m.Waterfall, ref.m.Counts, ref.m.Waterfall)
		}
		if got.m.Outputs["clean"].SHA256 != ref.m.Outputs["clean"].SHA256 || got.m.Input.SHA256 != ref.m.Input.SHA256 {
			t.Fatalf("%s: digests differ", name)
		}
	}
}

// The state is held back until the scrub has read a twentieth of the
// input (the batches in flight hold more): rows are read and normalised
// ahead, but none is decided or written before the state is there, and
// the result is Run's.
func TestRunOpeningWaitsForState(t *testing.T) {
	w, in := mixedWorld(t, 20_000)
	callDM := suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}
	ref, err := w.scrub(t, in, callDM, fullMap, nil)
	if err != nil {
		t.Fatal(err)
	}
	var clean, supp, rej bytes.Buffer
	var progressed atomic.Int64
	release := make(chan struct{})
	opened := 0
	open := func() (State, error) {
		opened++
		<-release
		return w.e, nil
	}
	cr := &countingReader{r: strings.NewReader(in), after: int64(len(in) / 20), reached: release}
	m, err := RunOpening(context.Background(), open, cr, Outputs{Clean: &clean, Suppressed: &supp, Rejected: &rej}, Options{
		Scope: callDM, Mapping: fullMap, Normalizer: w.n, Hasher: w.h, CSV: csvio.Options{Delimiter: ',', Header: true},
		At: w.now, InputName: "campaign.csv", Workers: 2, BatchRows: 256,
		Progress: func(rows, _ int64) {
			if !cr.hit.Load() {
				t.Errorf("%d rows written before the state was open", rows)
			}
			progressed.Store(rows)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if opened != 1 {
		t.Fatalf("open called %d times", opened)
	}
	if clean.String() != ref.clean || supp.String() != ref.suppressed || rej.String() != ref.rejected || m.Counts != ref.m.Counts {
		t.Fatal("outputs differ from Run's")
	}
	if progressed.Load() != m.Counts.Rows {
		t.Fatalf("progress ended at %d of %d rows", progressed.Load(), m.Counts.Rows)
	}
}

// countingReader closes reached once after bytes have been read.
type countingReader struct {
	r       *strings.Reader
	n       int64
	after   int64
	reached chan struct{}
	hit     atomic.Bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after && !c.hit.Swap(true) {
		close(c.reached)
	}
	return n, err
}

// A state that cannot be opened fails the scrub: an error, and not one
// row in any output past the headers.
func TestRunOpeningStateFails(t *testing.T) {
	w, in := mixedWorld(t, 5000)
	boom := errors.New("recover state: snapshot damaged")
	var clean, supp, rej bytes.Buffer
	_, err := RunOpening(context.Background(), func() (State, error) { return nil, boom }, strings.NewReader(in), Outputs{Clean: &clean, Suppressed: &supp, Rejected: &rej}, Options{
		Scope: suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}, Mapping: fullMap, Normalizer: w.n, Hasher: w.h,
		CSV: csvio.Options{Delimiter: ',', Header: true}, At: w.now, InputName: "campaign.csv", BatchRows: 100,
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the open error", err)
	}
	for name, b := range map[string]*bytes.Buffer{"clean": &clean, "suppressed": &supp, "rejected": &rej} {
		if strings.Count(b.String(), "\n") > 1 {
			t.Fatalf("%s holds rows after a failed open:\n%.200s", name, b.String())
		}
	}
}

// An input with a header and no rows still opens the state for the
// manifest's list proofs; a state that fails then is an error too.
func TestRunOpeningEmptyInput(t *testing.T) {
	w, _ := mixedWorld(t, 100)
	callDM := suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}
	r, err := w.scrub(t, "customer_id,phone,email,address\n", callDM, fullMap, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.m.Counts.Rows != 0 || len(r.m.Lists) != 4 || r.m.StateVersion == 0 {
		t.Fatalf("manifest of an empty scrub: %+v, %d lists, state %d", r.m.Counts, len(r.m.Lists), r.m.StateVersion)
	}
	boom := errors.New("no state")
	_, err = RunOpening(context.Background(), func() (State, error) { return nil, boom }, strings.NewReader("phone\n"), Outputs{}, Options{
		Scope: callDM, Mapping: map[string]string{"phone": "phone"}, Normalizer: w.n, Hasher: w.h,
		CSV: csvio.Options{Delimiter: ',', Header: true}, At: w.now,
	})
	if !errors.Is(err, boom) {
		t.Fatalf("empty input, failing state: got %v", err)
	}
}
