package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// Memory stays bounded whatever the stream's size: a 110 MB stream with
// big rows, over-long lines and an unbalanced quote goes through io.Pipe,
// and neither the reader's buffer nor a batch's arena grows past the
// record limit (plus the fixed buffer).
func TestBoundedMemoryOnLargeStream(t *testing.T) {
	const limit = 1 << 20
	const rows = 1_500_000
	pr, pw := io.Pipe()
	go func() {
		var b bytes.Buffer
		b.WriteString("customer,phone,email,address\n")
		big := bytes.Repeat([]byte("A"), limit-64) // fits
		huge := bytes.Repeat([]byte("Z"), 3*limit) // too long
		for i := 0; i < rows; i++ {
			switch {
			case i%400_000 == 1:
				fmt.Fprintf(&b, "C%d,1,e@x,%s\n", i, big)
			case i%400_000 == 2:
				fmt.Fprintf(&b, "C%d,1,e@x,%s\n", i, huge)
			case i%400_000 == 3:
				fmt.Fprintf(&b, "C%d,1,e@x,\"never closed\n", i)
			default:
				fmt.Fprintf(&b, "C%d,+8613800%06d,user%d@example.com,%d Nanjing Road\n", i, i%1000000, i, i)
			}
			if b.Len() > 1<<20 {
				if _, err := pw.Write(b.Bytes()); err != nil {
					return
				}
				b.Reset()
			}
		}
		pw.Write(b.Bytes())
		pw.Close()
	}()
	r, err := NewReader(pr, "stream.csv", Options{Header: true, MaxRecordBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	bound := max(bufSize, limit+2)
	var b Batch
	n, bad, maxArena := 0, 0, 0
	for {
		err := r.ReadBatch(&b, 8192)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < b.Len(); i++ {
			if row := b.Row(i); row.Err != nil {
				bad++
				if !errors.Is(row.Err, ErrRecordTooLong) && !errors.Is(row.Err, ErrUnbalancedQuote) {
					t.Fatalf("unexpected %v", row.Err)
				}
			}
		}
		n += b.Len()
		maxArena = max(maxArena, cap(b.arena))
		if cap(r.buf) > bound {
			t.Fatalf("reader buffer %d > bound %d", cap(r.buf), bound)
		}
	}
	if n != rows || bad != 8 {
		t.Fatalf("%d rows (%d bad), want %d (8 bad)", n, bad, rows)
	}
	if maxArena > 2*(batchArenaLimit+limit) {
		t.Fatalf("batch arena grew to %d", maxArena)
	}
	st := r.Stats()
	t.Logf("%d MB streamed; reader buffer %d KiB; largest arena %d KiB", st.Bytes>>20, cap(r.buf)>>10, maxArena>>10)
	if st.Bytes < 100<<20 {
		t.Fatalf("only %d bytes streamed", st.Bytes)
	}
}
