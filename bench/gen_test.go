package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

func usNormalizer(t testing.TB) *contactkey.Normalizer {
	t.Helper()
	n, err := contactkey.NewNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// nanpValid is the NANP shape: NXX-NXX-XXXX with neither NXX an N11.
func nanpValid(p uint64) bool {
	area, exch := p/10_000_000, p/10_000%1000
	return p >= 2_000_000_000 && p < 10_000_000_000 &&
		area >= 200 && area%100 != 11 && exch >= 200 && exch%100 != 11
}

func TestRandomPhonesAreValidNANPAndValidForHush(t *testing.T) {
	n := usNormalizer(t)
	r := newRNG(42, 1, 0)
	areas := map[uint64]int{}
	var buf []byte
	for i := range 200_000 {
		p := randomPhone(&r)
		if !nanpValid(p) {
			t.Fatalf("phone %d is not a valid NANP number", p)
		}
		areas[p/10_000_000]++
		if i%10 != 0 {
			continue
		}
		for f := PhoneFormat(0); f < numPhoneFormats; f++ {
			if f == PhoneRegistry {
				continue // not a phone-number spelling on its own
			}
			buf = AppendPhone(buf[:0], p, f)
			v, err := n.Phone(buf)
			if err != nil {
				t.Fatalf("hush rejects %q: %v", buf, err)
			}
			if v != 10_000_000_000+p {
				t.Fatalf("hush reads %q as %d, want %d", buf, v, 10_000_000_000+p)
			}
		}
	}
	// Clustered and skewed: the busiest area code holds a few per cent.
	top := 0
	for _, c := range areas {
		top = max(top, c)
	}
	if len(areas) < 300 || top < 200_000/100 || top > 200_000/10 {
		t.Errorf("%d area codes, busiest has %d of 200000: want a few hundred codes with a skew", len(areas), top)
	}
}

func TestEveryAreaCodeIsValidForHush(t *testing.T) {
	n := usNormalizer(t)
	seen := map[uint16]bool{}
	for _, a := range usAreaCodes {
		if seen[a] {
			t.Errorf("area code %d listed twice", a)
		}
		seen[a] = true
		for _, e := range []uint64{200, 201, 299, 300, 555, 698, 876, 999} {
			p := uint64(a)*10_000_000 + e*10_000 + 147
			if _, err := n.Phone(AppendPhone(nil, p, PhoneDigits)); err != nil {
				t.Errorf("area code %d exchange %d: hush says %v", a, e, err)
			}
		}
	}
}

func TestInvalidPhonesAreRejectedByHush(t *testing.T) {
	n := usNormalizer(t)
	r := newRNG(7, 2, 0)
	var buf []byte
	for range 20_000 {
		buf = appendInvalidPhone(buf[:0], &r)
		if v, err := n.Phone(buf); err == nil {
			t.Fatalf("hush accepts the invalid phone %q as %d", buf, v)
		} else if !errors.Is(err, contactkey.ErrInvalidKey) {
			t.Fatalf("%q: %v is not ErrInvalidKey", buf, err)
		}
		if bytes.ContainsAny(buf, ",\"\n") {
			t.Fatalf("invalid phone %q needs CSV quoting", buf)
		}
	}
}

func TestEmailsAreValidForHushAndFoldByCase(t *testing.T) {
	r := newRNG(3, 3, 0)
	for i := range 50_000 {
		lower := string(appendEmailLower(nil, randomEmail(&r)))
		got, err := contactkey.NormalizeEmail(lower)
		if err != nil {
			t.Fatalf("hush rejects %q: %v", lower, err)
		}
		if got != lower {
			t.Fatalf("hush normalises %q to %q", lower, got)
		}
		b := []byte(lower)
		applyCase(b, i%4, &r)
		if got, err := contactkey.NormalizeEmail(string(b) + " "); err != nil || got != lower {
			t.Fatalf("%q: hush gives %q, %v; want %q", b, got, err, lower)
		}
		bad := string(appendInvalidEmail(nil, &r))
		if _, err := contactkey.NormalizeEmail(bad); err == nil {
			t.Fatalf("hush accepts the invalid e-mail %q", bad)
		}
	}
}

func TestAddressRenderingsFoldToOneKey(t *testing.T) {
	r := newRNG(5, 4, 0)
	for range 20_000 {
		a := randomAddress(&r)
		canon := string(appendAddress(nil, a, &r, true))
		want, err := contactkey.NormalizeAddress(canon)
		if err != nil {
			t.Fatalf("hush rejects %q: %v", canon, err)
		}
		for range 3 {
			v := string(appendAddress(nil, a, &r, false))
			got, err := contactkey.NormalizeAddress(v)
			if err != nil || got != want {
				t.Fatalf("%q → %q, %v; its canonical form %q → %q", v, got, err, canon, want)
			}
		}
	}
}

// smallScenario is the target scenario shrunk for tests.
func smallScenario(rows int64, scale float64) Scenario {
	return NewScenario(99, rows, scale, DefaultHit, DefaultInvalid)
}

// normKey is what hush keys a raw value of a kind by.
func normKey(t testing.TB, n *contactkey.Normalizer, kind, raw string) (string, error) {
	t.Helper()
	k, err := contactkey.ParseKind(kind)
	if err != nil {
		t.Fatal(err)
	}
	return n.Normalize(k, raw)
}

func TestListsAndCampaignAgreeWithHush(t *testing.T) {
	n := usNormalizer(t)
	sc := smallScenario(30_000, 0.0005)
	g, err := NewGenerator(sc)
	if err != nil {
		t.Fatal(err)
	}
	// Every list line holds a key hush accepts.
	listKey := func(li int, j int64) string {
		line := g.AppendListLine(nil, li, j)
		rec, err := csv.NewReader(bytes.NewReader(line)).Read()
		if err != nil {
			t.Fatalf("list %s line %d %q: %v", sc.Lists[li].Name, j, line, err)
		}
		raw := rec[0]
		if sc.Lists[li].Format == "registry" {
			if len(rec) != 2 || len(rec[0]) != 3 || len(rec[1]) != 7 {
				t.Fatalf("registry line %q is not AAA,NNNNNNN", line)
			}
			raw = rec[0] + rec[1]
		}
		k, err := normKey(t, n, sc.Lists[li].Kind, raw)
		if err != nil {
			t.Fatalf("list %s line %q: hush rejects it: %v", sc.Lists[li].Name, line, err)
		}
		return k
	}
	for li, l := range sc.Lists {
		for j := range min(l.Entries, 5000) {
			listKey(li, j)
		}
	}
	// Campaign rows: rejected by hush exactly when made invalid; a row made
	// to hit entry j of a list carries a key hush folds to that entry's.
	kinds := []string{"customer", "phone", "email", "address"}
	var row []byte
	for i := range sc.Rows {
		var info RowInfo
		row, info = g.AppendRow(row[:0], i)
		rec, err := csv.NewReader(bytes.NewReader(row)).Read()
		if err != nil || len(rec) != 4 {
			t.Fatalf("row %d %q: %d fields, %v", i, row, len(rec), err)
		}
		keys := map[string]string{}
		rejected := false
		for c, kind := range kinds {
			if strings.TrimSpace(rec[c]) == "" {
				continue
			}
			k, err := normKey(t, n, kind, rec[c])
			if err != nil {
				rejected = true
				continue
			}
			keys[kind] = k
		}
		if rejected != info.Invalid {
			t.Fatalf("row %d %q: hush rejects it: %v, made invalid: %v", i, row, rejected, info.Invalid)
		}
		if (rec[2] == "") != info.EmptyEmail || (rec[3] == "") != info.EmptyAddress {
			t.Fatalf("row %d %q: empty fields disagree with %+v", i, row, info)
		}
		if info.HitList >= 0 {
			l := sc.Lists[info.HitList]
			if want := listKey(info.HitList, info.HitEntry); keys[l.Kind] != want {
				t.Fatalf("row %d %q made to hit %s entry %d (%q) has %s key %q", i, row, l.Name, info.HitEntry, want, l.Kind, keys[l.Kind])
			}
		}
	}
}

func TestSharesAreAsAsked(t *testing.T) {
	for _, tc := range []struct{ hit, invalid float64 }{{0.3, 0.005}, {0.05, 0.02}, {0, 0}} {
		t.Run(fmt.Sprintf("hit%.2f_invalid%.3f", tc.hit, tc.invalid), func(t *testing.T) {
			sc := NewScenario(1, 80_000, 0.001, tc.hit, tc.invalid)
			g, err := NewGenerator(sc)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			_, st, err := g.WriteCampaign(context.Background(), &out, 2)
			if err != nil {
				t.Fatal(err)
			}
			rows := float64(st.Rows)
			if st.Rows != sc.Rows || int64(bytes.Count(out.Bytes(), []byte("\n"))) != sc.Rows+1 {
				t.Fatalf("%d rows counted, %d lines written, want %d rows", st.Rows, bytes.Count(out.Bytes(), []byte("\n")), sc.Rows)
			}
			within := func(what string, got, want float64) {
				// 5 standard deviations of a binomial share, plus a little.
				tol := 5*math.Sqrt(want*(1-want)/rows) + 1e-4
				if math.Abs(got-want) > tol {
					t.Errorf("%s share %.4f, want %.4f ± %.4f", what, got, want, tol)
				}
			}
			within("hit", float64(st.Hits)/rows, tc.hit)
			within("invalid", float64(st.Invalid)/rows, tc.invalid)
			within("empty e-mail", float64(st.EmptyEmails)/rows, (1-tc.invalid/4)*emptyEmailPct/100*(1-tc.hit*0.15))
			for _, l := range sc.Lists {
				within("hits on "+l.Name, float64(st.HitsByList[l.Name])/rows, tc.hit*l.HitWeight)
			}
		})
	}
}

func TestSameSeedSameBytesWhateverTheWorkers(t *testing.T) {
	gen := func(seed uint64, workers int) []byte {
		sc := NewScenario(seed, 70_000, 0.001, 0.3, 0.01)
		g, err := NewGenerator(sc)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		for li := range sc.Lists {
			if _, err := g.WriteList(context.Background(), &out, li, workers); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := g.WriteCampaign(context.Background(), &out, workers); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	a, b := gen(5, 1), gen(5, 3)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different bytes with 1 and 3 workers")
	}
	if c := gen(6, 2); bytes.Equal(a, c) {
		t.Fatal("seeds 5 and 6 gave the same bytes")
	}
}

func TestRegistryIsUnsorted(t *testing.T) {
	sc := smallScenario(0, 0.0001)
	g, _ := NewGenerator(sc)
	var prev []byte
	ups, downs := 0, 0
	for j := range int64(1000) {
		line := g.AppendListLine(nil, 0, j)
		if prev != nil {
			if bytes.Compare(line, prev) > 0 {
				ups++
			} else {
				downs++
			}
		}
		prev = line
	}
	if ups < 300 || downs < 300 {
		t.Errorf("registry lines: %d up, %d down: want no order", ups, downs)
	}
}

func TestPickerFollowsWeights(t *testing.T) {
	p := newPicker([]float64{1, 0, 3, 6})
	if len(p) != 1<<16 {
		t.Fatalf("picker has %d slots", len(p))
	}
	r := newRNG(1, 1, 1)
	var n [4]int
	for range 100_000 {
		n[p.draw(&r)]++
	}
	if n[1] != 0 {
		t.Errorf("a zero weight was drawn %d times", n[1])
	}
	for i, w := range []float64{0.1, 0, 0.3, 0.6} {
		if got := float64(n[i]) / 100_000; math.Abs(got-w) > 0.01 {
			t.Errorf("item %d drawn %.3f of the time, want %.1f", i, got, w)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := smallScenario(10, 0.001)
	for _, tc := range []struct {
		name   string
		change func(*Scenario)
	}{
		{"negative rows", func(s *Scenario) { s.Rows = -1 }},
		{"shares over one", func(s *Scenario) { s.Hit, s.Invalid = 0.9, 0.2 }},
		{"no lists", func(s *Scenario) { s.Lists = nil }},
		{"duplicate list", func(s *Scenario) { s.Lists = append(s.Lists, s.Lists[0]) }},
		{"empty list", func(s *Scenario) { s.Lists[1].Entries = 0 }},
		{"unknown kind", func(s *Scenario) { s.Lists[1].Kind = "fax" }},
		{"registry of e-mails", func(s *Scenario) { s.Lists[3].Format = "registry" }},
		{"unknown style", func(s *Scenario) { s.Lists[1].Style = "fancy" }},
		{"csv without column", func(s *Scenario) { s.Lists[1].Column = "" }},
		{"hits but no weights", func(s *Scenario) {
			for i := range s.Lists {
				s.Lists[i].HitWeight = 0
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			s.Lists = append([]ListSpec(nil), ok.Lists...)
			tc.change(&s)
			if err := s.Validate(); !errors.Is(err, ErrInvalidScenario) {
				t.Errorf("Validate = %v, want ErrInvalidScenario", err)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("the default scenario: %v", err)
	}
	if got := NewScenario(1, 1, 1, 0.3, 0.005).TotalEntries(); got != 60_000_000 {
		t.Errorf("the target scenario holds %d list entries, want 60M", got)
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

func TestWriteStopsOnWriteError(t *testing.T) {
	g, _ := NewGenerator(smallScenario(500_000, 0.001))
	_, _, err := g.WriteCampaign(context.Background(), &failWriter{after: 3}, 2)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("WriteCampaign = %v, want the writer's error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.WriteList(ctx, &bytes.Buffer{}, 0, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteList on a cancelled context = %v", err)
	}
}

// Random campaign keys hit a list by chance about as often as real ones
// would: rarely. (A generator with too little variety makes most of a big
// list's keys collide with random rows, and the scrub suppresses far more
// than -hit.)
func TestChanceHitsAreRare(t *testing.T) {
	const listSize, probes = 500_000, 100_000
	r := newRNG(8, 8, 0)
	emails := make(map[string]bool, listSize)
	addrs := make(map[addressID]bool, listSize)
	var buf []byte
	for range listSize {
		buf = appendEmailLower(buf[:0], randomEmail(&r))
		emails[string(buf)] = true
		addrs[randomAddress(&r)] = true
	}
	var e, a int
	for range probes {
		buf = appendEmailLower(buf[:0], randomEmail(&r))
		if emails[string(buf)] {
			e++
		}
		if addrs[randomAddress(&r)] {
			a++
		}
	}
	// 500k entries is 1/14 of the target e-mail list: keep chance hits
	// below 0.1 % here, about 1 % at full size.
	if e > probes/1000 || a > probes/1000 {
		t.Errorf("chance hits against %d entries: %d e-mails, %d addresses of %d", listSize, e, a, probes)
	}
	if len(emails) < listSize*99/100 {
		t.Errorf("only %d distinct e-mails in %d", len(emails), listSize)
	}
}
