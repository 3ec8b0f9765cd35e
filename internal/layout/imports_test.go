package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/hushcrm/hush"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
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
			case strings.HasPrefix(dep, "github.com/redis/go-redis") && !under(me, "journal/redisstream") && !under(me, "internal/redistest") && !under(me, "bench"):
				t.Errorf("%s depends on go-redis: only journal/redisstream (and its test helper) may", me)
			case hush && (under(d, "cmd") || under(d, "bench")) && !under(me, "cmd") && !under(me, "bench"):
				t.Errorf("%s imports %s: nothing imports cmd or bench", me, d)
			}
			if !hush {
				continue
			}
			top := strings.SplitN(me, "/", 2)[0]
			if domain[top] {
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
		if top := strings.SplitN(me, "/", 2)[0]; domain[top] {
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
