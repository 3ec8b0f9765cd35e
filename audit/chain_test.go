package audit

import (
	"errors"
	"testing"
)

func TestChainDetectsTampering(t *testing.T) {
	var c Chain
	entries := make([]Entry, 5)
	for i := range entries {
		entries[i] = Entry{Seq: uint64(10 + i), At: int64(i), KeyID: "k1", Role: "privacy_officer", Action: "subject_lookup", Subject: "phone:+1202555010" + string(rune('0'+i)), Why: "dsar"}
		c.Append(&entries[i])
	}
	head, err := Verify(entries, [32]byte{})
	if err != nil || head != c.Head {
		t.Fatalf("verify: %v", err)
	}
	cases := map[string]func(es []Entry){
		"changed why":   func(es []Entry) { es[2].Why = "curiosity" },
		"removed entry": func(es []Entry) { copy(es[1:], es[2:]) },
		"swapped":       func(es []Entry) { es[1], es[3] = es[3], es[1] },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			es := append([]Entry(nil), entries...)
			tamper(es)
			if _, err := Verify(es, [32]byte{}); !errors.Is(err, ErrBroken) {
				t.Fatalf("want ErrBroken, got %v", err)
			}
		})
	}
}
