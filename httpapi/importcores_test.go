package httpapi

import (
	"runtime"
	"testing"
)

func TestImportCoresRaisesAndRestores(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(orig)
	for _, tc := range []struct {
		name        string
		procs       int
		wantDuring  int
		wantWorkers int
	}{
		{"one P gets a second while imports run", 1, 2, 1},
		{"two Ps are left alone", 2, 2, 1},
		{"four Ps are left alone", 4, 4, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GOMAXPROCS(tc.procs)
			var c importCores
			if w := c.acquire(); w != tc.wantWorkers {
				t.Fatalf("first import: %d workers, want %d", w, tc.wantWorkers)
			}
			if w := c.acquire(); w != tc.wantWorkers { // overlapping import
				t.Fatalf("second import: %d workers, want %d", w, tc.wantWorkers)
			}
			if got := runtime.GOMAXPROCS(0); got != tc.wantDuring {
				t.Fatalf("during imports GOMAXPROCS %d, want %d", got, tc.wantDuring)
			}
			c.release()
			if got := runtime.GOMAXPROCS(0); got != tc.wantDuring {
				t.Fatalf("one import still running: GOMAXPROCS %d, want %d", got, tc.wantDuring)
			}
			c.release()
			if got := runtime.GOMAXPROCS(0); got != tc.procs {
				t.Fatalf("after the imports GOMAXPROCS %d, want %d again", got, tc.procs)
			}
		})
	}
}
