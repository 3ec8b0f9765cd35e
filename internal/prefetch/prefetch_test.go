package prefetch

import (
	"testing"
	"unsafe"
)

// Prefetches only hint: any addresses, even nil, odd or unmapped ones,
// leave memory as it was and do not fault.
func TestPrefetchChangesNothing(t *testing.T) {
	buf := make([]uint64, 4096)
	for i := range buf {
		buf[i] = uint64(i) * 3
	}
	for _, fn := range []struct {
		name string
		f    func([]uintptr)
	}{{"Lines", Lines}, {"Spans24", Spans24}} {
		for _, tc := range []struct {
			name  string
			addrs []uintptr
		}{
			{"none", nil},
			{"one", []uintptr{uintptr(unsafe.Pointer(&buf[0]))}},
			{"last word", []uintptr{uintptr(unsafe.Pointer(&buf[len(buf)-1]))}},
			{"many", func() []uintptr {
				var a []uintptr
				for i := 0; i < len(buf); i += 37 {
					a = append(a, uintptr(unsafe.Pointer(&buf[i])))
				}
				return a
			}()},
			{"nil, odd and unmapped", []uintptr{0, 1, ^uintptr(0) &^ 4095, 1 << 47}},
		} {
			t.Run(fn.name+"/"+tc.name, func(t *testing.T) {
				fn.f(tc.addrs)
				for i, v := range buf {
					if v != uint64(i)*3 {
						t.Fatalf("buf[%d] = %d after %s, want %d", i, v, fn.name, i*3)
					}
				}
			})
		}
	}
}
