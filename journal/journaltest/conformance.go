package journaltest

import (
	"sync"
	"testing"

	"github.com/hushcrm/hush/journal"
)

// Opener returns an open function for journal.RunConformance: one Store
// per dir, so opening a dir again after Close finds what was written
// there.
func Opener() func(t *testing.T, dir string) journal.Journal {
	var mu sync.Mutex
	stores := map[string]*Store{}
	return func(_ *testing.T, dir string) journal.Journal {
		mu.Lock()
		defer mu.Unlock()
		s, ok := stores[dir]
		if !ok {
			s = NewStore()
			stores[dir] = s
		}
		return s.Open()
	}
}
