package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeOutputs(t *testing.T, dir string, clean, supp, rej string) Outputs {
	t.Helper()
	o := Outputs{Clean: filepath.Join(dir, "clean.csv"), Suppressed: filepath.Join(dir, "suppressed.csv"), Rejected: filepath.Join(dir, "rejected.csv")}
	for path, body := range map[string]string{o.Clean: clean, o.Suppressed: supp, o.Rejected: rej} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func TestCompareIgnoresQuotingAndExtraColumns(t *testing.T) {
	hush := writeOutputs(t, t.TempDir(),
		"c,p,e,a\n1,212,x@y.com,\"1 Main St, Springfield\"\n2,213,,\"2 Oak Ave\"\n",
		"c,p,e,a,hush_reasons\n3,214,z@y.com,\"3 Elm St\",national_dnc:national_registry\n",
		"c,p,e,a,hush_line,hush_reason\n4,21A,,,5,invalid_phone: letters_in_phone\n")
	peer := writeOutputs(t, t.TempDir(),
		"c,p,e,a\n2,213,,2 Oak Ave\n1,212,x@y.com,\"1 Main St, Springfield\"\n",
		"c,p,e,a\n\"3\",214,z@y.com,3 Elm St\n",
		"c,p,e,a,hush_line,hush_reason\n4,21A,,,5,invalid_phone\n")
	a, err := FingerprintOutputs(hush, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FingerprintOutputs(peer, 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{2, 1, 1}); a.Counts != want || b.Counts != want {
		t.Fatalf("counts %v and %v, want %v", a.Counts, b.Counts, want)
	}
	if err := Compare("hush", a, "peer", b, 5); err != nil {
		t.Fatal(err)
	}
}

func TestCompareShowsTheDifferingRows(t *testing.T) {
	hush := writeOutputs(t, t.TempDir(), "c,p\n1,212\n2,213\n", "c,p,r\n3,214,x\n", "c,p\n")
	peer := writeOutputs(t, t.TempDir(), "c,p\n1,212\n", "c,p\n3,214\n2,213\n", "c,p\n")
	a, _ := FingerprintOutputs(hush, 2)
	b, _ := FingerprintOutputs(peer, 2)
	err := Compare("hush", a, "pg", b, 5)
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("Compare = %v, want ErrMismatch", err)
	}
	for _, want := range []string{"clean: hush has 2 rows, pg has 1", `only in hush clean: row 2: ["2" "213"]`, `only in pg suppressed: row 2: ["2" "213"]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestFingerprintErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := FingerprintOutputs(writeOutputs(t, dir, "", "a\n", "a\n"), 1); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := FingerprintOutputs(writeOutputs(t, dir, "a,b\n1\n", "a\n", "a\n"), 2); err == nil || !strings.Contains(err.Error(), "clean.csv:2") {
		t.Errorf("short row: %v", err)
	}
	if _, err := FingerprintOutputs(Outputs{Clean: filepath.Join(dir, "nope")}, 1); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestDiffSorted(t *testing.T) {
	for _, tc := range []struct {
		a, b, onlyA, onlyB []uint64
	}{
		{nil, nil, nil, nil},
		{[]uint64{1, 2, 2, 5}, []uint64{2, 5, 7}, []uint64{1, 2}, []uint64{7}},
		{[]uint64{1, 2, 3, 4, 5, 6}, nil, []uint64{1, 2, 3}, nil},
	} {
		a, b := diffSorted(tc.a, tc.b, 3)
		if !reflect.DeepEqual(a, tc.onlyA) || !reflect.DeepEqual(b, tc.onlyB) {
			t.Errorf("diffSorted(%v, %v) = %v, %v; want %v, %v", tc.a, tc.b, a, b, tc.onlyA, tc.onlyB)
		}
	}
}

func TestGenerateWritesAScenarioThatLoads(t *testing.T) {
	dir := t.TempDir()
	sc := smallScenario(3000, 0.0002)
	var files []string
	rep, err := Generate(context.Background(), dir, sc, 2, func(f FileReport) { files = append(files, f.Name) })
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(sc.Lists)+1 || rep.Campaign.Rows != 3000 {
		t.Fatalf("reported %v and %d rows", files, rep.Campaign.Rows)
	}
	got, err := LoadScenario(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Generated == nil || got.Generated.Bytes != rep.Bytes || !reflect.DeepEqual(got.Lists, sc.Lists) {
		t.Fatalf("scenario.json does not round-trip: %+v", got)
	}
	var total int64
	for _, f := range rep.Files {
		st, err := os.Stat(filepath.Join(dir, f.File))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != f.Bytes {
			t.Errorf("%s: %d bytes on disk, %d reported", f.File, st.Size(), f.Bytes)
		}
		total += f.Bytes
	}
	if total != rep.Bytes {
		t.Errorf("files add up to %d bytes, report says %d", total, rep.Bytes)
	}
	if err := os.WriteFile(filepath.Join(dir, ScenarioFile), []byte(`{"format":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadScenario(dir); !errors.Is(err, ErrInvalidScenario) {
		t.Errorf("LoadScenario of a foreign format = %v", err)
	}
}
