package redisstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/hushcrm/hush/internal/redistest"
	"github.com/hushcrm/hush/journal"
)

// nsFor maps a conformance dir to a namespace, so reopening a dir reopens
// the same log.
func nsFor(dir string) string {
	h := sha256.Sum256([]byte(dir))
	return "t" + hex.EncodeToString(h[:6])
}

func openT(t testing.TB, o Options) *Journal {
	t.Helper()
	j, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open(%s): %v", o.URL, err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// singleURL starts a private Redis for the test and returns its URL.
func singleURL(t testing.TB) string {
	return "unix://" + redistest.Start(t)
}

func conformanceOpener(base Options) func(t *testing.T, dir string) journal.Journal {
	return func(t *testing.T, dir string) journal.Journal {
		o := base
		o.Namespace = nsFor(dir)
		j, err := Open(context.Background(), o)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return j
	}
}

func startServer(t testing.TB, args ...string) *redistest.Server {
	return redistest.StartServer(t, redistest.Config{Args: args})
}

func clusterAddrs(t *testing.T) []string {
	t.Helper()
	return redistest.StartCluster(t, 3)
}
