package peers

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hushcrm/hush/bench"
	"github.com/hushcrm/hush/contactkey"
)

// The peers' SQL, transcribed to Go step by step. TestRulesAgreeWithHush
// holds it against contactkey on generated data; the peer tests hold the
// SQL against it.

var (
	reLetters  = regexp.MustCompile(`[A-Za-z]`)
	reNonDigit = regexp.MustCompile(`[^0-9]`)
	reNANP     = regexp.MustCompile(`^(` + nanpCore + `)$`)
	reEmail    = regexp.MustCompile(emailPattern)
	reNonAlnum = regexp.MustCompile(`[^a-z0-9]+`)
	foldWord   = func() map[string]string {
		m := map[string]string{}
		for _, f := range addrFolds {
			m[f[0]] = f[1]
		}
		return m
	}()
)

// sqlPhone is the SQL's p: the 10-digit number, or ok=false (reject).
func sqlPhone(raw string) (uint64, bool) {
	if reLetters.MatchString(raw) {
		return 0, false
	}
	d := reNonDigit.ReplaceAllString(raw, "")
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if !reNANP.MatchString(d) {
		return 0, false
	}
	var v uint64
	for _, c := range d {
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// sqlEmail is the SQL's em and whether it makes the row bad.
func sqlEmail(raw string) (em string, present, bad bool) {
	em = strings.ToLower(strings.Trim(raw, " "))
	if em == "" {
		return "", false, false
	}
	return em, true, !reEmail.MatchString(em)
}

// sqlAddress is the SQL's ad ("" = NULL): after the base step the address
// is words separated by single spaces, on which both dialects' folding
// (word-boundary regexps, a CASE per word) is a word-for-word mapping.
func sqlAddress(raw string) string {
	a := strings.ReplaceAll(strings.ToLower(raw), "'", "")
	a = strings.Trim(reNonAlnum.ReplaceAllString(a, " "), " ")
	words := strings.Split(a, " ")
	for i, w := range words {
		if f, ok := foldWord[w]; ok {
			words[i] = f
		}
	}
	return strings.Join(words, " ")
}

func sqlCustomer(raw string) string { return strings.Trim(raw, " ") }

func TestRulesAgreeWithHush(t *testing.T) {
	n, err := contactkey.NewNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	sc := bench.NewScenario(11, 20_000, 0.0004, bench.DefaultHit, 0.02)
	g, err := bench.NewGenerator(sc)
	if err != nil {
		t.Fatal(err)
	}
	check := func(kind, raw string) {
		t.Helper()
		switch kind {
		case "phone":
			p, ok := sqlPhone(raw)
			v, err := n.Phone([]byte(raw))
			if ok != (err == nil) || ok && v != 10_000_000_000+p {
				t.Fatalf("phone %q: SQL gives %d, %v; hush %d, %v", raw, p, ok, v, err)
			}
		case "email":
			em, present, bad := sqlEmail(raw)
			if !present {
				return
			}
			h, err := contactkey.NormalizeEmail(raw)
			if bad != (err != nil) || !bad && em != h {
				t.Fatalf("e-mail %q: SQL gives %q, bad %v; hush %q, %v", raw, em, bad, h, err)
			}
		case "address":
			a := sqlAddress(raw)
			if strings.TrimSpace(raw) == "" {
				return
			}
			h, err := contactkey.NormalizeAddress(raw)
			if err != nil || a != h {
				t.Fatalf("address %q: SQL gives %q; hush %q, %v", raw, a, h, err)
			}
		case "customer":
			if raw == "" {
				return
			}
			h, err := contactkey.NormalizeCustomer(raw)
			if err != nil || h != sqlCustomer(raw) {
				t.Fatalf("customer %q: SQL gives %q; hush %q, %v", raw, sqlCustomer(raw), h, err)
			}
		}
	}
	for li, l := range sc.Lists {
		for j := range min(l.Entries, 4000) {
			rec, err := csv.NewReader(bytes.NewReader(g.AppendListLine(nil, li, j))).Read()
			if err != nil {
				t.Fatal(err)
			}
			if l.Format == "registry" {
				check("phone", rec[0]+rec[1])
			} else {
				check(l.Kind, rec[0])
			}
		}
	}
	var row []byte
	for i := range sc.Rows {
		row, _ = g.AppendRow(row[:0], i)
		rec, err := csv.NewReader(bytes.NewReader(row)).Read()
		if err != nil {
			t.Fatal(err)
		}
		for c, kind := range []string{"customer", "phone", "email", "address"} {
			check(kind, rec[c])
		}
	}
}

func TestAddressFoldsSQL(t *testing.T) {
	want := `regexp_replace(regexp_replace(regexp_replace(X, '\y(?:(st)(?:reet|r)|(ave)nue|(dr)ive|(ter)race|(cir)cle|(n)orth|(s)outh|(e)ast|(w)est)\y', '\1\2\3\4\5\6\7\8\9', 'g'), '\yapartment\y', 'apt', 'g'), '\ysuite\y', 'ste', 'g')`
	if got := pgAddrFolds("X"); got != want {
		t.Errorf("pgAddrFolds:\n got %s\nwant %s", got, want)
	}
	duck := duckAddrFolds("X")
	for _, f := range addrFolds {
		if !strings.Contains(duck, "WHEN '"+f[0]+"' THEN '"+f[1]+"'") {
			t.Errorf("duckAddrFolds lacks %v: %s", f, duck)
		}
	}
	// Every fold is one contactkey makes.
	for _, f := range addrFolds {
		if got, err := contactkey.NormalizeAddress("1 " + f[0]); err != nil || got != "1 "+f[1] {
			t.Errorf("contactkey folds %q to %q, %v; the peers to %q", f[0], got, err, f[1])
		}
	}
}

func TestSQLScriptsCoverEveryList(t *testing.T) {
	sc := bench.NewScenario(1, 10, 0.001, 0.3, 0.005)
	out := bench.Outputs{Clean: "/o/c.csv", Suppressed: "/o/s.csv", Rejected: "/o/r.csv"}
	for _, d := range []Dialect{DialectPostgres, DialectDuckDB} {
		script := ""
		for _, s := range append(d.PreloadSteps(sc, "/data"), d.ScrubSteps(sc, "/data/campaign.csv", out)...) {
			script += s.SQL + ";\n"
		}
		for _, want := range []string{nanpCore, emailPattern, "'/data/lists/national_dnc.txt'", "'/data/campaign.csv'", "'/o/r.csv'", "ORDER BY ln"} {
			if !strings.Contains(script, want) {
				t.Errorf("dialect %d: script lacks %q", d, want)
			}
		}
		for _, l := range sc.Lists {
			if !strings.Contains(script, "IN (SELECT k FROM l_"+l.Name+")") {
				t.Errorf("dialect %d: the scrub does not look in list %s", d, l.Name)
			}
		}
	}
}

// referenceScrub is the SQL's scrub done in Go: the answer both peers must
// give, written as CSV outputs.
func referenceScrub(t *testing.T, sc bench.Scenario, dir string, out bench.Outputs) {
	t.Helper()
	lists := map[string]map[string]bool{} // kind → keys on any list
	for _, l := range sc.Lists {
		if lists[l.Kind] == nil {
			lists[l.Kind] = map[string]bool{}
		}
		f, err := os.Open(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if l.Format != "registry" {
			recs = recs[1:]
		}
		for _, rec := range recs {
			var k string
			switch {
			case l.Format == "registry":
				k = rec[0] + rec[1]
			case l.Kind == "phone":
				p, ok := sqlPhone(rec[0])
				if !ok {
					continue
				}
				k = uitoa(p)
			case l.Kind == "email":
				k, _, _ = sqlEmail(rec[0])
			case l.Kind == "address":
				k = sqlAddress(rec[0])
			default:
				k = sqlCustomer(rec[0])
			}
			if k != "" {
				lists[l.Kind][k] = true
			}
		}
	}
	f, err := os.Open(filepath.Join(dir, sc.Campaign.File))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var bufs [3]bytes.Buffer
	ws := [3]*csv.Writer{csv.NewWriter(&bufs[0]), csv.NewWriter(&bufs[1]), csv.NewWriter(&bufs[2])}
	for _, w := range ws {
		w.Write(recs[0])
	}
	for _, rec := range recs[1:] {
		p, ok := sqlPhone(rec[1])
		em, _, bad := sqlEmail(rec[2])
		if !ok || bad {
			ws[2].Write(rec)
			continue
		}
		if lists["phone"][uitoa(p)] || lists["email"][em] || lists["address"][sqlAddress(rec[3])] || lists["customer"][sqlCustomer(rec[0])] {
			ws[1].Write(rec)
		} else {
			ws[0].Write(rec)
		}
	}
	for i, path := range []string{out.Clean, out.Suppressed, out.Rejected} {
		ws[i].Flush()
		if err := os.WriteFile(path, bufs[i].Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func uitoa(v uint64) string { return strconv.FormatUint(v, 10) }

func TestReferenceScrubFindsTheHits(t *testing.T) {
	dir := t.TempDir()
	sc := bench.NewScenario(3, 5000, 0.0002, 0.3, 0.01)
	rep, err := bench.Generate(context.Background(), dir, sc, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := bench.Outputs{Clean: filepath.Join(dir, "c.csv"), Suppressed: filepath.Join(dir, "s.csv"), Rejected: filepath.Join(dir, "r.csv")}
	referenceScrub(t, sc, dir, out)
	fp, err := bench.FingerprintOutputs(out, 4)
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Campaign
	// Every made-invalid row is rejected; every made-to-hit row that is not
	// also invalid is suppressed; chance hits can only add.
	if fp.Counts.Rejected != c.Invalid || fp.Counts.Suppressed < c.Hits || fp.Counts.Rows() != c.Rows {
		t.Fatalf("reference scrub %v; generator made %d hits, %d invalid of %d", fp.Counts, c.Hits, c.Invalid, c.Rows)
	}
}

func TestNANPPatternIsTheNANPRule(t *testing.T) {
	for a := 0; a < 1000; a++ {
		for e := 0; e < 1000; e++ {
			s := strconv.Itoa(1000 + a)[1:] + strconv.Itoa(1000 + e)[1:] + "0147"
			want := a >= 200 && a%100 != 11 && e >= 200 && e%100 != 11
			if got := reNANP.MatchString(s); got != want {
				t.Fatalf("%s: pattern says %v, the rule %v", s, got, want)
			}
		}
	}
}
