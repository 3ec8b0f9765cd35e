package config

import (
	"errors"
	"testing"
)

func TestEnvAndValidate(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		wantErr bool
		check   func(c Config) bool
	}{
		{"defaults", nil, false, func(c Config) bool { return c.DataDir == "./hush-data" && c.Region == "US" }},
		{"env overrides", map[string]string{"HUSH_DATA": "/x", "HUSH_REGION": "cn", "HUSH_JSON": "true"}, false,
			func(c Config) bool { return c.DataDir == "/x" && c.Region == "CN" && c.JSON }},
		{"snapshot bytes", map[string]string{"HUSH_SNAPSHOT_BYTES": "64MiB"}, false, func(c Config) bool { return c.SnapshotBytes == 64<<20 }},
		{"bad json flag", map[string]string{"HUSH_JSON": "maybe"}, true, nil},
		{"bad region", map[string]string{"HUSH_REGION": "USA"}, true, nil},
		{"bad bytes", map[string]string{"HUSH_SNAPSHOT_BYTES": "lots"}, true, nil},
		{"tiny snapshot", map[string]string{"HUSH_SNAPSHOT_BYTES": "10"}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			err := c.FromEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if err == nil {
				err = c.Validate()
			}
			if tc.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("want ErrInvalid, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}
