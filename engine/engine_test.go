package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/journal/wal"
	"github.com/hushcrm/hush/suppression"
)

var testSecret = bytes.Repeat([]byte{7}, 32)

type harness struct {
	t   *testing.T
	dir string
	j   *wal.WAL
	e   *Engine
	now time.Time
	// extra components the engine opens with (component tests).
	extra []func(*Engine) component
	// mapped: the WAL maps its snapshots (what the CLI's one-shot
	// commands do) and the engine reads them in place.
	mapped bool
}

func newHarness(t *testing.T, dir string) *harness {
	t.Helper()
	h := &harness{t: t, dir: dir, now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	h.open()
	return h
}

func (h *harness) open() {
	h.t.Helper()
	j, err := wal.Open(h.dir, wal.Options{NoSync: true, MapSnapshots: h.mapped})
	if err != nil {
		h.t.Fatalf("wal.Open: %v", err)
	}
	hasher, err := contactkey.NewHasher(testSecret)
	if err != nil {
		h.t.Fatal(err)
	}
	e, err := Open(context.Background(), j, Options{Hasher: hasher, Now: func() time.Time { return h.now }, SnapshotBytes: 1 << 40, Actor: "test", extraComponents: h.extra})
	if err != nil {
		j.Close()
		h.t.Fatalf("engine.Open: %v", err)
	}
	h.j, h.e = j, e
}

func (h *harness) close() {
	h.t.Helper()
	if err := h.e.Close(); err != nil {
		h.t.Fatal(err)
	}
	if err := h.j.Close(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) reopen() { h.close(); h.open() }

func mustChannels(t *testing.T, s string) suppression.ChannelSet {
	c, err := suppression.ParseChannels(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustPurposes(t *testing.T, s string) suppression.PurposeSet {
	p, err := suppression.ParsePurposes(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (h *harness) createList(name string, kind contactkey.Kind, channels, purposes, source string) {
	h.t.Helper()
	_, err := h.e.CreateList(context.Background(), suppression.ListSpec{
		Name: name, Kind: kind, Type: suppression.Deny,
		Channels: mustChannels(h.t, channels), Purposes: mustPurposes(h.t, purposes), Source: source,
	})
	if err != nil {
		h.t.Fatalf("CreateList %s: %v", name, err)
	}
}

func (h *harness) importKeys(list string, mode suppression.ImportMode, keys []uint64) suppression.ImportResult {
	h.t.Helper()
	ctx := context.Background()
	im, err := h.e.BeginImport(ctx, list, mode, "test")
	if err != nil {
		h.t.Fatal(err)
	}
	if err := im.Add(ctx, keys, nil); err != nil {
		h.t.Fatal(err)
	}
	res, _, err := im.Commit(ctx, uint64(len(keys)), 0, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func phone(v uint64) contactkey.Key { return contactkey.Key{Kind: contactkey.KindPhone, V: v} }

func (h *harness) allowed(scope suppression.Scope, keys ...contactkey.Key) bool {
	h.t.Helper()
	d, err := h.e.Check(scope, keys, h.now, nil)
	if err != nil {
		h.t.Fatalf("Check: %v", err)
	}
	return d.Allowed
}

var callDM = suppression.Scope{Channel: suppression.Call, Purpose: suppression.DirectMarketing}

func TestListsImportOptOutSurviveRestart(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.createList("national_dnc", contactkey.KindPhone, "call,sms", "all", "national_registry")
	h.importKeys("national_dnc", suppression.Replace, []uint64{12025550100, 12025550101, 12125550199})
	if _, err := h.e.RecordOptOut(context.Background(), OptOutRequest{Key: phone(862162345678), Channels: mustChannels(t, "call"), Purposes: mustPurposes(t, "direct_marketing"), Source: "customer_request"}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		for _, c := range []struct {
			v    uint64
			want bool
		}{{12025550100, false}, {12125550199, false}, {12025550102, true}, {862162345678, false}, {862162345679, true}} {
			if got := h.allowed(callDM, phone(c.v)); got != c.want {
				t.Errorf("%s: allowed(%d) = %v, want %v", when, c.v, got, c.want)
			}
		}
	}
	check("before restart")
	applied := h.e.Applied()
	h.reopen()
	check("after restart (log replay)")
	if h.e.Applied() != applied {
		t.Fatalf("applied %d after restart, want %d", h.e.Applied(), applied)
	}
	if err := h.e.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	check("after restart (snapshot)")
	h.close()
}

func TestUnknownListAndDuplicate(t *testing.T) {
	h := newHarness(t, t.TempDir())
	defer h.close()
	h.createList("a", contactkey.KindPhone, "call", "all", "internal")
	_, err := h.e.CreateList(context.Background(), suppression.ListSpec{Name: "a", Kind: contactkey.KindPhone, Type: suppression.Deny, Channels: mustChannels(t, "call"), Purposes: mustPurposes(t, "all"), Source: "internal"})
	if !errors.Is(err, suppression.ErrListExists) {
		t.Fatalf("duplicate list: %v", err)
	}
	if _, err := h.e.BeginImport(context.Background(), "nope", suppression.Add, "x"); !errors.Is(err, suppression.ErrUnknownList) {
		t.Fatalf("import into unknown list: %v", err)
	}
	if _, err := h.e.DeleteList(context.Background(), "nope"); !errors.Is(err, suppression.ErrUnknownList) {
		t.Fatalf("delete unknown list: %v", err)
	}
}

// An import that never commits — the process died — leaves the list as it
// was, and the next start records that it was abandoned.
func TestInterruptedImportLeavesListUnchanged(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.createList("dnc", contactkey.KindPhone, "call", "all", "national_registry")
	h.importKeys("dnc", suppression.Replace, []uint64{12025550100})
	ctx := context.Background()
	im, err := h.e.BeginImport(ctx, "dnc", suppression.Replace, "big.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Add(ctx, []uint64{12025550101, 12025550102}, nil); err != nil {
		t.Fatal(err)
	}
	// While the import is open, readers see the old list.
	if h.allowed(callDM, phone(12025550101)) != true || h.allowed(callDM, phone(12025550100)) != false {
		t.Fatal("open import is visible to readers")
	}
	h.reopen() // no commit: as if killed
	if !h.allowed(callDM, phone(12025550101)) || h.allowed(callDM, phone(12025550100)) {
		t.Fatal("interrupted import changed the list")
	}
	// The abandoned import is closed in the log; a new import works.
	h.importKeys("dnc", suppression.Add, []uint64{12025550103})
	if h.allowed(callDM, phone(12025550103)) {
		t.Fatal("import after recovery not applied")
	}
	h.close()
}

func TestConcurrentWritersAllDurable(t *testing.T) {
	h := newHarness(t, t.TempDir())
	const writers, each = 32, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := h.e.RecordOptOut(context.Background(), OptOutRequest{Key: phone(uint64(12000000000 + w*1000 + i)), Channels: suppression.AllChannels, Purposes: suppression.PurposeSet{All: true}})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	h.reopen()
	defer h.close()
	for w := range writers {
		for i := range each {
			if h.allowed(callDM, phone(uint64(12000000000+w*1000+i))) {
				t.Fatalf("opt-out %d/%d lost", w, i)
			}
		}
	}
}

func TestOptInNeedsEvidence(t *testing.T) {
	h := newHarness(t, t.TempDir())
	defer h.close()
	_, err := h.e.RecordOptOut(context.Background(), OptOutRequest{Key: phone(12025550100), Channels: suppression.AllChannels, Purposes: suppression.PurposeSet{All: true}, OptIn: true})
	if !errors.Is(err, ErrEvidenceRequired) {
		t.Fatalf("opt-in without evidence: %v", err)
	}
}

// snapshotBytes writes a snapshot of the engine's state to memory.
func snapshotBytes(t *testing.T, e *Engine) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := e.control(context.Background(), func() error {
		return e.writeSnapshotTo(&buf, e.applied)
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Replaying the same log gives byte-identical snapshots.
func TestReplayIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.createList("dnc", contactkey.KindPhone, "call,sms", "all", "national_registry")
	h.createList("mail_dnm", contactkey.KindAddress, "mail", "direct_marketing", "customer_request")
	h.createList("cust", contactkey.KindCustomer, "all", "third_party_disclosure", "customer_request")
	var keys []uint64
	for i := range 5000 {
		keys = append(keys, uint64(12000000000+i*7919%1000000))
	}
	h.importKeys("dnc", suppression.Replace, keys)
	h.importKeys("mail_dnm", suppression.Add, []uint64{0xdeadbeef, 0xfeedface, 42})
	h.importKeys("cust", suppression.Add, []uint64{9, 8, 7, 6})
	h.importKeys("dnc", suppression.Remove, keys[:100])
	for i := range 200 {
		_, err := h.e.RecordOptOut(context.Background(), OptOutRequest{Key: contactkey.Key{Kind: contactkey.Kinds[i%4], V: uint64(i * 31)}, Channels: suppression.ChannelSet(1 << (i % 5)), Purposes: mustPurposes(t, "direct_marketing"), Evidence: fmt.Sprint(i), OptIn: i%10 == 9})
		if err != nil && !errors.Is(err, ErrEvidenceRequired) {
			t.Fatal(err)
		}
	}
	first := snapshotBytes(t, h.e)
	h.close()

	// Rebuild from the log alone, twice, in fresh engines.
	for round := range 2 {
		h.open()
		again := snapshotBytes(t, h.e)
		if !bytes.Equal(first, again) {
			t.Fatalf("round %d: replayed state differs from the original (%d vs %d bytes)", round, len(first), len(again))
		}
		h.close()
	}
	// And from a snapshot plus nothing: same bytes again.
	h.open()
	if err := h.e.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	if again := snapshotBytes(t, h.e); !bytes.Equal(first, again) {
		t.Fatal("state loaded from snapshot differs")
	}
	h.close()
	// From the snapshot read in place (mapped): same bytes, and the state
	// carries on as the streamed one does.
	h.mapped = true
	h.open()
	if again := snapshotBytes(t, h.e); !bytes.Equal(first, again) {
		t.Fatal("state loaded from the mapped snapshot differs")
	}
	h.importKeys("mail_dnm", suppression.Add, []uint64{0xabc, 0xdef})
	h.importKeys("cust", suppression.Remove, []uint64{8})
	h.importKeys("dnc", suppression.Add, []uint64{19995550100})
	next := snapshotBytes(t, h.e)
	h.close()
	h.mapped = false
	h.open()
	if again := snapshotBytes(t, h.e); !bytes.Equal(next, again) {
		t.Fatal("changes made on a mapped snapshot's state replay differently")
	}
	h.close()
}

// A damaged newest snapshot is skipped: the previous one plus the log
// still give the whole state.
func TestDamagedSnapshotFallsBack(t *testing.T) {
	for _, mapped := range []bool{false, true} {
		t.Run(fmt.Sprintf("mapped=%v", mapped), func(t *testing.T) { testDamagedSnapshotFallsBack(t, mapped) })
	}
}

func testDamagedSnapshotFallsBack(t *testing.T, mapped bool) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.mapped = mapped
	h.createList("dnc", contactkey.KindPhone, "call", "all", "national_registry")
	h.importKeys("dnc", suppression.Replace, []uint64{12025550100})
	if err := h.e.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.importKeys("dnc", suppression.Add, []uint64{12025550101})
	if err := h.e.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.close()
	snaps, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*.snap"))
	if len(snaps) != 2 {
		t.Fatalf("want 2 snapshots kept, have %v", snaps)
	}
	newest := snaps[len(snaps)-1]
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(newest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	h.open()
	defer h.close()
	if h.allowed(callDM, phone(12025550100)) || h.allowed(callDM, phone(12025550101)) {
		t.Fatal("state lost after falling back from a damaged snapshot")
	}
}

func TestSecretMismatch(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.close()
	j, err := wal.Open(dir, wal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	other, _ := contactkey.NewHasher(bytes.Repeat([]byte{8}, 32))
	_, err = Open(context.Background(), j, Options{Hasher: other})
	if !errors.Is(err, ErrSecretMismatch) {
		t.Fatalf("want ErrSecretMismatch, got %v", err)
	}
}

var _ journal.Journal = (*wal.WAL)(nil)
