package httpapi

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Connections whose reads and writes skip the Go runtime's syscall
// bookkeeping.
//
// A socket's read or write through net.Conn is a "blocking" system call
// to the runtime: it gives up its P for the call, and sysmon, polling
// every 20 µs while it keeps finding such calls, takes the P away from
// one that lasts two of its ticks and hands it to another thread
// (bench/RESULTS.md, live service). On loopback the kernel runs the
// receiver's whole TCP path and the wake-up of the load generator inside
// the sender's write (≈ 11 µs), so at 30,000+ answers per second on a
// server pinned to one core sysmon never slept longer than 20 µs, and
// the P kept moving between threads that could only run one at a time:
// ≈ 10 % of the server's CPU was sysmon and its wake-ups, more in
// context switches.
//
// The sockets are non-blocking (the runtime makes them so): a read or
// write returns at once, with data or with EAGAIN, so making the call
// without the bookkeeping never blocks the P for longer than the kernel's
// copy. Everything else stays the runtime's: the calls go through the
// descriptor's RawConn, which holds its read or write lock (the
// descriptor cannot be closed and reused meanwhile) and waits on the
// network poller, honouring deadlines, when the call would block.
// Writes are cut into chunks of at most maxRawWrite bytes so that one
// call copies a bounded amount.

const maxRawWrite = 256 << 10

// rawListener wraps a TCP listener's connections in rawConn.
type rawListener struct{ net.Listener }

func fastListener(ln net.Listener) net.Listener {
	if _, ok := ln.(*net.TCPListener); !ok {
		return ln
	}
	return rawListener{ln}
}

func (l rawListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	sc, err := tc.SyscallConn()
	if err != nil {
		return c, nil
	}
	rc := &rawConn{TCPConn: tc, sc: sc}
	rc.readFn, rc.writeFn = rc.tryRead, rc.tryWrite
	return rc, nil
}

// rawConn is a *net.TCPConn whose Read and Write make raw system calls.
// Every other method (deadlines, CloseWrite, ReadFrom for sendfile, …) is
// the TCPConn's own.
type rawConn struct {
	*net.TCPConn
	sc syscall.RawConn

	rmu     sync.Mutex // the fields below are one Read's
	rbuf    []byte
	rn      int
	rerr    syscall.Errno
	readFn  func(fd uintptr) bool
	wmu     sync.Mutex // the fields below are one Write's
	wbuf    []byte
	wn      int
	werr    syscall.Errno
	writeFn func(fd uintptr) bool
}

func (c *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rbuf, c.rn, c.rerr = p, 0, 0
	err := c.sc.Read(c.readFn)
	n, errno := c.rn, c.rerr
	c.rbuf = nil
	switch {
	case err != nil:
		return n, c.opError("read", err)
	case errno != 0:
		return n, c.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *rawConn) tryRead(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(c.rbuf))), uintptr(len(c.rbuf)))
		switch e {
		case 0:
			c.rn = int(n)
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait for the poller, then try again
		default:
			c.rerr = e
			return true
		}
	}
}

func (c *rawConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf, c.wn, c.werr = p, 0, 0
	var err error
	if len(p) > 0 {
		err = c.sc.Write(c.writeFn)
	}
	n, errno := c.wn, c.werr
	c.wbuf = nil
	switch {
	case err != nil:
		return n, c.opError("write", err)
	case errno != 0:
		return n, c.opError("write", os.NewSyscallError("write", errno))
	}
	return n, nil
}

func (c *rawConn) tryWrite(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		chunk := c.wbuf[c.wn:]
		chunk = chunk[:min(len(chunk), maxRawWrite)]
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(chunk))), uintptr(len(chunk)))
		switch e {
		case 0:
			c.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false // the send buffer is full: wait for the poller
		default:
			c.werr = e
			return true
		}
	}
	return true
}

// opError shapes errors as net.Conn's own: an *net.OpError with Op "read"
// or "write" (net/http tells a client's going away from other errors by
// it), wrapping what the poller said (deadline exceeded, closed).
func (c *rawConn) opError(op string, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		cp := *oe
		cp.Op = op
		return &cp
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
