package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command in-process, as main would.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb})
	return out.String(), errb.String(), code
}

// userErrCase is a command line that must exit 1 (a user error) with
// want in its stderr.
type userErrCase struct {
	name string
	args []string
	want string // in stderr
}

// runUserErrors runs each case as a subtest of t.
func runUserErrors(t *testing.T, cases []userErrCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, c.args...)
			if code != exitUser {
				t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q does not mention %q", stderr, c.want)
			}
		})
	}
}

func TestUserErrorsExitOne(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if _, e, code := runCLI(t, "lists", "create", "dnc", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry", "--data", data); code != 0 {
		t.Fatalf("setup: %d %s", code, e)
	}
	ro := filepath.Join(t.TempDir(), "ro")
	os.MkdirAll(ro, 0o500)
	cases := []userErrCase{
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"unknown channel", []string{"check", "--phone", "2127360100", "--channel", "fax", "--purpose", "direct_marketing", "--data", data}, "fax"},
		{"unknown purpose", []string{"check", "--phone", "2127360100", "--channel", "call", "--purpose", "astrology", "--data", data}, "astrology"},
		{"unknown list import", []string{"import", "--list", "nope", "--data", data, "testdata/campaign.csv"}, "unknown list"},
		{"import file missing", []string{"import", "--list", "dnc", "--data", data, "testdata/none.csv"}, "no such file"},
		{"unknown list show", []string{"lists", "show", "nope", "--data", data}, "nope"},
		{"unknown list rm", []string{"lists", "rm", "nope", "--data", data}, "unknown list"},
		{"duplicate list", []string{"lists", "create", "dnc", "--kind", "phone", "--source", "x", "--data", data}, "exists"},
		{"unknown region", []string{"check", "--phone", "2127360100", "--channel", "call", "--purpose", "direct_marketing", "--region", "QQ", "--data", data}, "QQ"},
		{"bad region shape", []string{"lists", "ls", "--region", "USA", "--data", data}, "region"},
		{"bad flag", []string{"lists", "ls", "--bogus", "--data", data}, "bogus"},
		{"unknown kind", []string{"lists", "create", "x", "--kind", "fax", "--source", "x", "--data", data}, "fax"},
		{"missing subject", []string{"check", "--channel", "call", "--purpose", "direct_marketing", "--data", data}, "--phone"},
		{"opt-in needs evidence", []string{"optout", "remove", "--phone", "2127360100", "--data", data}, "evidence"},
		{"scrub missing mapped column", []string{"scrub", "--channel", "call", "--purpose", "direct_marketing", "--map", "phone=tel", "--data", data, "testdata/campaign.csv"}, "tel"},
		{"scrub input missing", []string{"scrub", "--channel", "call", "--purpose", "direct_marketing", "--map", "phone=phone", "--data", data, "testdata/absent.csv"}, "absent.csv"},
		{"unwritable data dir", []string{"lists", "ls", "--data", filepath.Join(ro, "data")}, "data"},
	}
	if os.Geteuid() == 0 {
		// root writes anywhere: use a path under a regular file instead.
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o644)
		cases[len(cases)-1].args = []string{"lists", "ls", "--data", filepath.Join(f, "data")}
	}
	runUserErrors(t, cases)
}

func TestCheckExitCodesAndJSON(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	mustCLI := func(args ...string) string {
		t.Helper()
		out, e, code := runCLI(t, append(args, "--data", data, "--region", "CN")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
		return out
	}
	mustCLI("optout", "add", "--phone", "021 6234 5678", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "call 2026-11-22")
	// Three ways of writing the same number: one key.
	for _, p := range []string{"021 6234 5678", "+86 21 6234 5678", "0086-21-62345678", "(021) 6234-5678"} {
		out, _, code := runCLI(t, "check", "--phone", p, "--channel", "call", "--purpose", "direct_marketing", "--data", data, "--region", "CN", "--json")
		if code != exitSuppressed {
			t.Fatalf("%s: exit %d, want 3\n%s", p, code, out)
		}
		var d decisionJSON
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		if d.Allowed || d.Key != "+862162345678" || len(d.Reasons) != 1 || d.Reasons[0].List != "optouts" || d.Reasons[0].Source != "customer_request" {
			t.Fatalf("%s: %+v", p, d)
		}
	}
	if _, _, code := runCLI(t, "check", "--phone", "021 6234 5678", "--channel", "sms", "--purpose", "direct_marketing", "--data", data, "--region", "CN"); code != exitOK {
		t.Fatalf("sms was not refused, want exit 0, got %d", code)
	}
	// Fail closed: an unreadable key is never allowed.
	out, _, code := runCLI(t, "check", "--phone", "021-CALL-NOW", "--channel", "sms", "--purpose", "direct_marketing", "--data", data, "--region", "CN", "--json")
	if code != exitSuppressed || !strings.Contains(out, "invalid_key") {
		t.Fatalf("invalid key: exit %d %s", code, out)
	}
	// Opt back in with evidence.
	mustCLI("optout", "remove", "--phone", "+86 21 6234 5678", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "signed form 7781")
	if _, _, code := runCLI(t, "check", "--phone", "021 6234 5678", "--channel", "call", "--purpose", "direct_marketing", "--data", data, "--region", "CN"); code != exitOK {
		t.Fatalf("after opt-in: exit %d", code)
	}
}

func TestImportRegistryRejectsAndReports(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, e, code := runCLI(t, "lists", "create", "dnc", "--kind", "phone", "--channels", "call,sms", "--purposes", "all", "--source", "national_registry", "--data", data); code != 0 {
		t.Fatal(e)
	}
	in := filepath.Join(dir, "dnc.txt")
	os.WriteFile(in, []byte("212,7360100\r\n2127360101\n\n# comment\n212-736-0102\n21,2\nabc,defghij\n"), 0o644)
	out, e, code := runCLI(t, "import", "--list", "dnc", "--format", "registry", "--data", data, "--json", in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	var res struct {
		Import struct{ Rows, Accepted, Rejected, Unique uint64 }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Import.Rows != 5 || res.Import.Accepted != 3 || res.Import.Rejected != 2 || res.Import.Unique != 3 {
		t.Fatalf("import counts %+v", res.Import)
	}
	rej, err := os.ReadFile(filepath.Join(dir, "dnc.txt.rejected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rej), "6,invalid_phone: too_short") || !strings.Contains(string(rej), "7,invalid_phone: letters_in_phone") {
		t.Fatalf("rejected file:\n%s", rej)
	}
}
