package suppression

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// buildState applies one fixed set of changes, all at version 1, in an
// order given by perm, so that only the order of application (and so the
// history of every map) differs.
func buildState(t testing.TB, perm []int) *Store {
	s := NewStore()
	specs := []ListSpec{
		{Name: "dnc", Kind: contactkey.KindPhone, Type: Deny, Channels: ChannelSet(Call | SMS), Purposes: PurposeSet{Names: []string{DirectMarketing}}, Source: SourceNationalRegistry, Description: "national do-not-call"},
		{Name: "complaints", Kind: contactkey.KindPhone, Type: Deny, Channels: AllChannels, Purposes: PurposeSet{All: true}, Source: SourceComplaint},
		{Name: "sms_ok", Kind: contactkey.KindPhone, Type: Consent, Channels: ChannelSet(SMS), Purposes: PurposeSet{Names: []string{DirectMarketing, "research"}}, Source: SourceCustomerRequest},
		{Name: "empty", Kind: contactkey.KindEmail, Type: Deny, Channels: ChannelSet(Email), Purposes: PurposeSet{Names: []string{"newsletters"}}, Source: "web_form"},
	}
	keys := [][]uint64{{12025550100, 12025550101, 13105550000}, {12025550100}, {447700900123, 12025550177}, nil}
	exps := [][]int64{{0, 1900000000, 0}, nil, {1800000000, 0}, nil}
	var steps []func()
	for i := range specs {
		steps = append(steps, func() {
			if err := s.CreateList(specs[i], 1, t0); err != nil {
				t.Fatal(err)
			}
			im, _ := s.BeginImport(specs[i].Name, Add)
			im.Add(keys[i], exps[i])
			if _, err := s.CommitImport(im, 1, t0); err != nil {
				t.Fatal(err)
			}
		})
	}
	for i := range 20 {
		steps = append(steps, func() {
			ev := OptEvent{Version: 1, At: int64(1000 + i), Channels: ChannelSet(1 << (i % 5)), Purposes: PurposeSet{Names: []string{"research", DirectMarketing}[i%2 : i%2+1]}, Source: SourceCustomerRequest}
			if err := s.OptOut(phone(uint64(12000000000+i*7919)), ev); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, i := range perm {
		steps[i]()
	}
	return s
}

func snapshot(t testing.TB, s *Store) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := s.WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, b.Len())
	}
	return b.Bytes()
}

func TestSnapshotDeterministic(t *testing.T) {
	n := 24
	ref := snapshot(t, buildState(t, slices.Collect(func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	})))
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10 {
		perm := rng.Perm(n)
		if got := snapshot(t, buildState(t, perm)); !bytes.Equal(got, ref) {
			t.Fatalf("order %v gives other bytes", perm)
		}
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.list("dnc", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.list("emails", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
	f.list("cust_ok", contactkey.KindCustomer, Consent, "call", "direct_marketing,research", SourceCustomerRequest)
	f.list("homes", contactkey.KindAddress, Deny, "mail", "direct_marketing", SourceCustomerRequest)
	rng := rand.New(rand.NewPCG(5, 6))
	var phones, hashes []uint64
	for range 50_000 {
		phones = append(phones, 12_000_000_000+uint64(rng.IntN(30_000_000)))
		hashes = append(hashes, rng.Uint64())
	}
	exps := make([]int64, len(phones))
	for i := range exps {
		if i%7 == 0 {
			exps[i] = 1_800_000_000 + int64(i)
		}
	}
	f.imp("dnc", Replace, phones, exps)
	f.imp("emails", Add, hashes[:20_000], exps[:20_000])
	f.imp("cust_ok", Add, hashes[10_000:30_000], nil)
	f.imp("homes", Add, hashes[40_000:], nil)
	f.optOut(phone(phones[0]), "all", "all", "")
	f.optIn(phone(phones[0]), "call", "research")
	f.optOut(email(hashes[1]), "email", "newsletters", SourceComplaint)
	f.optOut(addr(0x1234), "mail", "third_party_disclosure", "")

	raw := snapshot(t, f.s)
	s2, err := ReadStore(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if again := snapshot(t, s2); !bytes.Equal(again, raw) {
		t.Fatal("write → read → write changed the bytes")
	}
	if s2.Version() != f.s.Version() {
		t.Errorf("version %d, want %d", s2.Version(), f.s.Version())
	}
	for _, l := range f.s.Lists() {
		l2, ok := s2.List(l.Name())
		if !ok || l2.Digest() != l.Digest() || l2.Len() != l.Len() || l2.Version() != l.Version() || !l2.CreatedAt().Equal(l.CreatedAt()) || !l2.UpdatedAt().Equal(l.UpdatedAt()) {
			t.Errorf("list %s differs after the round trip", l.Name())
		}
	}
	// Same answers.
	for _, scope := range []Scope{{Call, DirectMarketing, ""}, {Email, "newsletters", ""}, {Mail, DirectMarketing, "acme"}, {Call, "research", ""}} {
		p1, _ := f.s.Compile(scope)
		p2, err := s2.Compile(scope)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2000 {
			keys := []contactkey.Key{phone(phones[i]), email(hashes[i*10]), cust(hashes[i*10+5]), addr(hashes[40_000+i])}
			_, r1 := p1.Decide(keys, 1_800_000_500, nil)
			_, r2 := p2.Decide(keys, 1_800_000_500, nil)
			if !slices.Equal(r1, r2) {
				t.Fatalf("%+v row %d: %v before, %v after", scope, i, r1, r2)
			}
		}
	}
	// The restored store carries on like the original.
	g := &fixture{t: t, s: s2, v: f.v}
	f.imp("emails", Add, []uint64{42}, nil)
	g.imp("emails", Add, []uint64{42}, nil)
	f.optOut(email(99), "sms", "all", "")
	g.optOut(email(99), "sms", "all", "")
	if !bytes.Equal(snapshot(t, f.s), snapshot(t, s2)) {
		t.Error("the restored store diverged from the original")
	}
}

func TestReadStoreRejectsDamage(t *testing.T) {
	raw := snapshot(t, buildState(t, []int{0, 1, 2, 3, 4, 5, 6}))
	for n := range len(raw) {
		if _, err := ReadStore(bytes.NewReader(raw[:n])); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("truncated at %d of %d: %v", n, len(raw), err)
		}
	}
	for i := range raw {
		bad := slices.Clone(raw)
		bad[i] ^= 0x20
		if _, err := ReadStore(bytes.NewReader(bad)); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
		// With the checksum fixed up, the structural checks answer (or the
		// change is harmless); either way, no panic.
		_, _ = ReadStore(bytes.NewReader(fixCRC(bad)))
	}
}

// fixCRC rewrites the trailing checksum to match the body.
func fixCRC(b []byte) []byte {
	if len(b) < 4 {
		return b
	}
	out := slices.Clone(b)
	body := out[:len(out)-4]
	binary.LittleEndian.PutUint32(out[len(out)-4:], crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	return out
}

// FuzzReadStore feeds arbitrary bytes, as they are and with a valid
// checksum appended, so the fuzzer gets past the checksum into the
// structure. ReadStore must never panic, and whatever it accepts must
// write back to the same bytes.
func FuzzReadStore(f *testing.F) {
	valid := snapshot(f, buildState(f, []int{0, 1, 2, 3, 10, 11}))
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(snapshot(f, NewStore()))
	f.Add([]byte("HUSHSUPP"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, fixCRC(append(slices.Clone(b), 0, 0, 0, 0))} {
			s, err := ReadStore(bytes.NewReader(in))
			if err != nil {
				if s != nil {
					t.Fatal("store and error")
				}
				continue
			}
			var out bytes.Buffer
			if _, err := s.WriteTo(&out); err != nil {
				t.Fatal(err)
			}
			s2, err := ReadStore(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatalf("re-reading what an accepted store wrote: %v", err)
			}
			var out2 bytes.Buffer
			s2.WriteTo(&out2)
			if !bytes.Equal(out.Bytes(), out2.Bytes()) {
				t.Fatal("accepted store does not round-trip")
			}
			for _, l := range s.Lists() {
				l.Digest()
				p, err := s.Compile(Scope{Channel: Call, Purpose: DirectMarketing, Sponsor: "x"})
				if err == nil {
					p.Decide([]contactkey.Key{phone(1), email(2), cust(3), addr(4)}, 0, nil)
					p.DecideBatch(l.spec.Kind, make([]uint64, 100), 0, func(int, Reason) {})
				}
			}
		}
	})
}

func TestReadStoreExactBytes(t *testing.T) {
	raw := snapshot(t, buildState(t, []int{0, 4}))
	r := bytes.NewReader(append(slices.Clone(raw), "TRAILER"...))
	if _, err := ReadStore(r); err != nil {
		t.Fatal(err)
	}
	// bytes.Reader is an io.ByteReader: nothing past the snapshot is read.
	if r.Len() != len("TRAILER") {
		t.Errorf("%d bytes left, want %d", r.Len(), len("TRAILER"))
	}
}

// hashedState is a small store with every kind of list and opt-outs of
// hashed kinds, so its snapshot holds dictionaries and both bitmap forms.
func hashedState(t testing.TB) *fixture {
	f := newFixture(t)
	f.list("dnc", contactkey.KindPhone, Deny, "call", "direct_marketing", SourceNationalRegistry)
	f.list("emails", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
	f.list("homes", contactkey.KindAddress, Deny, "mail", "direct_marketing", SourceCustomerRequest)
	rng := rand.New(rand.NewPCG(7, 8))
	var phones, hashes []uint64
	for range 3000 {
		phones = append(phones, 12_000_000_000+uint64(rng.IntN(3_000_000)))
		hashes = append(hashes, rng.Uint64())
	}
	f.imp("dnc", Replace, phones, nil)
	f.imp("emails", Add, hashes[:2000], nil)
	f.imp("homes", Add, hashes[1000:], nil)
	f.optOut(email(hashes[1]), "email", "newsletters", SourceComplaint)
	f.optOut(phone(phones[2]), "all", "all", "")
	return f
}

// TestReadStoreBytes: reading in place gives the store ReadStore gives,
// takes exactly the snapshot's bytes, never writes to them (the store
// carries on with imports and opt-outs), and — unless the caller vouches
// for a checksum — finds every truncation and byte flip.
func TestReadStoreBytes(t *testing.T) {
	f := hashedState(t)
	raw := snapshot(t, f.s)
	for _, checked := range []bool{false, true} {
		in := append(slices.Clone(raw), "TRAILER"...)
		keep := slices.Clone(in)
		s2, n, err := ReadStoreBytes(in, checked)
		if err != nil {
			t.Fatalf("checked=%v: %v", checked, err)
		}
		if n != len(raw) {
			t.Fatalf("checked=%v: took %d bytes, want %d", checked, n, len(raw))
		}
		if again := snapshot(t, s2); !bytes.Equal(again, raw) {
			t.Fatalf("checked=%v: read in place → write changed the bytes", checked)
		}
		g := &fixture{t: t, s: s2, v: f.v}
		g.imp("emails", Add, []uint64{42, 43}, nil)
		g.imp("homes", Remove, []uint64{f.s.dicts[contactkey.KindAddress].Value(1500)}, nil)
		g.imp("dnc", Add, []uint64{12_999_999_999}, nil)
		g.optOut(email(99), "sms", "all", "")
		if !bytes.Equal(in, keep) {
			t.Fatalf("checked=%v: the store wrote into the bytes it was read from", checked)
		}
	}
	for n := range len(raw) {
		if _, _, err := ReadStoreBytes(raw[:n], false); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("truncated at %d of %d: %v", n, len(raw), err)
		}
		if _, _, err := ReadStoreBytes(raw[:n], true); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("checked, truncated at %d of %d: %v", n, len(raw), err)
		}
	}
	for i := 0; i < len(raw); i += 1 + i/64 {
		bad := slices.Clone(raw)
		bad[i] ^= 0x20
		if _, _, err := ReadStoreBytes(bad, false); !errors.Is(err, ErrCorruptSnapshot) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
		// Checked (the journal verified a checksum over them): the
		// structural checks answer, or the change is harmless; no panic.
		_, _, _ = ReadStoreBytes(bad, true)
	}
}
