package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// rawPair is a connected pair over loopback: the accepted side through
// fastListener (a rawConn), the dialled side a plain TCPConn.
func rawPair(t *testing.T) (server net.Conn, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fl := fastListener(ln)
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := fl.Accept()
		ch <- res{c, err}
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, ok := r.c.(*rawConn); !ok {
		t.Fatalf("accepted %T, want *rawConn", r.c)
	}
	t.Cleanup(func() { r.c.Close(); client.Close() })
	return r.c, client
}

func TestRawConn(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB: many times the socket buffers
	tests := []struct {
		name string
		run  func(t *testing.T, srv, cli net.Conn)
	}{
		{"read what the peer wrote", func(t *testing.T, srv, cli net.Conn) {
			go cli.Write([]byte("hello"))
			buf := make([]byte, 16)
			n, err := io.ReadAtLeast(srv, buf, 5)
			if err != nil || string(buf[:n]) != "hello" {
				t.Fatalf("read %q, %v", buf[:n], err)
			}
		}},
		{"write larger than the send buffer to a slow reader", func(t *testing.T, srv, cli net.Conn) {
			got := make(chan []byte, 1)
			go func() {
				time.Sleep(50 * time.Millisecond) // the writer fills the buffers and waits for the poller
				b, _ := io.ReadAll(cli)
				got <- b
			}()
			n, err := srv.Write(big)
			if err != nil || n != len(big) {
				t.Fatalf("wrote %d of %d: %v", n, len(big), err)
			}
			srv.Close()
			if b := <-got; !bytes.Equal(b, big) {
				t.Fatalf("peer read %d bytes, not what was written", len(b))
			}
		}},
		{"EOF when the peer closes", func(t *testing.T, srv, cli net.Conn) {
			cli.Close()
			n, err := srv.Read(make([]byte, 8))
			if n != 0 || err != io.EOF {
				t.Fatalf("read %d, %v; want 0, io.EOF", n, err)
			}
		}},
		{"empty read and write", func(t *testing.T, srv, cli net.Conn) {
			if n, err := srv.Read(nil); n != 0 || err != nil {
				t.Fatalf("Read(nil) = %d, %v", n, err)
			}
			if n, err := srv.Write(nil); n != 0 || err != nil {
				t.Fatalf("Write(nil) = %d, %v", n, err)
			}
		}},
		{"read deadline is a timeout net.Error with Op read", func(t *testing.T, srv, cli net.Conn) {
			srv.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := srv.Read(make([]byte, 8))
			var ne net.Error
			var oe *net.OpError
			if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &oe) || oe.Op != "read" {
				t.Fatalf("err %#v: want a timeout *net.OpError with Op read", err)
			}
			// A deadline in the past fails at once (net/http's abortPendingRead).
			srv.SetReadDeadline(time.Unix(1, 0))
			if _, err := srv.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("past deadline: %v", err)
			}
			// And clearing it reads again.
			srv.SetReadDeadline(time.Time{})
			go cli.Write([]byte("x"))
			if n, err := srv.Read(make([]byte, 8)); n != 1 || err != nil {
				t.Fatalf("after clearing the deadline: %d, %v", n, err)
			}
		}},
		{"write deadline while the peer does not read", func(t *testing.T, srv, cli net.Conn) {
			srv.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
			n, err := srv.Write(big)
			if !errors.Is(err, os.ErrDeadlineExceeded) || n >= len(big) {
				t.Fatalf("wrote %d, %v; want a partial write and a deadline error", n, err)
			}
		}},
		{"use after close", func(t *testing.T, srv, cli net.Conn) {
			srv.Close()
			if _, err := srv.Read(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("read after close: %v", err)
			}
			if _, err := srv.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("write after close: %v", err)
			}
		}},
		{"write to a reset connection", func(t *testing.T, srv, cli net.Conn) {
			cli.(*net.TCPConn).SetLinger(0)
			cli.Close() // RST
			var err error
			for i := 0; i < 100 && err == nil; i++ {
				_, err = srv.Write([]byte("x"))
			}
			var oe *net.OpError
			if !errors.As(err, &oe) || oe.Op != "write" {
				t.Fatalf("err %v: want an *net.OpError with Op write", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := rawPair(t)
			tc.run(t, srv, cli)
		})
	}
}

// Non-TCP listeners are passed through as they are.
func TestFastListenerOnlyWrapsTCP(t *testing.T) {
	ln, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if fastListener(ln) != ln {
		t.Fatal("a unix listener was wrapped")
	}
}

// The server answers over rawConn: keep-alive requests on one connection
// and a response larger than the socket buffers.
func TestServeOverRawConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("z"), 8<<20)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(body)
			return
		}
		io.WriteString(w, "ok "+r.URL.Query().Get("i"))
	})}
	go srv.Serve(fastListener(ln))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	for i := range 50 {
		res, err := cl.Get("http://" + ln.Addr().String() + "/?i=" + string(rune('a'+i%26)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if want := "ok " + string(rune('a'+i%26)); string(b) != want {
			t.Fatalf("request %d: %q, want %q", i, b, want)
		}
	}
	res, err := cl.Get("http://" + ln.Addr().String() + "/big")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(b, body) {
		t.Fatalf("big answer: %d bytes, want %d", len(b), len(body))
	}
}
