package redisstream

import (
	"testing"

	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal"
)

func TestConformanceSingle(t *testing.T) {
	journal.RunConformance(t, conformanceOpener(Options{URL: singleURL(t)}))
}

// Small entries: every multi-record Append of the suite is split into
// several stream entries, which must still be all-or-nothing and dense.
func TestConformanceSmallEntries(t *testing.T) {
	url := singleURL(t)
	open := conformanceOpener(Options{URL: url})
	journal.RunConformance(t, func(t *testing.T, dir string) journal.Journal {
		j := open(t, dir).(*Journal)
		j.entrySize = 1
		return j
	})
}

func TestConformanceCluster(t *testing.T) {
	addrs := redistest.StartCluster(t, 3)
	journal.RunConformance(t, conformanceOpener(Options{ClusterAddrs: addrs}))
}
