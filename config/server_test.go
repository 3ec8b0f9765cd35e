package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServerConfigFileEnvValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	good := write("good.yaml", "data: /srv/hush\nregion: CN\nlisten: \"127.0.0.1:9090\"\npublic_url: https://hush.example.com/\nlimits:\n  max_body_bytes: 2MiB\n  max_batch: 500\ntimeouts:\n  shutdown: 5s\nsms:\n  auth_token: tok\n  help_text: Call 555\n")
	c, s := Defaults(), ServerDefaults()
	if err := LoadServerFile(good, &c, &s); err != nil {
		t.Fatal(err)
	}
	if err := s.FromEnv(func(k string) (string, bool) {
		v, ok := map[string]string{"HUSH_MAX_BATCH": "700", "HUSH_LISTEN": ":7070"}[k]
		return v, ok
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/srv/hush" || c.Region != "CN" || s.Listen != ":7070" || s.MaxBatch != 700 || s.MaxBodyBytes != 2<<20 ||
		s.ShutdownTimeout != 5*time.Second || s.SMSAuthToken != "tok" || s.PublicURL != "https://hush.example.com" ||
		s.SMSWebhookURL != "https://hush.example.com/v1/inbound/sms" {
		t.Fatalf("loaded %+v %+v", c, s)
	}
	cases := []struct {
		name, file, want string
		env              map[string]string
	}{
		{"unknown key", "listn: :80\n", "listn", nil},
		{"bad size", "limits:\n  max_body_bytes: lots\n", "max_body_bytes", nil},
		{"bad duration", "timeouts:\n  request: soon\n", "timeouts.request", nil},
		{"not yaml", "listen: [\n", "config file", nil},
		{"bad listen", "listen: nowhere\n", "--listen", nil},
		{"bad port", "listen: \":99999\"\n", "port", nil},
		{"bad public url", "public_url: ftp://x\n", "public_url", nil},
		{"zero batch", "limits:\n  max_batch: 0\n", "max_batch", nil},
		{"bad env", "", "HUSH_MAX_JOBS", map[string]string{"HUSH_MAX_JOBS": "two"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := Defaults(), ServerDefaults()
			err := LoadServerFile(write(strings.ReplaceAll(tc.name, " ", "_")+".yaml", tc.file), &c, &s)
			if err == nil {
				err = s.FromEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			}
			if err == nil {
				err = s.Validate()
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want ErrInvalid naming %q, got %v", tc.want, err)
			}
		})
	}
	c, s = Defaults(), ServerDefaults()
	if err := LoadServerFile(filepath.Join(dir, "absent.yaml"), &c, &s); !errors.Is(err, ErrInvalid) {
		t.Fatalf("missing file: %v", err)
	}
}
