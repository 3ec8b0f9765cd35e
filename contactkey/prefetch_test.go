package contactkey

import (
	"testing"
	"unsafe"
)

// prefetch only hints: any addresses, even nil, odd or unmapped ones, leave
// memory as it was and do not fault.
func TestPrefetchChangesNothing(t *testing.T) {
	buf := make([]uint64, 4096)
	for i := range buf {
		buf[i] = uint64(i) * 3
	}
	for _, tc := range []struct {
		name  string
		addrs []uintptr
	}{
		{"none", nil},
		{"one", []uintptr{uintptr(unsafe.Pointer(&buf[0]))}},
		{"many", func() []uintptr {
			var a []uintptr
			for i := 0; i < len(buf); i += 37 {
				a = append(a, uintptr(unsafe.Pointer(&buf[i])))
			}
			return a
		}()},
		{"nil, odd and unmapped", []uintptr{0, 1, ^uintptr(0) &^ 4095, 1 << 47}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefetch(tc.addrs)
			for i, v := range buf {
				if v != uint64(i)*3 {
					t.Fatalf("buf[%d] = %d after prefetch, want %d", i, v, i*3)
				}
			}
		})
	}
}
