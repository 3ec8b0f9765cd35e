package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unsafe"
)

// outFile is an output written to a temp file beside its destination and
// renamed into place only on success, so a failed run never leaves a
// half-written file that looks complete.
//
// Where the file system allows it, the bytes bypass the page cache
// (O_DIRECT): on the VMs hush is benchmarked on, a buffered write of
// 1 GB costs ≈ 3 CPU-s in the kernel (page allocation and copy) plus the
// fsync's wait for writeback, while direct writes of the same bytes take
// ≈ 0.6 s of device time and almost no CPU. Full blocks of directBuf
// bytes are written by a goroutine while the next block fills, so the
// device works beside the caller; the last partial block goes out
// without O_DIRECT at commit. Where O_DIRECT is refused the file is
// written through the page cache as before, with writeback hints.
type outFile struct {
	path string
	f    *os.File

	direct bool   // f is open with O_DIRECT
	buf    []byte // aligned; the bytes not yet handed to a write
	spare  []byte // the other aligned buffer (nil while its write runs)
	off    int64  // file offset of buf[0]
	flight chan flightResult
	err    error // sticky: the first failed write

	// Writeback (page-cache mode): every writebackEvery bytes that reach
	// the file, the kernel is asked to start writing them to disk.
	// Otherwise a big output stays dirty in the page cache (the kernel
	// starts on its own only at 10 % of memory) and the fsync in commit
	// waits for all of it at the end: ≈ 1 s for the 0.9 GB of a 10M-row
	// scrub.
	written, hinted int64
	writebackEvery  int64
}

type flightResult struct {
	buf []byte
	off int64
	err error
}

const (
	defaultWritebackEvery = 32 << 20
	// directAlign is the alignment O_DIRECT wants of buffer addresses,
	// lengths and file offsets: the logical block size, 512 or 4096 on
	// the devices hush runs on.
	directAlign = 4096
	// directBuf is the size of each of the two buffers: big enough that
	// the device sees large requests, small enough to stay cheap.
	directBuf = 4 << 20
	// pageBuf is the buffer of page-cache mode.
	pageBuf = 1 << 20
)

func createOut(path string) (*outFile, error) {
	if path == "" {
		return nil, nil
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, &userError{fmt.Errorf("cannot write %s: %w", path, err)}
	}
	o := &outFile{path: path, f: f, writebackEvery: defaultWritebackEvery}
	o.direct = setDirect(f, true) == nil
	size := pageBuf
	if o.direct {
		size = directBuf
	}
	o.buf = alignedBuf(size)
	return o, nil
}

// alignedBuf returns an empty slice of capacity n whose first byte is
// directAlign-aligned.
func alignedBuf(n int) []byte {
	b := make([]byte, n+directAlign)
	skip := int(-uintptr(unsafe.Pointer(&b[0])) & (directAlign - 1))
	return b[skip : skip : skip+n]
}

func (o *outFile) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n := 0
	for len(p) > 0 {
		c := copy(o.buf[len(o.buf):cap(o.buf)], p)
		o.buf = o.buf[:len(o.buf)+c]
		p, n = p[c:], n+c
		if len(o.buf) == cap(o.buf) {
			if err := o.flushFull(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flushFull hands the full buffer to a write and continues in the other.
func (o *outFile) flushFull() error {
	if !o.direct {
		// Page-cache mode: write here, and hint writeback.
		err := o.writeAt(o.buf, o.off)
		o.off += int64(len(o.buf))
		o.buf = o.buf[:0]
		if err == nil && o.off-o.hinted >= o.writebackEvery {
			startWriteback(o.f, o.hinted, o.off-o.hinted)
			o.hinted = o.off
		}
		return o.fail(err)
	}
	if err := o.wait(); err != nil {
		return err
	}
	if o.spare == nil {
		o.spare = alignedBuf(cap(o.buf))
	}
	full, off := o.buf, o.off
	o.buf, o.spare = o.spare[:0], nil
	o.off += int64(len(full))
	o.flight = make(chan flightResult, 1)
	go func(f *os.File, ch chan<- flightResult) {
		ch <- flightResult{full, off, writeAll(f, full, off)}
	}(o.f, o.flight)
	return nil
}

// wait waits for the write in flight, if any.
func (o *outFile) wait() error {
	if o.flight == nil {
		return o.err
	}
	r := <-o.flight
	o.flight = nil
	err := r.err
	if err != nil && errors.Is(err, errInvalid) {
		// The file system does not do O_DIRECT after all (some accept
		// the flag and refuse the writes): go on through the page cache.
		err = o.writeAt(r.buf, r.off)
	}
	o.spare = r.buf[:0]
	return o.fail(err)
}

func (o *outFile) fail(err error) error {
	if err != nil && o.err == nil {
		o.err = err
	}
	return o.err
}

// writeAt writes all of b at off. A direct write the file system turns
// down (EINVAL: it does not do O_DIRECT after all) is retried through
// the page cache, and the file stays in that mode.
func (o *outFile) writeAt(b []byte, off int64) error {
	err := writeAll(o.f, b, off)
	if err != nil && o.direct && errors.Is(err, errInvalid) {
		if setDirect(o.f, false) == nil {
			o.direct = false
			err = writeAll(o.f, b, off)
		}
	}
	return err
}

// writeAll writes all of b at off.
func writeAll(f *os.File, b []byte, off int64) error {
	for len(b) > 0 {
		n, err := f.WriteAt(b, off)
		if err != nil {
			return err
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

func (o *outFile) writer() io.Writer {
	if o == nil {
		return nil
	}
	return o
}

// commit writes what is buffered, syncs and renames the file into place.
func (o *outFile) commit() error {
	if o == nil {
		return nil
	}
	err := o.finish()
	err = errors.Join(err, o.f.Sync(), o.f.Close())
	if err == nil {
		err = os.Rename(o.f.Name(), o.path)
	}
	if err != nil {
		os.Remove(o.f.Name())
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	return nil
}

// finish writes the buffered rest: its whole blocks as they are, the
// last partial block without O_DIRECT (which cannot write it).
func (o *outFile) finish() error {
	if err := o.wait(); err != nil {
		return err
	}
	rest := o.buf
	if o.direct {
		whole := len(rest) &^ (directAlign - 1)
		if err := o.fail(o.writeAt(rest[:whole], o.off)); err != nil {
			return err
		}
		rest, o.off = rest[whole:], o.off+int64(whole)
		if len(rest) > 0 {
			if err := setDirect(o.f, false); err != nil {
				return o.fail(err)
			}
			o.direct = false
		}
	}
	err := o.writeAt(rest, o.off)
	o.off += int64(len(rest))
	o.buf = o.buf[:0]
	return o.fail(err)
}

// discard removes the temp file of a failed run.
func (o *outFile) discard() {
	if o == nil {
		return
	}
	o.wait()
	o.f.Close()
	os.Remove(o.f.Name())
}
