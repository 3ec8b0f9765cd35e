package contactkey

import (
	"bufio"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected column of testdata/*.golden")

// goldenLine is one case of a golden file: key columns, then the expected
// output: the normalised text, or "!reason" for a rejection.
type goldenLine struct {
	cols []string
	want string
}

// readGolden reads tab-separated lines; # starts a comment line.
func readGolden(t testing.TB, name string, ncols int) (header []string, lines []goldenLine) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			header = append(header, l)
			continue
		}
		parts := strings.Split(l, "\t")
		if len(parts) != ncols+1 {
			t.Fatalf("%s: line %q has %d columns, want %d", name, l, len(parts), ncols+1)
		}
		lines = append(lines, goldenLine{cols: parts[:ncols], want: parts[ncols]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return header, lines
}

func writeGolden(t *testing.T, name string, header []string, lines []goldenLine) {
	t.Helper()
	var b strings.Builder
	for _, h := range header {
		b.WriteString(h + "\n")
	}
	for _, l := range lines {
		b.WriteString(strings.Join(append(append([]string{}, l.cols...), l.want), "\t") + "\n")
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// outcome renders a normaliser's answer as a golden file writes it.
func outcome(s string, err error) string {
	if err != nil {
		var ke *KeyError
		if !errors.As(err, &ke) {
			return "!error:" + err.Error()
		}
		return "!" + ke.Reason
	}
	return s
}

func runGolden(t *testing.T, name string, ncols int, f func(cols []string) string) {
	header, lines := readGolden(t, name, ncols)
	for i, l := range lines {
		got := f(l.cols)
		if *update {
			lines[i].want = got
			continue
		}
		if got != l.want {
			t.Errorf("%s %q: got %q, want %q", name, l.cols, got, l.want)
		}
	}
	if *update {
		writeGolden(t, name, header, lines)
	}
}

func TestPhoneGolden(t *testing.T) {
	norms := map[string]*Normalizer{}
	regions := map[string]bool{}
	runGolden(t, "phones.golden", 2, func(cols []string) string {
		region, input := cols[0], cols[1]
		regions[region] = true
		n := norms[region]
		if n == nil {
			var err error
			if n, err = NewNormalizer(region); err != nil {
				t.Fatal(err)
			}
			norms[region] = n
		}
		got := outcome(n.PhoneString(input))
		// The golden answers are libphonenumber's answers.
		v, r := referencePhone(n, input)
		lib := FormatPhone(v)
		if r != prOK {
			lib = "!" + r.String()
		}
		if got != lib {
			t.Errorf("%s %q: %s, but the library says %s", region, input, got, lib)
		}
		return got
	})
	for _, r := range mainRegions {
		if !regions[r] {
			t.Errorf("no golden phone cases for region %s", r)
		}
	}
}

func TestEmailGolden(t *testing.T) {
	runGolden(t, "emails.golden", 1, func(cols []string) string {
		return outcome(NormalizeEmail(cols[0]))
	})
}

func TestAddressGolden(t *testing.T) {
	runGolden(t, "addresses.golden", 1, func(cols []string) string {
		return outcome(NormalizeAddress(cols[0]))
	})
}

func TestCustomerGolden(t *testing.T) {
	runGolden(t, "customers.golden", 1, func(cols []string) string {
		return outcome(NormalizeCustomer(cols[0]))
	})
}
