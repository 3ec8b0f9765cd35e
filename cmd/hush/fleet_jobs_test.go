package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hushcrm/hush/internal/redistest"
)

// Behind a load balancer the request for a job may reach any instance:
// a scrub run on A is seen, with all its files, through B, which passes
// the requests to A (they hold the job); a job of an instance that is gone
// is a clear 404.
func TestServeFleetJobsAnswerOnEveryInstance(t *testing.T) {
	r := redistest.StartServer(t, redistest.Config{})
	dir := t.TempDir()
	R := fleetFlags(r, filepath.Join(dir, "secret.key"))
	mustRun(t, append([]string{"lists", "create", "national_dnc", "--kind", "phone", "--channels", "call", "--purposes", "all", "--source", "national_registry"}, R...)...)
	mustRun(t, append([]string{"optout", "add", "--phone", "2025550100", "--channels", "call", "--purposes", "direct_marketing", "--evidence", "call"}, R...)...)
	mkt := keyFrom(t, mustRun(t, append([]string{"keys", "create", "--role", "marketer", "--json", "--quiet"}, R...)...))
	agent := keyFrom(t, mustRun(t, append([]string{"keys", "create", "--role", "agent", "--json", "--quiet"}, R...)...))
	a := startServer(t, filepath.Join(dir, "a"), R...)
	b := startServer(t, filepath.Join(dir, "b"), R...)

	code, body := call(t, "POST", a.url+"/v1/scrub?channel=call&purpose=direct_marketing&map=phone=phone&wait=true", mkt, "text/csv",
		"id,phone\n1,2025550100\n2,2025550199\n3,12ab\n")
	if code != 200 {
		t.Fatalf("scrub on A: %d %s", code, body)
	}
	var onA struct {
		Job struct {
			ID    string            `json:"id"`
			State string            `json:"state"`
			Files map[string]string `json:"files"`
		} `json:"job"`
	}
	if err := json.Unmarshal([]byte(body), &onA); err != nil || onA.Job.State != "done" || len(onA.Job.Files) != 4 {
		t.Fatalf("scrub job on A: %v %s", err, body)
	}
	code, body = call(t, "GET", b.url+"/v1/jobs/"+onA.Job.ID, mkt, "", "")
	if code != 200 || !strings.Contains(body, `"id":"`+onA.Job.ID+`"`) || !strings.Contains(body, `"state":"done"`) {
		t.Fatalf("the job through B: %d %s", code, body)
	}
	for name, path := range onA.Job.Files {
		codeA, fromA := call(t, "GET", a.url+path, mkt, "", "")
		codeB, fromB := call(t, "GET", b.url+path, mkt, "", "")
		if codeA != 200 || codeB != 200 || fromA != fromB || fromA == "" {
			t.Fatalf("file %s: A %d, B %d, same %v\n%s", name, codeA, codeB, fromA == fromB, fromB)
		}
	}
	// The owner checks the role again: an agent gets nothing through B.
	if code, body := call(t, "GET", b.url+"/v1/jobs/"+onA.Job.ID, agent, "", ""); code != 403 {
		t.Fatalf("an agent asking B for the job: %d %s, want 403", code, body)
	}
	if code, body := call(t, "GET", b.url+"/v1/jobs/deadbeef-0123456789abcdef", mkt, "", ""); code != 404 || !strings.Contains(body, "not running any more") {
		t.Fatalf("a job of a gone instance: %d %s", code, body)
	}
}
