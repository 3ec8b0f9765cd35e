package record

import (
	"reflect"
	"testing"
)

func TestAccessRecordsRoundTrip(t *testing.T) {
	for _, r := range []Record{
		&KeyCreate{ID: "0123456789ab", Hash: make([]byte, 32), Role: 4, Name: "dpo", ExpiresAt: 1900000000, At: 1, Actor: "cli"},
		&KeyCreate{ID: "x", Role: 1},
		&KeyRevoke{ID: "0123456789ab", At: 2, Actor: "admin", Reason: "left"},
		&Access{At: 3, KeyID: "0123456789ab", Role: 4, Action: "subject_lookup", Subject: "phone:+862162345678", Why: "DSAR 77", Detail: "2 lists"},
	} {
		b := Encode(nil, r)
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", r.Type(), err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("%s: got %#v want %#v", r.Type(), got, r)
		}
		if got.Type().String() == "" {
			t.Fatal("no name")
		}
	}
}
