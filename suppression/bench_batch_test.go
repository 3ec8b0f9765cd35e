package suppression

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/hushcrm/hush/contactkey"
)

// BenchmarkDecideBatch: batches of phone keys against six phone lists of
// 2M clustered numbers each (400 of 800 area codes each, random lines),
// with 10k opt-outs. listed=low: keys drawn like the lists' numbers, so
// few are listed; listed=5%: one key in twenty is an entry of some list.
// keys/cpu-s is the figure to quote (the machines are shared).
func BenchmarkDecideBatch(b *testing.B) {
	s, f := benchStore(b, 2_000_000)
	keys := samplePhones(77, 1<<20, 400)
	for i := range 10_000 {
		f.optOut(phone(keys[i*50]), "call", "all", "")
	}
	listed := append([]uint64(nil), keys...)
	rng := rand.New(rand.NewPCG(8, 8))
	for li := range 6 {
		var entries []uint64
		clusteredPhones(uint64(li), 2_000_000, 400, true, func(c []uint64) {
			for range 20 {
				entries = append(entries, c[rng.IntN(len(c))])
			}
		})
		for i := li; i < len(listed); i += 20 * 6 {
			listed[i] = entries[rng.IntN(len(entries))]
		}
	}
	p, err := s.Compile(Scope{Call, DirectMarketing, ""})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		keys []uint64
		n    int
	}{
		{"listed=low", keys, 16 << 10},
		{"listed=low", keys, 64 << 10},
		{"listed=low", keys, 256 << 10},
		{"listed=low", keys, 1 << 20},
		{"listed=5%", listed, 64 << 10},
		{"listed=5%", listed, 256 << 10},
	} {
		runtime.GC() // no collection of the set-up's garbage while timing
		b.Run(fmt.Sprintf("%s/batch=%d", tc.name, tc.n), func(b *testing.B) {
			hits := 0
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				// Walk through the keys so batches differ, as a scrub's do.
				off := (i * tc.n) % len(tc.keys)
				if off+tc.n > len(tc.keys) {
					off = 0
				}
				p.DecideBatch(contactkey.KindPhone, tc.keys[off:off+tc.n], 0, func(int, Reason) { hits++ })
			}
			b.ReportMetric(float64(b.N)*float64(tc.n)/b.Elapsed().Seconds(), "keys/s")
			b.ReportMetric(float64(b.N)*float64(tc.n)/(cpuTime()-cpu0).Seconds(), "keys/cpu-s")
			b.ReportMetric(float64(hits)/float64(b.N)/float64(tc.n), "hits/key")
		})
	}
}

// BenchmarkDecideBatchHashed: batches of hashed keys. E-mails: three deny
// lists (1M, 2M, 200k of a 4M-address dictionary) and 20k opt-outs;
// customers: a consent list of 2M of 3M; addresses: a deny list of 1M
// of 2M. Half of each batch's keys are in the dictionary, half unknown.
func BenchmarkDecideBatchHashed(b *testing.B) {
	f := newFixture(b)
	rng := rand.New(rand.NewPCG(21, 21))
	hashes := func(n int) []uint64 {
		out := make([]uint64, n)
		for i := range out {
			out[i] = rng.Uint64()
		}
		return out
	}
	emails, custs, addrs := hashes(4_000_000), hashes(3_000_000), hashes(2_000_000)
	f.list("bounces", contactkey.KindEmail, Deny, "email,call", "all", SourceBounce)
	f.list("unsubscribed", contactkey.KindEmail, Deny, "email,call", "all", SourceInternal)
	f.list("complaints", contactkey.KindEmail, Deny, "email,call", "all", SourceComplaint)
	f.list("cust_ok", contactkey.KindCustomer, Consent, "email,call", "direct_marketing", SourceCustomerRequest)
	f.list("homes", contactkey.KindAddress, Deny, "email,call", "all", SourceLitigator)
	// Every known key gets its id first, as imports of other lists
	// would have given them.
	f.list("all_emails", contactkey.KindEmail, Deny, "mail", "research", SourceInternal)
	f.imp("all_emails", Add, emails, nil)
	f.imp("bounces", Add, emails[:1_000_000], nil)
	f.imp("unsubscribed", Add, emails[1_000_000:3_000_000], nil)
	f.imp("complaints", Add, emails[3_000_000:3_200_000], nil)
	f.imp("cust_ok", Add, custs[:2_000_000], nil)
	f.list("all_custs", contactkey.KindCustomer, Deny, "mail", "research", SourceInternal)
	f.imp("all_custs", Add, custs, nil)
	f.list("all_addrs", contactkey.KindAddress, Deny, "mail", "research", SourceInternal)
	f.imp("all_addrs", Add, addrs, nil)
	f.imp("homes", Add, addrs[:1_000_000], nil)
	for i := range 20_000 {
		f.optOut(email(emails[i*97]), "email", "all", "")
	}
	p, err := f.s.Compile(Scope{Email, DirectMarketing, ""})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		kind  contactkey.Kind
		known []uint64
	}{{contactkey.KindEmail, emails}, {contactkey.KindCustomer, custs}, {contactkey.KindAddress, addrs}} {
		const n = 256 << 10
		batches := make([][]uint64, 8)
		for j := range batches {
			batches[j] = make([]uint64, n)
			for i := range batches[j] {
				if rng.IntN(2) == 0 {
					batches[j][i] = tc.known[rng.IntN(len(tc.known))]
				} else {
					batches[j][i] = rng.Uint64()
				}
			}
		}
		runtime.GC() // no collection of the set-up's garbage while timing
		b.Run(fmt.Sprintf("%s/batch=%d", tc.kind, n), func(b *testing.B) {
			hits := 0
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				p.DecideBatch(tc.kind, batches[i%len(batches)], 0, func(int, Reason) { hits++ })
			}
			b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "keys/s")
			b.ReportMetric(float64(b.N)*float64(n)/(cpuTime()-cpu0).Seconds(), "keys/cpu-s")
			b.ReportMetric(float64(hits)/float64(b.N)/float64(n), "hits/key")
		})
	}
}
