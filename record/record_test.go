package record

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func samples() []Record {
	return []Record{
		&Init{SecretFingerprint: "a1b2c3", CreatedAt: 1700000000, Tool: "hush test"},
		&ListCreate{Name: "national_dnc", Kind: 2, ListType: 1, Channels: 3, AllPurposes: true, Source: "national_registry", Description: "US DNC", At: 1, Actor: "cli"},
		&ListCreate{Name: "mail_dnm", Kind: 4, ListType: 1, Channels: 8, Purposes: []string{"direct_marketing", "third_party_disclosure"}, Source: "customer_request", At: -5},
		&ListDelete{Name: "old", At: 42, Actor: "admin"},
		&ImportBegin{ID: 7, List: "national_dnc", Mode: 1, At: 9, Actor: "cli", Source: "dnc.txt.gz"},
		&ImportChunk{ID: 7, Keys: []uint64{12025550100, 12025550101, 12125550100, 5, math.MaxUint64, 0}},
		&ImportChunk{ID: 7, Keys: []uint64{1, 2}, Expires: []int64{0, 1800000000}},
		&ImportCommit{ID: 7, At: 10, Rows: 3, Rejected: 1, SourceSHA256: []byte{1, 2, 3}},
		&ImportAbort{ID: 8, At: 11, Reason: "interrupted"},
		&OptOut{Kind: 2, Key: 862162345678, Channels: 8, Purposes: []string{"direct_marketing"}, Source: "customer_request", Evidence: "letter 2000-05-01", At: 957139200},
		&OptOut{Kind: 3, Key: 99, Channels: 31, AllPurposes: true, OptIn: true, Evidence: "web form", At: 1},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, r := range samples() {
		t.Run(r.Type().String(), func(t *testing.T) {
			b := Encode(nil, r)
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", got, r)
			}
			// Same value, same bytes: determinism of the log.
			if b2 := Encode(nil, got); string(b2) != string(b) {
				t.Fatalf("re-encoding differs")
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := Encode(nil, &ListDelete{Name: "x", At: 1})
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"one byte", []byte{byte(TypeInit)}, ErrTruncated},
		{"unknown type", []byte{200, 1}, ErrUnknownType},
		{"future version", []byte{byte(TypeInit), 9}, ErrVersion},
		{"version zero", []byte{byte(TypeInit), 0}, ErrVersion},
		{"truncated body", good[:len(good)-1], ErrTruncated},
		{"trailing", append(append([]byte{}, good...), 0), ErrTrailing},
		{"huge length", []byte{byte(TypeListDelete), 1, 0xff, 0xff, 0xff, 0xff, 0x0f}, ErrTruncated},
		{"bad bool", []byte{byte(TypeOptOut), 1, 0, 0, 0, 7}, ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode(%x) = %v, want %v", c.in, err, c.want)
			}
		})
	}
}

func TestChunkExpiryCountMismatch(t *testing.T) {
	b := Encode(nil, &ImportChunk{ID: 1, Keys: []uint64{1, 2, 3}, Expires: []int64{1, 2, 3}})
	// Forge: rewrite the expiry count (byte after keys) from 3 to 2.
	r := &ImportChunk{ID: 1, Keys: []uint64{1, 2, 3}}
	prefix := Encode(nil, r)
	forged := append(append([]byte{}, prefix[:len(prefix)-1]...), 2, 2, 4)
	if _, err := Decode(forged); !errors.Is(err, ErrInvalid) {
		t.Fatalf("want ErrInvalid, got %v", err)
	}
	if _, err := Decode(b); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, r := range samples() {
		f.Add(Encode(nil, r))
	}
	f.Add([]byte{})
	f.Add([]byte{5, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to something that decodes equal.
		b2 := Encode(nil, r)
		r2, err := Decode(b2)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("unstable: %#v vs %#v", r, r2)
		}
	})
}

func BenchmarkEncodeChunk(b *testing.B) {
	keys := make([]uint64, 1<<20)
	for i := range keys {
		keys[i] = 12000000000 + uint64(i)*17
	}
	r := &ImportChunk{ID: 1, Keys: keys}
	var buf []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(keys) * 8))
	for b.Loop() {
		buf = Encode(buf[:0], r)
	}
}

func BenchmarkDecodeChunk(b *testing.B) {
	keys := make([]uint64, 1<<20)
	for i := range keys {
		keys[i] = 12000000000 + uint64(i)*17
	}
	buf := Encode(nil, &ImportChunk{ID: 1, Keys: keys})
	b.ReportAllocs()
	b.SetBytes(int64(len(keys) * 8))
	for b.Loop() {
		if _, err := Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}
