package suppression

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hushcrm/hush/contactkey"
)

// cpuTime is the process's CPU time. The machines these run on are
// shared, so wall time per op swings with the neighbours' load; CPU time
// per op (reported as cpu-ns/op) is steadier.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// areaCodes returns n NANP area codes (+1 NPA as 1NPA), fixed by seed.
func areaCodes(rng *rand.Rand, n int) []uint64 {
	perm := rng.Perm(800)[:n]
	out := make([]uint64, n)
	for i, p := range perm {
		out[i] = 1000 + 200 + uint64(p) // 1200..1999
	}
	slices.Sort(out)
	return out
}

// clusteredPhones calls fn with chunks of about total numbers spread over
// the area codes, random lines (2000000..9999999) within each; sorted
// makes each area's chunk ascending (as a registry file is), areas in
// ascending order.
func clusteredPhones(seed uint64, total int, areas int, sorted bool, fn func([]uint64)) {
	rng := rand.New(rand.NewPCG(seed, 1))
	codes := areaCodes(rng, areas)
	per := total / areas
	buf := make([]uint64, per)
	tmp := make([]uint64, per)
	for _, ac := range codes {
		base := ac * 10_000_000
		for i := range buf {
			buf[i] = base + 2_000_000 + uint64(rng.IntN(8_000_000))
		}
		if sorted {
			radixSort(buf, nil, tmp, nil)
		}
		fn(buf)
	}
}

func samplePhones(seed uint64, n, areas int) []uint64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	codes := areaCodes(rand.New(rand.NewPCG(seed, 1)), areas)
	out := make([]uint64, n)
	for i := range out {
		out[i] = codes[rng.IntN(len(codes))]*10_000_000 + 2_000_000 + uint64(rng.IntN(8_000_000))
	}
	return out
}

func benchStore(b testing.TB, phonesPerList int) (*Store, *fixture) {
	b.Helper()
	f := newFixture(b)
	for i := range 6 {
		f.list(fmt.Sprintf("phone%d", i), contactkey.KindPhone, Deny, "call", "all", SourceNationalRegistry)
		im, _ := f.s.BeginImport(fmt.Sprintf("phone%d", i), Replace)
		clusteredPhones(uint64(i), phonesPerList, 400, true, func(c []uint64) { im.Add(c, nil) })
		if _, err := f.s.CommitImport(im, f.next(), f.at()); err != nil {
			b.Fatal(err)
		}
	}
	return f.s, f
}

// BenchmarkDecide10Lists: one row with a phone, an e-mail, a customer id
// and an address against ten applicable lists (six phone lists of 200k
// numbers, two e-mail lists, a customer consent list, an address list)
// and 10k opt-outs.
func BenchmarkDecide10Lists(b *testing.B) {
	s, f := benchStore(b, 200_000)
	rng := rand.New(rand.NewPCG(9, 9))
	hashes := make([]uint64, 400_000)
	for i := range hashes {
		hashes[i] = rng.Uint64()
	}
	f.list("email_a", contactkey.KindEmail, Deny, "call", "all", SourceBounce)
	f.list("email_b", contactkey.KindEmail, Deny, "call", "all", SourceComplaint)
	f.list("cust_ok", contactkey.KindCustomer, Consent, "call", "direct_marketing", SourceCustomerRequest)
	f.list("homes", contactkey.KindAddress, Deny, "call", "all", SourceLitigator)
	f.imp("email_a", Add, hashes[:100_000], nil)
	f.imp("email_b", Add, hashes[50_000:150_000], nil)
	f.imp("cust_ok", Add, hashes[100_000:300_000], nil)
	f.imp("homes", Add, hashes[200_000:400_000], nil)
	phones := samplePhones(0, 1<<16, 400)
	for i := range 10_000 {
		f.optOut(phone(phones[i]), "call", "direct_marketing", "")
	}
	p, err := s.Compile(Scope{Call, DirectMarketing, ""})
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Lists()) != 10 {
		b.Fatalf("%d lists apply", len(p.Lists()))
	}
	rows := make([][]contactkey.Key, 1<<16)
	for i := range rows {
		rows[i] = []contactkey.Key{phone(phones[i]), email(hashes[rng.IntN(len(hashes))]), cust(hashes[rng.IntN(len(hashes))]), addr(hashes[rng.IntN(len(hashes))])}
	}
	reasons := make([]Reason, 0, 16)
	suppressed := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		var ok bool
		ok, reasons = p.Decide(rows[i&(len(rows)-1)], 0, reasons)
		if !ok {
			suppressed++
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(suppressed)/float64(b.N), "suppressed/row")
}

// BenchmarkImport builds a phone list of clustered numbers (400 area
// codes, random lines) from 1 MiB-ish chunks, sorted per area as a
// registry file is, or in random order. HUSH_BENCH_IMPORT=50000000 sets
// the size (default 10M).
func BenchmarkImport(b *testing.B) {
	total := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("HUSH_BENCH_IMPORT")); err == nil && v > 0 {
		total = v
	}
	for _, sorted := range []bool{true, false} {
		b.Run(fmt.Sprintf("n=%d/sorted=%v", total, sorted), func(b *testing.B) {
			var chunks [][]uint64
			clusteredPhones(1, total, 400, sorted, func(c []uint64) { chunks = append(chunks, slices.Clone(c)) })
			if !sorted {
				// Interleave the areas: every chunk mixes all of them.
				all := slices.Concat(chunks...)
				rand.New(rand.NewPCG(2, 2)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
				chunks = chunks[:0]
				for len(all) > 0 {
					k := min(1<<20, len(all))
					chunks = append(chunks, all[:k])
					all = all[k:]
				}
			}
			var l *List
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				s := NewStore()
				spec := ListSpec{Name: "dnc", Kind: contactkey.KindPhone, Type: Deny, Channels: ChannelSet(Call), Purposes: PurposeSet{All: true}, Source: SourceNationalRegistry}
				if err := s.CreateList(spec, 1, t0); err != nil {
					b.Fatal(err)
				}
				im, _ := s.BeginImport("dnc", Replace)
				for _, c := range chunks {
					im.Add(c, nil)
				}
				if _, err := s.CommitImport(im, uint64(i+2), t0); err != nil {
					b.Fatal(err)
				}
				l, _ = s.List("dnc")
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)*float64(total)/b.Elapsed().Seconds(), "phones/s")
			b.ReportMetric(float64(b.N)*float64(total)/(cpuTime()-cpu0).Seconds(), "phones/cpu-s")
			b.ReportMetric(float64(l.MemoryBytes())/float64(l.Len()), "bytes/entry")
			b.ReportMetric(float64(l.MemoryBytes())/(1<<20), "MiB")
			chunks = nil
			runtime.GC()
		})
	}
}

func snapshotStore(b *testing.B) *Store {
	s, f := benchStore(b, 2_000_000) // six lists, 12M numbers
	rng := rand.New(rand.NewPCG(4, 4))
	hashes := make([]uint64, 1_000_000)
	for i := range hashes {
		hashes[i] = rng.Uint64()
	}
	f.list("emails", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
	f.imp("emails", Add, hashes, nil)
	for i := range 20_000 {
		f.optOut(email(hashes[i]), "email", "direct_marketing", "")
	}
	return s
}

func BenchmarkWriteTo(b *testing.B) {
	s := snapshotStore(b)
	var buf bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf.Reset()
		if _, err := s.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkReadStore(b *testing.B) {
	s := snapshotStore(b)
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := ReadStore(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDigest(b *testing.B) {
	s, _ := benchStore(b, 2_000_000)
	l := s.Lists()[0]
	b.SetBytes(int64(len(l.entries.data)))
	b.ResetTimer()
	for range b.N {
		l2 := l.with(l.entries, l.exp, l.version, l.updatedAt) // fresh cache
		l2.Digest()
	}
}

// BenchmarkPrepareAndPublish times the two halves of a commit: a Replace
// of HUSH_BENCH_PUBLISH phones (default 10M) into an empty list, and an
// Add of 2M new e-mails to a dictionary of 8M. Publish is what the
// engine runs under its write lock.
func BenchmarkPrepareAndPublish(b *testing.B) {
	total := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("HUSH_BENCH_PUBLISH")); err == nil && v > 0 {
		total = v
	}
	run := func(b *testing.B, s *Store, list string, mode ImportMode, stage func(im *Import), next func() uint64) {
		var prep, pub time.Duration
		var maxPub time.Duration
		for range b.N {
			b.StopTimer()
			im, err := s.BeginImport(list, mode)
			if err != nil {
				b.Fatal(err)
			}
			stage(im)
			runtime.GC()
			b.StartTimer()
			v := next()
			t1 := time.Now()
			pc, err := s.PrepareCommit(im, v, t0)
			if err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			if _, err := s.Publish(pc); err != nil {
				b.Fatal(err)
			}
			t3 := time.Now()
			prep += t2.Sub(t1)
			pub += t3.Sub(t2)
			maxPub = max(maxPub, t3.Sub(t2))
		}
		b.ReportMetric(float64(prep.Milliseconds())/float64(b.N), "prepare-ms/op")
		b.ReportMetric(float64(pub.Microseconds())/float64(b.N), "publish-µs/op")
		b.ReportMetric(float64(maxPub.Microseconds()), "max-publish-µs")
	}
	b.Run(fmt.Sprintf("phones=%d/replace", total), func(b *testing.B) {
		var chunks [][]uint64
		clusteredPhones(1, total, 400, true, func(c []uint64) { chunks = append(chunks, slices.Clone(c)) })
		s := NewStore()
		spec := ListSpec{Name: "dnc", Kind: contactkey.KindPhone, Type: Deny, Channels: ChannelSet(Call), Purposes: PurposeSet{All: true}, Source: SourceNationalRegistry}
		if err := s.CreateList(spec, 1, t0); err != nil {
			b.Fatal(err)
		}
		v := uint64(1)
		round := 0
		run(b, s, "dnc", Replace, func(im *Import) {
			// Every other round drops a tenth, so each Replace changes
			// the list.
			round++
			for i, c := range chunks {
				if round%2 == 0 || i%10 != 0 {
					im.Add(c, nil)
				}
			}
		}, func() uint64 { v++; return v })
	})
	b.Run("emails=2M/add-new/dict=8M", func(b *testing.B) {
		f := newFixture(b)
		f.list("old", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
		f.list("new", contactkey.KindEmail, Deny, "email", "all", SourceBounce)
		rng := rand.New(rand.NewPCG(5, 5))
		old := make([]uint64, 8_000_000)
		for i := range old {
			old[i] = rng.Uint64()
		}
		f.imp("old", Add, old, nil)
		keys := make([]uint64, 2_000_000)
		run(b, f.s, "new", Add, func(im *Import) {
			for i := range keys {
				keys[i] = rng.Uint64()
			}
			im.Add(keys, nil)
		}, f.next)
	})
}
