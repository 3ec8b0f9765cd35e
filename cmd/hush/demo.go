package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// The Shanghai case, as DESIGN.md tells it: in 2000 a customer told the post
// office he would accept postal letters but no commercial mail, and that his
// data must not go to commercial firms. The post office's commercial-letter
// bureau used its customer file for a third party's direct-mail campaign
// anyway. The demo runs that campaign through hush.
const (
	shanghaiCustomer = "SH-2000-0417"
	shanghaiName     = "Zhang Wei"
	// He wrote his address half-width; the bureau's file has it full-width.
	shanghaiAddressOptOut  = "上海市黄浦区南京东路100号2001室"
	shanghaiAddressInFile  = "上海市黄浦区南京东路１００号２００１室"
	shanghaiPhone          = "021 6234 5678"
	thirdPartySponsor      = "acme_insurance"
	demoCampaignRows       = 2000
	demoRegistryNumbers    = 300
	demoThirdPartyRefusers = 40
)

func runDemo(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("demo", "[--keep DIR]")
	keep := fs.String("keep", "", "build the demo world in DIR and keep it (default: a temp dir, removed after)")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if c.cfg.Redis.Enabled() {
		return userErr("demo builds a world of its own in a temp dir (or --keep DIR); it does not run on a fleet's Redis")
	}
	dir := *keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "hush-demo-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return &userError{err}
	}
	w := bufio.NewWriter(c.io.out)
	defer w.Flush()
	say := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...); w.Flush() }

	files, err := writeDemoFiles(dir)
	if err != nil {
		return fmt.Errorf("demo: write files: %w", err)
	}
	data := filepath.Join(dir, "hush-data")
	say("hush demo — a synthetic world in %s\n", dir)
	say("The Shanghai case: customer %s (%s) told the post office in 2000 that he accepts", shanghaiCustomer, shanghaiName)
	say("postal letters but no commercial mail, and that his data must not go to commercial firms.")
	say("The commercial-letter bureau then used its customer file for a third party's direct-mail campaign.\n")

	step := func(args ...string) error {
		full := append(args, "--data", data, "--region", "CN", "--quiet")
		say("$ hush %s", quoteArgs(args))
		sub := stdio{in: c.io.in, out: w, err: w}
		code := run(ctx, full, sub)
		w.Flush()
		if code != exitOK && code != exitSuppressed {
			return fmt.Errorf("demo step %q failed with exit code %d", strings.Join(args, " "), code)
		}
		say("")
		return nil
	}
	steps := [][]string{
		{"lists", "create", "national_dnc", "--kind", "phone", "--channels", "call,sms", "--purposes", "all", "--source", "national_registry", "--description", "national do-not-call registry"},
		{"import", "--list", "national_dnc", "--format", "csv", "--column", "phone", "--rejected", files.registryRejected, files.registry},
		{"lists", "create", "mail_dnm", "--kind", "address", "--channels", "mail", "--purposes", "direct_marketing", "--source", "customer_request", "--description", "do-not-mail requests received by post"},
		{"import", "--list", "mail_dnm", "--column", "address", "--rejected", files.dnmRejected, files.dnm},
		{"lists", "create", "bounced_addresses", "--kind", "address", "--channels", "mail", "--purposes", "all", "--source", "bounce"},
		{"import", "--list", "bounced_addresses", "--column", "address", "--rejected", files.bounceRejected, files.bounce},
		{"optout", "add", "--customer", shanghaiCustomer, "--channels", "mail", "--purposes", "direct_marketing,third_party_disclosure", "--source", "customer_request", "--evidence", "letter to the post office, 2000-04-17", "--at", "2000-04-17"},
		{"optout", "add", "--address", shanghaiAddressOptOut, "--channels", "mail", "--purposes", "direct_marketing,third_party_disclosure", "--source", "customer_request", "--evidence", "letter to the post office, 2000-04-17", "--at", "2000-04-17"},
		{"lists", "ls"},
		{"check", "--phone", shanghaiPhone, "--channel", "call", "--purpose", "direct_marketing"},
		{"check", "--customer", shanghaiCustomer, "--address", shanghaiAddressInFile, "--channel", "mail", "--purpose", "direct_marketing", "--sponsor", thirdPartySponsor},
	}
	// Customers who refused only disclosure to third parties.
	for _, id := range files.thirdPartyRefusers {
		if err := quietStep(ctx, c, data, "optout", "add", "--customer", id, "--channels", "all", "--purposes", "third_party_disclosure", "--evidence", "preference centre"); err != nil {
			return err
		}
	}
	say("(recorded %d more opt-outs of disclosure to third parties from the preference centre)\n", len(files.thirdPartyRefusers))
	for _, s := range steps {
		if err := step(s...); err != nil {
			return err
		}
	}
	say("Now the bureau's campaign for %s: direct mail, sponsored by a third party.", thirdPartySponsor)
	if err := step("scrub", "--channel", "mail", "--purpose", "direct_marketing", "--sponsor", thirdPartySponsor,
		"--map", "customer=customer_id,phone=phone,address=address",
		"--out", files.clean, "--suppressed", files.suppressed, "--rejected", files.rejected, "--manifest", files.manifest, files.campaign); err != nil {
		return err
	}
	row, err := findRow(files.suppressed, shanghaiCustomer)
	if err != nil {
		return err
	}
	if row == "" {
		return fmt.Errorf("demo: %s is not in the suppressed output — suppression failed", shanghaiCustomer)
	}
	if r, _ := findRow(files.clean, shanghaiCustomer); r != "" {
		return fmt.Errorf("demo: %s is in the clean output — suppression failed", shanghaiCustomer)
	}
	say("%s is off the list. His row in %s:", shanghaiName, filepath.Base(files.suppressed))
	say("  %s\n", row)
	say("The manifest %s names every list at its version with a SHA-256 of its content,", filepath.Base(files.manifest))
	say("the digests of the input and the three outputs, and the counts: the proof of this scrub.")
	if *keep == "" {
		say("(run `hush demo --keep DIR` to keep the files)")
	}
	return nil
}

func quietStep(ctx context.Context, c *cli, data string, args ...string) error {
	full := append(args, "--data", data, "--region", "CN", "--quiet")
	var sink strings.Builder
	if code := run(ctx, full, stdio{in: c.io.in, out: &sink, err: &sink}); code != exitOK {
		return fmt.Errorf("demo step %q failed (exit %d): %s", strings.Join(args, " "), code, sink.String())
	}
	return nil
}

func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " ,'\"") && !strings.HasPrefix(a, "--") {
			out[i] = "'" + a + "'"
		} else {
			out[i] = a
		}
		if strings.ContainsRune(a, os.PathSeparator) {
			out[i] = filepath.Base(a)
		}
	}
	return strings.Join(out, " ")
}

func findRow(path, needle string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, needle) {
			return line, nil
		}
	}
	return "", nil
}

type demoFiles struct {
	registry, registryRejected, dnm, dnmRejected, bounce, bounceRejected string
	campaign, clean, suppressed, rejected, manifest                      string
	thirdPartyRefusers                                                   []string
}

// writeDemoFiles writes a deterministic synthetic world: a customer file
// with Shanghai-style addresses and phones in many formats (a few of them
// unusable), a registry extract, do-not-mail requests and bounces.
func writeDemoFiles(dir string) (demoFiles, error) {
	f := demoFiles{
		registry: filepath.Join(dir, "national_dnc.csv"), registryRejected: filepath.Join(dir, "national_dnc.rejected.csv"),
		dnm: filepath.Join(dir, "mail_dnm.csv"), dnmRejected: filepath.Join(dir, "mail_dnm.rejected.csv"),
		bounce: filepath.Join(dir, "bounces.csv"), bounceRejected: filepath.Join(dir, "bounces.rejected.csv"),
		campaign: filepath.Join(dir, "campaign.csv"), clean: filepath.Join(dir, "campaign.clean.csv"),
		suppressed: filepath.Join(dir, "campaign.suppressed.csv"), rejected: filepath.Join(dir, "campaign.rejected.csv"),
		manifest: filepath.Join(dir, "campaign.manifest.json"),
	}
	r := rand.New(rand.NewPCG(2000, 417))
	districts := []string{"黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "浦东新区"}
	roads := []string{"南京东路", "淮海中路", "衡山路", "延安西路", "四川北路", "世纪大道", "长寿路", "控江路"}
	type person struct{ id, phone, local, email, address string }
	people := make([]person, 0, demoCampaignRows)
	for i := 0; i < demoCampaignRows-1; i++ {
		local := fmt.Sprintf("%d%07d", 5+r.IntN(5), r.IntN(10_000_000))
		var phone string
		switch r.IntN(4) {
		case 0:
			phone = "021 " + local[:4] + " " + local[4:]
		case 1:
			phone = "+86 21 " + local
		case 2:
			phone = "0086-21-" + local
		default:
			phone = "(021) " + local[:4] + "-" + local[4:]
		}
		if r.IntN(150) == 0 {
			phone = "021-CALL-ME" // letters: never passed as clean
		}
		addr := fmt.Sprintf("上海市%s%s%d号%d室", districts[r.IntN(len(districts))], roads[r.IntN(len(roads))], 1+r.IntN(999), 101+r.IntN(2400))
		people = append(people, person{
			id:      fmt.Sprintf("SH-%04d-%04d", 1990+r.IntN(11), i),
			phone:   phone,
			local:   local,
			email:   fmt.Sprintf("customer%d@example.cn", i),
			address: addr,
		})
	}
	zhang := person{id: shanghaiCustomer, phone: shanghaiPhone, email: "zhang.wei@example.cn", address: shanghaiAddressInFile}
	people = append(people[:demoCampaignRows/2], append([]person{zhang}, people[demoCampaignRows/2:]...)...)

	write := func(path string, header []string, rows [][]string) error {
		out, err := os.Create(path)
		if err != nil {
			return err
		}
		cw := csv.NewWriter(out)
		cw.Write(header)
		cw.WriteAll(rows)
		if err := cw.Error(); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	var campaign, registry, dnm, bounce [][]string
	for i, p := range people {
		campaign = append(campaign, []string{p.id, p.phone, p.email, p.address})
		if p.id == shanghaiCustomer {
			continue
		}
		switch {
		case i%7 == 3 && len(registry) < demoRegistryNumbers:
			registry = append(registry, []string{"+86 21 " + p.local})
		case i%11 == 5:
			dnm = append(dnm, []string{p.address})
		case i%23 == 9:
			bounce = append(bounce, []string{p.address})
		case i%29 == 13 && len(f.thirdPartyRefusers) < demoThirdPartyRefusers:
			f.thirdPartyRefusers = append(f.thirdPartyRefusers, p.id)
		}
	}
	// Registry numbers that are not in this campaign, and one bad line.
	for i := 0; i < 50; i++ {
		registry = append(registry, []string{fmt.Sprintf("+86 21 6%07d", r.IntN(10_000_000))})
	}
	registry = append(registry, []string{"not a number"})
	for _, w := range []struct {
		path   string
		header []string
		rows   [][]string
	}{
		{f.campaign, []string{"customer_id", "phone", "email", "address"}, campaign},
		{f.registry, []string{"phone"}, registry},
		{f.dnm, []string{"address"}, dnm},
		{f.bounce, []string{"address"}, bounce},
	} {
		if err := write(w.path, w.header, w.rows); err != nil {
			return f, err
		}
	}
	return f, nil
}
