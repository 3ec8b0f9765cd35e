package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
	"github.com/hushcrm/hush/suppression"
)

// blob is a toy component whose state is a byte string; readShort and
// readLong make it misread its own section.
type blob struct {
	id        string
	data      []byte
	readShort bool
	readLong  bool
}

func (b *blob) name() string { return b.id }
func (b *blob) apply(journal.Seq, record.Record) (bool, error) {
	return false, nil
}
func (b *blob) writeSnapshot(w io.Writer) error {
	var hdr [binary.MaxVarintLen64]byte
	if _, err := w.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(b.data)))]); err != nil {
		return err
	}
	_, err := w.Write(b.data)
	return err
}
func (b *blob) readSnapshot(r io.Reader) error {
	br := bufio.NewReader(io.LimitReader(r, 1<<40))
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return err
	}
	if b.readShort && n > 0 {
		n--
	}
	if b.readLong {
		n++
	}
	b.data = make([]byte, n)
	_, err = io.ReadFull(br, b.data)
	if err != nil {
		return err
	}
	// Hand back what the bufio reader took beyond the payload by checking
	// nothing was buffered: tests write exactly one payload per section.
	if br.Buffered() > 0 {
		return errSectionOverrun
	}
	return nil
}

func TestSnapshotSectionsRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*sectionChunk/16+5) // several chunks
	cases := []struct {
		name string
		data [][]byte
	}{
		{"none", nil},
		{"empty section", [][]byte{{}}},
		{"small and big", [][]byte{[]byte("keys"), big}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cs, fresh []component
			for i, d := range c.data {
				id := string(rune('a' + i))
				cs = append(cs, &blob{id: id, data: d})
				fresh = append(fresh, &blob{id: id})
			}
			var buf bytes.Buffer
			if err := writeSnapshotTo(&buf, 7, "fp", 3, suppression.NewStore(), cs); err != nil {
				t.Fatal(err)
			}
			st, err := readSnapshotFrom(bytes.NewReader(buf.Bytes()), 7, fresh)
			if err != nil {
				t.Fatal(err)
			}
			for i, c2 := range st.components {
				if got := c2.(*blob).data; !bytes.Equal(got, c.data[i]) {
					t.Fatalf("section %d: %d bytes back, want %d", i, len(got), len(c.data[i]))
				}
			}
			// Same state, same bytes.
			var again bytes.Buffer
			if err := writeSnapshotTo(&again, 7, "fp", 3, suppression.NewStore(), st.components); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Fatal("rewritten snapshot differs")
			}
		})
	}
}

func TestSnapshotSectionErrors(t *testing.T) {
	write := func(cs ...component) []byte {
		var buf bytes.Buffer
		if err := writeSnapshotTo(&buf, 1, "fp", 1, suppression.NewStore(), cs); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	snap := write(&blob{id: "keys", data: []byte("secret")})
	cases := []struct {
		name  string
		into  []component
		want  string
		input []byte
	}{
		{"unknown section", []component{&blob{id: "other"}}, "unknown to this binary", snap},
		{"component reads too little", []component{&blob{id: "keys", readShort: true}}, "", snap},
		{"component reads too much", []component{&blob{id: "keys", readLong: true}}, "", snap},
		{"truncated", []component{&blob{id: "keys"}}, "", snap[:len(snap)-2]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readSnapshotFrom(bytes.NewReader(c.input), 1, c.into)
			if err == nil {
				t.Fatal("misread section accepted")
			}
			if c.want != "" && !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
	// A component newer than the snapshot starts empty.
	st, err := readSnapshotFrom(bytes.NewReader(snap), 1, []component{&blob{id: "keys"}, &blob{id: "newer"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.components[1].(*blob).data; len(got) != 0 {
		t.Fatalf("component without a section has state %q", got)
	}
}

// Snapshots written before components existed (format 1) still load.
func TestSnapshotFormat1StillReads(t *testing.T) {
	st := suppression.NewStore()
	if err := st.CreateList(suppression.ListSpec{Name: "dnc", Kind: contactkey.KindPhone, Type: suppression.Deny, Channels: suppression.AllChannels, Purposes: suppression.PurposeSet{All: true}, Source: "national_registry"}, 1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	hdr := append([]byte{}, snapMagic[:]...)
	hdr = binary.AppendUvarint(hdr, 1) // format 1
	hdr = binary.AppendUvarint(hdr, 5)
	hdr = binary.AppendUvarint(hdr, 2)
	hdr = append(hdr, "fp"...)
	hdr = binary.AppendUvarint(hdr, 9)
	buf.Write(hdr)
	if _, err := st.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := readSnapshotFrom(bytes.NewReader(buf.Bytes()), 5, []component{&blob{id: "keys"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.nextImportID != 9 || got.fingerprint != "fp" {
		t.Fatalf("header misread: %+v", got)
	}
}

// A component's state survives a real snapshot and restart of the engine.
func TestComponentSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	var live *blob
	h := newHarness(t, dir)
	h.extra = []func(*Engine) component{func(*Engine) component { live = &blob{id: "keys"}; return live }}
	h.reopen()
	h.createList("dnc", contactkey.KindPhone, "call", "all", "national_registry")
	if err := h.e.control(context.Background(), func() error { live.data = []byte("state"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := h.e.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	live = nil
	h.reopen()
	defer h.close()
	if live == nil || string(live.data) != "state" {
		t.Fatalf("component state after restart: %+v", live)
	}
	if err := h.e.applyComponents(1, &record.ListDelete{}); err == nil || errors.Is(err, ErrClosed) {
		t.Fatalf("a record nobody owns must be an error, got %v", err)
	}
}
