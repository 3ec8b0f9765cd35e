package contactkey

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// randomValues returns n values of which about dupFrac are repeats.
func randomValues(seed uint64, n int, dupFrac float64) []uint64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	vs := make([]uint64, n)
	for i := range vs {
		if i > 0 && rng.Float64() < dupFrac {
			vs[i] = vs[rng.IntN(i)]
		} else {
			vs[i] = rng.Uint64()
		}
	}
	return vs
}

// checkAgainstMap compares d with a reference built from vs by a map.
func checkAgainstMap(t *testing.T, d *Dictionary, vs []uint64) {
	t.Helper()
	ref := map[uint64]uint32{}
	var order []uint64
	for _, v := range vs {
		if _, ok := ref[v]; !ok {
			ref[v] = uint32(len(order))
			order = append(order, v)
		}
	}
	if d.Len() != len(order) {
		t.Fatalf("Len %d, want %d", d.Len(), len(order))
	}
	for v, id := range ref {
		if got, ok := d.Lookup(v); !ok || got != id {
			t.Fatalf("Lookup(%#x) = %d, %v; want %d", v, got, ok, id)
		}
		if d.Value(id) != v {
			t.Fatalf("Value(%d) = %#x, want %#x", id, d.Value(id), v)
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 1000; i++ {
		v := rng.Uint64()
		if _, in := ref[v]; in {
			continue
		}
		if id, ok := d.Lookup(v); ok {
			t.Fatalf("Lookup(%#x) of an absent value = %d", v, id)
		}
	}
}

func TestDictionaryAssign(t *testing.T) {
	d := NewDictionary()
	if _, ok := d.Lookup(0); ok || d.Len() != 0 {
		t.Fatal("new dictionary is not empty")
	}
	for i, v := range []uint64{42, 7, 42, 0, 7, 1 << 63} {
		id := d.Assign(v)
		want := map[int]uint32{0: 0, 1: 1, 2: 0, 3: 2, 4: 1, 5: 3}[i]
		if id != want {
			t.Errorf("Assign #%d (%d) = %d, want %d", i, v, id, want)
		}
	}
	vs := randomValues(1, 100_000, 0.3)
	d = NewDictionary()
	for _, v := range vs {
		d.Assign(v)
	}
	checkAgainstMap(t, d, vs)
}

// Sequential values (no hashing upstream) must not cluster the table.
func TestDictionarySequentialValues(t *testing.T) {
	d := NewDictionary()
	vs := make([]uint64, 200_000)
	for i := range vs {
		vs[i] = uint64(i) << 20
	}
	ids := d.AssignBatch(vs, nil)
	for i, id := range ids {
		if id != uint32(i) {
			t.Fatalf("id %d for the %dth new value", id, i)
		}
	}
	checkAgainstMap(t, d, vs)
}

func TestDictionaryAssignBatchMatchesAssign(t *testing.T) {
	vs := randomValues(2, 300_000, 0.4)
	one := NewDictionary()
	var want []uint32
	for _, v := range vs {
		want = append(want, one.Assign(v))
	}
	batch := NewDictionary()
	buf := make([]uint32, 0, 1000)
	var got []uint32
	for i := 0; i < len(vs); i += 997 { // batch sizes that do not divide the block size
		buf = batch.AssignBatch(vs[i:min(i+997, len(vs))], buf)
		got = append(got, buf...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d ids, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("id %d: batch %d, one by one %d", i, got[i], want[i])
		}
	}
	checkAgainstMap(t, batch, vs)
	if ids := batch.AssignBatch(nil, nil); len(ids) != 0 {
		t.Errorf("empty batch gave %v", ids)
	}
	vals := batch.AppendValues(nil, uint32(batch.Len()-3))
	if len(vals) != 3 || vals[2] != batch.Value(uint32(batch.Len()-1)) {
		t.Errorf("AppendValues tail = %v", vals)
	}
	if vals := batch.AppendValues(nil, uint32(batch.Len())); len(vals) != 0 {
		t.Errorf("AppendValues past the end = %v", vals)
	}
}

func TestDictionaryLookupDoesNotAllocate(t *testing.T) {
	d := NewDictionary()
	vs := randomValues(3, 10_000, 0)
	d.AssignBatch(vs, nil)
	i := 0
	if a := testing.AllocsPerRun(1000, func() { d.Lookup(vs[i%len(vs)]); i++ }); a != 0 {
		t.Errorf("Lookup allocates %v times", a)
	}
	ids := make([]uint32, 0, len(vs))
	if a := testing.AllocsPerRun(10, func() { ids = d.AssignBatch(vs, ids) }); a != 0 {
		t.Errorf("AssignBatch of known values with a big enough ids slice allocates %v times", a)
	}
}

// The memory target is at most ~24 bytes per entry at 30M entries. The
// layout's worst case (just after doubling) is checked here on 1M entries,
// measured both from the arrays and from the heap.
func TestDictionaryMemoryPerEntry(t *testing.T) {
	const n = 1 << 20
	vs := randomValues(4, n, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := NewDictionary()
	d.AssignBatch(vs, make([]uint32, 0, n))
	runtime.GC()
	runtime.ReadMemStats(&after)
	perEntry := float64(d.memBytes()) / float64(d.Len())
	heapPerEntry := float64(after.HeapAlloc-before.HeapAlloc) / float64(d.Len())
	t.Logf("%d entries: arrays %.1f B/entry, heap %.1f B/entry", d.Len(), perEntry, heapPerEntry)
	if perEntry > 24 {
		t.Errorf("arrays hold %.1f bytes per entry", perEntry)
	}
	if heapPerEntry > 24 {
		t.Errorf("the heap grew by %.1f bytes per entry", heapPerEntry)
	}
	runtime.KeepAlive(d)
	runtime.KeepAlive(vs) // so its freeing does not hide the dictionary's growth
	// At 30M entries the table has 2^26 slots of 5 bytes: 335 MB, plus
	// 8 bytes per value.
	slots := 1 << log2(30_000_000*dictMaxLoadDen/dictMaxLoadNum+1)
	if at30M := float64(slots*5+30_000_000*8) / 30e6; at30M > 24 {
		t.Errorf("at 30M entries: %.1f bytes per entry", at30M)
	}
}

func TestDictionaryRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 5, 9000, 100_000} {
		vs := randomValues(uint64(n), n, 0.2)
		d := NewDictionary()
		d.AssignBatch(vs, nil)
		var buf bytes.Buffer
		written, err := d.WriteTo(&buf)
		slots := int(tableSlots(uint64(d.Len())))
		if err != nil || written != int64(buf.Len()) || buf.Len() != dictHeaderSize+8*d.Len()+8*max(slots/16, 1)+5*slots+4 {
			t.Fatalf("n=%d: WriteTo = %d, %v (buffer %d)", n, written, err, buf.Len())
		}
		again, err := ReadDictionary(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		checkAgainstMap(t, again, vs)
		var buf2 bytes.Buffer
		if _, err := again.WriteTo(&buf2); err != nil || !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
			t.Fatalf("n=%d: bytes differ after a round trip", n)
		}
		// Ids keep being handed out after the last one read.
		v := ^uint64(0) - 1
		if _, known := again.Lookup(v); !known {
			if id := again.Assign(v); int(id) != d.Len() {
				t.Errorf("n=%d: next id %d, want %d", n, id, d.Len())
			}
		}
	}
}

// The byte format is pinned by a golden file.
func TestDictionaryGoldenBytes(t *testing.T) {
	d := NewDictionary()
	d.AssignBatch([]uint64{3, 1, 0xdeadbeefcafef00d, 1, 2}, nil)
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "dictionary_v2.golden")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("bytes\n%x\nwant\n%x", buf.Bytes(), want)
	}
	got, err := ReadDictionary(bytes.NewReader(want))
	if err != nil || got.Len() != 4 || got.Value(2) != 0xdeadbeefcafef00d {
		t.Errorf("reading the golden file: %v", err)
	}
}

// v1Bytes is the version 1 form of vs (values only, no table), as
// builds before version 2 wrote it.
func v1Bytes(vs []uint64) []byte {
	b := append([]byte(dictMagic), 1, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(vs)))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32c))
}

// A version 1 file (the golden one older builds wrote, and others made
// like it) still reads, through the stream and in place: the table is
// built then, the same as a version 2 file carries, and writing it back
// gives version 2.
func TestDictionaryReadsVersion1(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "dictionary_v1.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		v1   []byte
		vs   []uint64
	}{
		{"golden", golden, []uint64{3, 1, 0xdeadbeefcafef00d, 2}},
		{"empty", v1Bytes(nil), nil},
		{"one", v1Bytes([]uint64{7}), []uint64{7}},
		{"grown", v1Bytes(randomValues(9, 50_000, 0)), randomValues(9, 50_000, 0)},
	} {
		want := NewDictionary()
		want.AssignBatch(tc.vs, nil)
		var v2 bytes.Buffer
		if _, err := want.WriteTo(&v2); err != nil {
			t.Fatal(err)
		}
		streamed, err := ReadDictionary(bytes.NewReader(tc.v1))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		inPlace, build, n, err := DictionaryFromBytes(tc.v1, false)
		if err != nil || n != len(tc.v1) {
			t.Fatalf("%s: in place: %d of %d bytes, %v", tc.name, n, len(tc.v1), err)
		}
		if err := build(); err != nil {
			t.Fatalf("%s: in place: %v", tc.name, err)
		}
		for _, got := range []*Dictionary{streamed, inPlace} {
			checkAgainstMap(t, got, tc.vs)
			var again bytes.Buffer
			if _, err := got.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), v2.Bytes()) {
				t.Fatalf("%s: written back is not the version 2 form (%v)", tc.name, err)
			}
		}
	}
}

// withCRC recomputes the trailing checksum of a hand-built file.
func withCRC(b []byte) []byte {
	body := b[:len(b)-4]
	return binary.LittleEndian.AppendUint32(append([]byte{}, body...), crc32.Checksum(body, crc32c))
}

func TestReadDictionaryRejectsCorruption(t *testing.T) {
	d := NewDictionary()
	d.AssignBatch([]uint64{10, 20, 30}, nil)
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()

	// Every truncation is an error that says so.
	for cut := 0; cut < len(good); cut++ {
		_, err := ReadDictionary(bytes.NewReader(good[:cut]))
		if !errors.Is(err, ErrCorruptDictionary) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
	// Every flipped bit is caught.
	for i := 0; i < len(good)*8; i++ {
		bad := append([]byte{}, good...)
		bad[i/8] ^= 1 << (i % 8)
		if _, err := ReadDictionary(bytes.NewReader(bad)); !errors.Is(err, ErrCorruptDictionary) {
			t.Errorf("bit %d flipped: %v", i, err)
		}
	}

	mutate := func(f func(b []byte)) []byte {
		b := append([]byte{}, good...)
		f(b)
		return withCRC(b)
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"magic", mutate(func(b []byte) { copy(b, "NOTADICT") }), "not a dictionary"},
		{"version", mutate(func(b []byte) { binary.LittleEndian.PutUint32(b[8:], 3) }), "unsupported version 3"},
		{"v1 duplicate", v1Bytes([]uint64{10, 20, 10}), "value 0x000000000000000a appears at ids 0 and 2"},
		{"huge count", mutate(func(b []byte) { binary.LittleEndian.PutUint64(b[16:], 1<<40) }), "exceeds the maximum"},
		{"v1 huge count", func() []byte { b := v1Bytes(nil); binary.LittleEndian.PutUint64(b[12:], 1<<40); return withCRC(b) }(), "exceeds the maximum"},
		{"count beyond data", mutate(func(b []byte) {
			binary.LittleEndian.PutUint32(b[12:], 31)
			binary.LittleEndian.PutUint64(b[16:], 1<<30)
		}), "truncated after"},
		{"table size", mutate(func(b []byte) { binary.LittleEndian.PutUint32(b[12:], 5) }), "table of 2^5 slots for 3 values (want 16 slots)"},
		{"slot id out of range", mutate(func(b []byte) { setSlot(b, 3, func(id uint32) uint32 { return id + 3 }) }), "table does not fit its 3 values (3 occupied slots, stray tag bits 0x0, largest id"},
		{"tag cleared", mutate(func(b []byte) { setTag(b, 3, func(uint8) uint8 { return 0 }) }), "(2 occupied slots"},
		{"tag without its mark", mutate(func(b []byte) { setTag(b, 3, func(t uint8) uint8 { return t &^ 0x80 }) }), "(2 occupied slots, stray tag bits"},
		{"id beyond the values in an empty slot", mutate(func(b []byte) { setEmptySlot(b, 3, 0) }), "largest id 3"},
		{"checksum", append(append([]byte{}, good[:len(good)-4]...), 0, 0, 0, 0), "checksum mismatch"},
	} {
		_, err := ReadDictionary(bytes.NewReader(c.data))
		if !errors.Is(err, ErrCorruptDictionary) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// tableParts returns the slots and tags of a version 2 dictionary's
// bytes b (views into b).
func tableParts(b []byte) (slots, tags []byte) {
	count := binary.LittleEndian.Uint64(b[16:])
	n := int(1) << binary.LittleEndian.Uint32(b[12:])
	off := dictHeaderSize + 8*int(count) + 8*max(n/16, 1)
	return b[off : off+4*n], b[off+4*n : off+5*n]
}

// occupied returns the position of the k-th occupied slot (k from 1)
// of b's table.
func occupied(b []byte, k int) int {
	_, tags := tableParts(b)
	for i, t := range tags {
		if t != 0 {
			if k--; k == 0 {
				return i
			}
		}
	}
	panic("not that many occupied slots")
}

func setSlot(b []byte, k int, f func(uint32) uint32) {
	slots, _ := tableParts(b)
	i := occupied(b, k)
	binary.LittleEndian.PutUint32(slots[4*i:], f(binary.LittleEndian.Uint32(slots[4*i:])))
}

func setTag(b []byte, k int, f func(uint8) uint8) {
	_, tags := tableParts(b)
	i := occupied(b, k)
	tags[i] = f(tags[i])
}

// setEmptySlot puts id in the first empty slot of b's table.
func setEmptySlot(b []byte, id uint32, _ int) {
	slots, tags := tableParts(b)
	for i, t := range tags {
		if t == 0 {
			binary.LittleEndian.PutUint32(slots[4*i:], id)
			return
		}
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	n := min(len(p), w.after)
	w.after -= n
	if n < len(p) {
		return n, errors.New("disk full")
	}
	return n, nil
}

func TestDictionaryWriteToError(t *testing.T) {
	d := NewDictionary()
	d.AssignBatch(randomValues(5, 20_000, 0), nil)
	for _, after := range []int{0, 10, 70_000, 160_000} {
		n, err := d.WriteTo(&failingWriter{after: after})
		if err == nil || n != int64(after) {
			t.Errorf("writer failing after %d bytes: WriteTo = %d, %v", after, n, err)
		}
	}
}

func BenchmarkDictionaryLookup(b *testing.B) {
	for _, n := range []int{1 << 16, 1 << 22} {
		d := NewDictionary()
		vs := randomValues(6, n, 0)
		d.AssignBatch(vs, nil)
		hits := append([]uint64{}, vs...)
		rand.New(rand.NewPCG(1, 1)).Shuffle(n, func(i, j int) { hits[i], hits[j] = hits[j], hits[i] })
		b.Run(fmt.Sprintf("n=%d/hit", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				d.Lookup(hits[i&(n-1)])
				i++
			}
		})
		miss := randomValues(7, n, 0)
		b.Run(fmt.Sprintf("n=%d/miss", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				d.Lookup(miss[i&(n-1)])
				i++
			}
		})
	}
}

// BenchmarkDictionaryAssignBatch reports ns per value for batches of new
// and of already known values.
func BenchmarkDictionaryAssignBatch(b *testing.B) {
	const n = 1 << 22
	vs := randomValues(8, n, 0)
	ids := make([]uint32, 0, n)
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := NewDictionary()
			ids = d.AssignBatch(vs, ids)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/value")
	})
	d := NewDictionary()
	d.AssignBatch(vs, ids)
	b.Run("known", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ids = d.AssignBatch(vs, ids)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/value")
	})
	b.Run("known-one-by-one", func(b *testing.B) {
		for b.Loop() {
			for _, v := range vs {
				d.Assign(v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/value")
	})
}

// BenchmarkDictionary30M builds the 30M-entry dictionary of the memory
// target and reports its bytes per entry (run it alone: it takes ~3 GB of
// allocation over its life and several seconds).
func BenchmarkDictionary30M(b *testing.B) {
	const n = 30_000_000
	vs := randomValues(9, n, 0)
	ids := make([]uint32, 0, n)
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := NewDictionary()
		ids = d.AssignBatch(vs, ids)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(d.memBytes())/n, "B/entry")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/entry")
		runtime.KeepAlive(d)
		runtime.KeepAlive(vs)
		runtime.KeepAlive(ids)
	}
}

func TestDictionaryLookupBatchMatchesLookup(t *testing.T) {
	check := func(name string, d *Dictionary, probes []uint64) {
		t.Helper()
		ids := make([]uint32, len(probes)+3) // longer than needed is fine
		found := make([]bool, len(probes)+3)
		for i := range ids {
			ids[i], found[i] = 7, true // stale contents must be overwritten
		}
		d.LookupBatch(probes, ids, found)
		for i, v := range probes {
			id, ok := d.Lookup(v)
			if ids[i] != id || found[i] != ok {
				t.Fatalf("%s: probe %d (%#x): batch %d, %v; Lookup %d, %v", name, i, v, ids[i], found[i], id, ok)
			}
		}
		if ids[len(probes)] != 7 || !found[len(probes)] {
			t.Fatalf("%s: LookupBatch wrote past len(vs)", name)
		}
	}
	mixed := func(seed uint64, vs []uint64, n int) []uint64 {
		rng := rand.New(rand.NewPCG(seed, 1))
		p := make([]uint64, n)
		for i := range p {
			if len(vs) > 0 && rng.IntN(2) == 0 {
				p[i] = vs[rng.IntN(len(vs))]
			} else {
				p[i] = rng.Uint64()
			}
		}
		return p
	}
	check("empty dictionary", NewDictionary(), mixed(1, nil, 100))
	check("no probes", NewDictionary(), nil)
	for _, n := range []int{1, 11, 12, 13, 1000, 200_000} {
		// Sizes at the growth threshold give the longest probe runs, and
		// tiny tables make the one-in-128 tag collisions common.
		vs := randomValues(uint64(n)+100, n, 0)
		d := NewDictionary()
		d.AssignBatch(vs, nil)
		for _, m := range []int{1, lookupBlock - 1, lookupBlock, lookupBlock + 1, 50_000} {
			check(fmt.Sprintf("n=%d m=%d", n, m), d, mixed(uint64(n*m), vs, m))
		}
	}
	seq := make([]uint64, 100_000)
	for i := range seq {
		seq[i] = uint64(i)
	}
	d := NewDictionary()
	d.AssignBatch(seq, nil)
	check("sequential", d, mixed(3, seq, 100_000))
}

func TestDictionaryLookupBatchDoesNotAllocate(t *testing.T) {
	d := NewDictionary()
	vs := randomValues(31, 10_000, 0)
	d.AssignBatch(vs, nil)
	ids, found := make([]uint32, len(vs)), make([]bool, len(vs))
	if a := testing.AllocsPerRun(10, func() { d.LookupBatch(vs, ids, found) }); a != 0 {
		t.Errorf("LookupBatch allocates %v times", a)
	}
}

// A duplicate anywhere in a big version 1 dictionary (values only) is
// caught by the bulk build and named by its two ids, earlier first.
func TestReadDictionaryDuplicateInBigTable(t *testing.T) {
	vs := randomValues(3, 300_000, 0)
	dup := slices.Clone(vs)
	dup[250_001] = vs[17]
	_, err := ReadDictionary(bytes.NewReader(v1Bytes(dup)))
	want := fmt.Sprintf("value %#016x appears at ids 17 and 250001", vs[17])
	if !errors.Is(err, ErrCorruptDictionary) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func BenchmarkReadDictionary(b *testing.B) {
	for _, n := range []int{1_000_000, 7_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := NewDictionary()
			d.AssignBatch(randomValues(5, n, 0), nil)
			var buf bytes.Buffer
			if _, err := d.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				if _, err := ReadDictionary(bytes.NewReader(buf.Bytes())); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Extended gives every value the id Assign would, leaves the original
// answering as before until Install, and then answers as the Assigns
// would have: with and without the table growing, and with the values
// array shared.
func TestDictionaryExtendedThenInstall(t *testing.T) {
	for _, tc := range []struct{ base, more int }{{0, 0}, {0, 10}, {1000, 10}, {1000, 5000}, {100_000, 1}, {100_000, 250_000}} {
		vs := randomValues(uint64(tc.base+tc.more), tc.base+tc.more, 0)
		ref := NewDictionary()
		ref.AssignBatch(vs, nil)
		d := NewDictionary()
		d.AssignBatch(vs[:tc.base], nil)
		holder := d // what lists and views hold
		next := d.Extended(vs[tc.base:])
		if d.Len() != tc.base {
			t.Fatalf("%+v: Extended changed d's length to %d", tc, d.Len())
		}
		for i, v := range vs {
			id, ok := d.Lookup(v)
			if i < tc.base && (!ok || id != uint32(i)) || i >= tc.base && ok {
				t.Fatalf("%+v: before Install, value %d: %d, %v", tc, i, id, ok)
			}
		}
		d.Install(next)
		if holder.Len() != len(vs) {
			t.Fatalf("%+v: after Install, length %d, want %d", tc, holder.Len(), len(vs))
		}
		for i, v := range vs {
			if id, ok := holder.Lookup(v); !ok || id != uint32(i) {
				t.Fatalf("%+v: after Install, value %d: %d, %v", tc, i, id, ok)
			}
		}
		checkAgainstMap(t, holder, vs)
		if id := holder.Assign(12345); int(id) != len(vs) {
			t.Fatalf("%+v: next Assign gave %d, want %d", tc, id, len(vs))
		}
	}
}

// BenchmarkDictionaryExtended: building 2M new ids beside 8M, off the
// lock; Install is what runs under it.
func BenchmarkDictionaryExtended(b *testing.B) {
	vs := randomValues(8, 10_000_000, 0)
	d := NewDictionary()
	d.AssignBatch(vs[:8_000_000], nil)
	b.ReportAllocs()
	var install time.Duration
	for b.Loop() {
		next := d.Extended(vs[8_000_000:])
		t0 := time.Now()
		cp := *d
		cp.Install(next)
		install += time.Since(t0)
	}
	b.ReportMetric(float64(install.Nanoseconds())/float64(b.N), "install-ns/op")
}

// The table a dictionary read back builds is the one Assign of each
// value in turn made, slot for slot (tags, ids and filter): build inserts
// in id order into a table of the size Assign's growth reaches, so
// lookups, Extended and Install behave the same on either.
func TestDictionaryBuildMatchesAssign(t *testing.T) {
	for _, n := range []int{0, 1, 12, 13, 24, 25, 1000, 100_000, 393_217} {
		vs := randomValues(uint64(n)+3, n, 0)
		if n == 1000 {
			for i := range vs {
				vs[i] = uint64(i) // sequential: long probe runs
			}
		}
		a := NewDictionary()
		a.AssignBatch(vs, nil)
		var buf bytes.Buffer
		if _, err := a.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		b, err := ReadDictionary(&buf)
		if err != nil {
			t.Fatalf("n %d: %v", n, err)
		}
		if a.shift != b.shift || a.grow != b.grow || !slices.Equal(a.tags, b.tags) || !slices.Equal(a.slots, b.slots) || !slices.Equal(a.filter, b.filter) {
			t.Fatalf("n %d: built table differs from Assign's (slots %d vs %d)", n, len(b.slots), len(a.slots))
		}
	}
}

// TestDictionaryFromBytes: a dictionary read in place answers as one read
// by ReadDictionary, takes exactly its bytes, never writes to them (Assign
// and Extended copy), and finds truncation, byte flips and duplicates.
func TestDictionaryFromBytes(t *testing.T) {
	d := NewDictionary()
	for i := range 5000 {
		d.Assign(mix(uint64(i)) | 1)
	}
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	for _, checked := range []bool{false, true} {
		in := append(bytes.Clone(raw), "tail"...)
		keep := bytes.Clone(in)
		got, build, n, err := DictionaryFromBytes(in, checked)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(raw) {
			t.Fatalf("took %d bytes, want %d", n, len(raw))
		}
		if err := build(); err != nil {
			t.Fatal(err)
		}
		for id := range uint32(d.Len()) {
			if j, ok := got.Lookup(d.Value(id)); !ok || j != id {
				t.Fatalf("id %d: Lookup = %d, %v", id, j, ok)
			}
		}
		ext := got.Extended([]uint64{2, 4})
		got.Assign(6)
		got.Install(ext)
		got.Assign(8)
		if !bytes.Equal(in, keep) {
			t.Fatal("the dictionary wrote into the bytes it was read from")
		}
	}
	for n := range len(raw) {
		if _, _, _, err := DictionaryFromBytes(raw[:n], true); !errors.Is(err, ErrCorruptDictionary) {
			t.Fatalf("truncated at %d: %v", n, err)
		}
	}
	for i := 0; i < len(raw); i += 7 {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x10
		if _, _, _, err := DictionaryFromBytes(bad, false); !errors.Is(err, ErrCorruptDictionary) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	// A duplicate in a version 1 file (no table) is found by build.
	dup := v1Bytes([]uint64{5, 5})
	_, build, _, err := DictionaryFromBytes(dup, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := build(); !errors.Is(err, ErrCorruptDictionary) {
		t.Fatalf("duplicate: build = %v", err)
	}
}
