package layout

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/hushcrm/hush"

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json", mod+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 8 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, mod), "/") }

var domain = map[string]bool{"contactkey": true, "suppression": true, "rfm": true, "segments": true, "campaigns": true}

// domainMayImport lists the hush packages each domain package may use.
var domainMayImport = map[string][]string{
	"contactkey":  {},
	"suppression": {"contactkey"},
	"rfm":         {"contactkey"},
	"segments":    {"rfm", "contactkey"},
	"campaigns":   {"segments", "suppression", "rfm", "contactkey"},
}

// domainHelpers are the internal packages any domain package may use: they
// do no I/O, hold no state and import no other hush package (checked
// below), so they keep the domain pure. internal/prefetch is a CPU hint in
// assembly that Go has no intrinsic for; internal/stream, whole-line
// non-temporal stores, likewise.
var domainHelpers = map[string]bool{"internal/prefetch": true, "internal/stream": true}

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		me := rel(p.ImportPath)
		for _, dep := range p.Deps {
			d := rel(dep)
			hush := strings.HasPrefix(dep, mod)
			switch {
			// Surfaces that wire the server (cmd/hush) reach gin through
			// httpapi; bench holds the do-it-yourself peers built on gin and
			// go-redis, the very thing hush is compared against.
			case strings.HasPrefix(dep, "github.com/gin-gonic/gin") && !under(me, "httpapi") && !under(me, "bench") &&
				(importsPrefix(p, "github.com/gin-gonic/gin") || !contains(p.Deps, mod+"/httpapi")):
				t.Errorf("%s depends on gin: only httpapi may", me)
			case hush && (under(d, "cmd") || under(d, "bench")) && !under(me, "cmd") && !under(me, "bench"):
				t.Errorf("%s imports %s: nothing imports cmd or bench", me, d)
			}
			if !hush {
				continue
			}
			top := strings.SplitN(me, "/", 2)[0]
			if domainHelpers[me] {
				t.Errorf("domain helper %s depends on %s: it must stand alone", me, d)
			}
			if domain[top] && !domainHelpers[d] {
				if !domain[strings.SplitN(d, "/", 2)[0]] {
					t.Errorf("domain package %s depends on %s: domain packages import only other domain packages", me, d)
				} else if dt := strings.SplitN(d, "/", 2)[0]; dt != top && !contains(domainMayImport[top], dt) {
					t.Errorf("%s imports %s: not allowed by the domain order (campaigns → segments, suppression → contactkey ...)", me, d)
				}
			}
			if under(me, "journal") {
				if domain[strings.SplitN(d, "/", 2)[0]] || under(d, "record") || under(d, "engine") {
					t.Errorf("%s imports %s: the journal treats records as opaque bytes", me, d)
				}
			}
			if under(me, "engine") && (under(d, "journal/wal") || under(d, "journal/redisstream")) {
				t.Errorf("engine imports backend %s: it gets its journal.Journal from cmd", d)
			}
			if under(me, "record") && !under(d, "record") {
				t.Errorf("record imports %s: the codec stands alone", d)
			}
		}
		if msg := goRedisViolation(p); msg != "" {
			t.Error(msg)
		}
		if top := strings.SplitN(me, "/", 2)[0]; domain[top] || domainHelpers[me] {
			for _, imp := range p.Imports {
				switch imp {
				case "os", "net/http", "net", "io/ioutil", "os/exec", "syscall":
					t.Errorf("domain package %s imports %s: domain packages do no I/O", me, imp)
				}
			}
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func importsPrefix(p pkg, prefix string) bool {
	for _, imp := range p.Imports {
		if strings.HasPrefix(imp, prefix) {
			return true
		}
	}
	return false
}

const goRedis = "github.com/redis/go-redis"

// mayImportGoRedis: the Redis journal backend, the test helper that starts
// private servers, and bench (its do-it-yourself peers are built on
// go-redis, the very thing hush is compared against).
func mayImportGoRedis(me string) bool {
	return under(me, "journal/redisstream") || under(me, "internal/redistest") || under(me, "bench")
}

// goRedisViolation says what is wrong when p uses go-redis other than
// through journal/redisstream: importing it directly (code or tests), or
// depending on it by any path that does not go through a package allowed
// to import it.
func goRedisViolation(p pkg) string {
	me := rel(p.ImportPath)
	if mayImportGoRedis(me) {
		return ""
	}
	for _, list := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
		for _, imp := range list {
			if strings.HasPrefix(imp, goRedis) {
				return fmt.Sprintf("%s imports %s: only journal/redisstream (and its test helper internal/redistest) may", me, imp)
			}
		}
	}
	if !slices.ContainsFunc(p.Deps, func(d string) bool { return strings.HasPrefix(d, goRedis) }) {
		return ""
	}
	through := slices.ContainsFunc(p.Deps, func(d string) bool {
		return strings.HasPrefix(d, mod+"/") && mayImportGoRedis(rel(d))
	})
	if !through {
		return fmt.Sprintf("%s depends on go-redis but not through journal/redisstream: only that package may use it", me)
	}
	return ""
}

// The go-redis rule must actually catch offenders, not only pass on today's
// tree.
func TestGoRedisRule(t *testing.T) {
	const gr = goRedis + "/v9"
	cases := []struct {
		name string
		p    pkg
		bad  bool
	}{
		{"backend imports it", pkg{ImportPath: mod + "/journal/redisstream", Imports: []string{gr}, Deps: []string{gr}}, false},
		{"test helper imports it", pkg{ImportPath: mod + "/internal/redistest", Imports: []string{gr}, Deps: []string{gr}}, false},
		{"bench peer imports it", pkg{ImportPath: mod + "/bench/cmd/diypeer", Imports: []string{gr}, Deps: []string{gr}}, false},
		{"cmd through the backend", pkg{ImportPath: mod + "/cmd/hush", Imports: []string{mod + "/journal/redisstream"},
			Deps: []string{gr, mod + "/journal/redisstream"}}, false},
		{"engine without it", pkg{ImportPath: mod + "/engine", Deps: []string{mod + "/journal"}}, false},
		{"engine imports it", pkg{ImportPath: mod + "/engine", Imports: []string{gr}, Deps: []string{gr}}, true},
		{"cmd imports it beside the backend", pkg{ImportPath: mod + "/cmd/hush", Imports: []string{gr, mod + "/journal/redisstream"},
			Deps: []string{gr, mod + "/journal/redisstream"}}, true},
		{"httpapi test imports it", pkg{ImportPath: mod + "/httpapi", TestImports: []string{gr}}, true},
		{"engine external test imports a subpackage", pkg{ImportPath: mod + "/engine", XTestImports: []string{gr + "/maintnotifications"}}, true},
		{"depends on it through a third package", pkg{ImportPath: mod + "/config", Imports: []string{"example.com/wrapper"},
			Deps: []string{"example.com/wrapper", gr}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := goRedisViolation(c.p)
			if (msg != "") != c.bad {
				t.Fatalf("goRedisViolation = %q, want a violation: %v", msg, c.bad)
			}
		})
	}
}
