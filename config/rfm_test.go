package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRFMSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hush.yaml")
	os.WriteFile(path, []byte("rfm:\n  refresh: \"0 2 * * *\"\n  k: 20\n"), 0o644)
	c, s := Defaults(), ServerDefaults()
	if err := LoadServerFile(path, &c, &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.RFMRefresh != "0 2 * * *" || s.RFMK != 20 {
		t.Fatalf("%q %d", s.RFMRefresh, s.RFMK)
	}
	s.RFMRefresh = "0 25 * * *"
	if err := s.Validate(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "rfm.refresh") {
		t.Fatalf("bad schedule: %v", err)
	}
	s.RFMRefresh, s.RFMK = "@daily", 1
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "rfm.k") {
		t.Fatalf("k=1: %v", err)
	}
	s = ServerDefaults()
	if err := s.FromEnv(func(k string) (string, bool) {
		return map[string]string{"HUSH_RFM_REFRESH": "@hourly", "HUSH_RFM_K": "15"}[k], true
	}); err != nil || s.RFMRefresh != "@hourly" || s.RFMK != 15 {
		t.Fatalf("env: %v %q %d", err, s.RFMRefresh, s.RFMK)
	}
}
