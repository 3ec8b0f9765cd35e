package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/record"
)

// A component is a part of the engine's state beside the suppression
// store: API keys, the access log, purchases, customers, campaigns. The
// engine applies records to it in log order on the writer goroutine
// (during recovery: before the writer starts), and writes it into every
// snapshot as a section of its own, so replay and snapshots stay the one
// source of truth for all state.
//
// Rules a component keeps:
//   - apply is deterministic: the same records in the same order give the
//     same state and the same snapshot bytes.
//   - a rejection that follows from the record and the state alone (unknown
//     name, duplicate...) is returned as domainErr(err): it is a no-op on
//     replay exactly as it was the first time. Any other error marks the
//     engine broken (memory no longer follows the log).
//   - readers are never blocked by a long apply: build new state off to the
//     side and publish it with a pointer swap, or keep locked sections tiny.
type component interface {
	// name identifies the component's snapshot section; it is part of the
	// on-disk format and never changes.
	name() string
	// apply applies r if it is one of the component's records; handled is
	// false for records that belong to someone else.
	apply(seq journal.Seq, r record.Record) (handled bool, err error)
	// writeSnapshot writes the whole state, deterministically.
	writeSnapshot(w io.Writer) error
	// readSnapshot loads a state written by writeSnapshot into a fresh
	// component. It must consume exactly what writeSnapshot wrote.
	readSnapshot(r io.Reader) error
}

// newComponents makes the empty components of a new engine, in snapshot
// order. Add one line per component.
func (e *Engine) newComponents() []component {
	var cs []component
	cs = append(cs, newAuth(e))
	cs = append(cs, newPurchases(e))
	cs = append(cs, newAudience(e))
	for _, mk := range e.opts.extraComponents {
		cs = append(cs, mk(e))
	}
	return cs
}

// domainErr marks err as a deterministic rejection by the domain.
func domainErr(err error) error {
	if err == nil {
		return nil
	}
	return &domainError{err}
}

// applyComponents hands r to the component that owns it.
func (e *Engine) applyComponents(seq journal.Seq, r record.Record) error {
	for _, c := range e.comps() {
		handled, err := c.apply(seq, r)
		if handled {
			return err
		}
	}
	return fmt.Errorf("apply: unhandled record type %s", r.Type())
}

// Sections follow the suppression store in a snapshot (format 2): a count,
// then per component its name and its bytes in chunks (uvarint length,
// bytes; a zero length ends the section), so a section streams without
// being held in memory and a reader can tell where it ends.
const sectionChunk = 64 << 10

func writeSections(w *bufio.Writer, cs []component) error {
	var hdr []byte
	hdr = binary.AppendUvarint(hdr, uint64(len(cs)))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	for _, c := range cs {
		hdr = binary.AppendUvarint(hdr[:0], uint64(len(c.name())))
		hdr = append(hdr, c.name()...)
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		cw := &chunkWriter{w: w, buf: make([]byte, 0, sectionChunk)}
		if err := c.writeSnapshot(cw); err != nil {
			return fmt.Errorf("snapshot section %s: %w", c.name(), err)
		}
		if err := cw.close(); err != nil {
			return err
		}
	}
	return nil
}

// readSections fills cs from the sections in br. A section no component
// claims is an error (a newer binary wrote it); a component without a
// section starts empty (it is newer than the snapshot, so the log before
// the snapshot holds none of its records).
func readSections(br byteReader, cs []component) error {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return fmt.Errorf("snapshot sections: %w", err)
	}
	if n > 1024 {
		return fmt.Errorf("snapshot sections: implausible count %d", n)
	}
	byName := map[string]component{}
	for _, c := range cs {
		byName[c.name()] = c
	}
	for range n {
		l, err := binary.ReadUvarint(br)
		if err != nil || l > 256 {
			return fmt.Errorf("snapshot section name: length %d (%v)", l, err)
		}
		name := make([]byte, l)
		if _, err := io.ReadFull(br, name); err != nil {
			return fmt.Errorf("snapshot section name: %w", err)
		}
		c, ok := byName[string(name)]
		if !ok {
			return fmt.Errorf("snapshot section %q: unknown to this binary (written by a newer version?)", name)
		}
		delete(byName, string(name))
		cr := &chunkReader{r: br}
		if err := c.readSnapshot(cr); err != nil {
			return fmt.Errorf("snapshot section %s: %w", name, err)
		}
		if err := cr.finish(); err != nil {
			return fmt.Errorf("snapshot section %s: %w", name, err)
		}
	}
	return nil
}

type chunkWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := cap(c.buf) - len(c.buf)
		k := min(room, len(p))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == cap(c.buf) {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	var hdr [binary.MaxVarintLen64]byte
	if _, err := c.w.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(c.buf)))]); err != nil {
		return err
	}
	_, err := c.w.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

func (c *chunkWriter) close() error {
	if err := c.flush(); err != nil {
		return err
	}
	return c.w.WriteByte(0)
}

type chunkReader struct {
	r    byteReader
	left uint64 // bytes left in the current chunk
	done bool   // the terminating zero chunk was read
}

var errSectionOverrun = errors.New("read past the end of its section")

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	for c.left == 0 {
		n, err := binary.ReadUvarint(c.r)
		if err != nil {
			return 0, fmt.Errorf("section chunk header: %w", noEOF(err))
		}
		if n == 0 {
			c.done = true
			return 0, io.EOF
		}
		if n > sectionChunk {
			return 0, fmt.Errorf("section chunk of %d bytes exceeds %d", n, sectionChunk)
		}
		c.left = n
	}
	if uint64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= uint64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// finish checks that the component read its whole section.
func (c *chunkReader) finish() error {
	if c.done {
		return nil
	}
	var one [1]byte
	n, err := c.Read(one[:])
	if n > 0 {
		return fmt.Errorf("component left unread bytes: %w", errSectionOverrun)
	}
	if err == io.EOF {
		return nil
	}
	return err
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// comps returns the components of the current state.
func (e *Engine) comps() []component { return *e.components.Load() }
