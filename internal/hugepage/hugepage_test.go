package hugepage

import "testing"

func TestMakeIsAnOrdinaryZeroedSlice(t *testing.T) {
	for _, n := range []int{0, 1, 1000, MinBytes/8 - 1, MinBytes / 8 * 3} {
		s := Make[uint64](n)
		if len(s) != n || cap(s) != n {
			t.Fatalf("n %d: len %d cap %d", n, len(s), cap(s))
		}
		for i := range s {
			if s[i] != 0 {
				t.Fatalf("n %d: s[%d] = %d, want zeroed memory", n, i, s[i])
			}
			s[i] = uint64(i)
		}
		for i := range s {
			if s[i] != uint64(i) {
				t.Fatalf("n %d: s[%d] = %d after writing", n, i, s[i])
			}
		}
	}
}
