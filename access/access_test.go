package access

import (
	"errors"
	"testing"
)

func TestKeyRoundTrip(t *testing.T) {
	id, key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	got, err := KeyID(key)
	if err != nil || got != id {
		t.Fatalf("KeyID(%q) = %q, %v; want %q", key, got, err, id)
	}
	_, key2, _ := NewKey()
	if Hash(key) == Hash(key2) {
		t.Fatal("two keys hash alike")
	}
	for _, bad := range []string{"", "hush_", key[:len(key)-1], "xush" + key[4:], key[:5] + "ZZ" + key[7:], key[:17] + "-" + key[18:]} {
		if _, err := KeyID(bad); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("KeyID(%q): want ErrMalformedKey, got %v", bad, err)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		got, err := ParseRole(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v, %v", r, got, err)
		}
	}
	if _, err := ParseRole("root"); !errors.Is(err, ErrUnknownRole) {
		t.Errorf("want ErrUnknownRole, got %v", err)
	}
}
