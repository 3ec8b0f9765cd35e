package redisstream

import (
	"strings"
	"testing"
	"time"
)

func TestClientLogIsRateLimitedPerKind(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	l := &rateLimitedLog{last: map[string]time.Time{}, held: map[string]int{}, now: func() time.Time { return now }}
	dial := "redis: connection pool: failed to dial after %d attempts: %v"
	steps := []struct {
		advance time.Duration
		format  string
		want    string // "" when held back
	}{
		{0, dial, "go-redis: redis: connection pool: failed to dial after 5 attempts: refused"},
		{time.Second, dial, ""},
		{time.Second, "other %d attempts: %v", "go-redis: other 5 attempts: refused"},
		{time.Second, dial, ""},
		{10 * time.Second, dial, "(and 2 more like it in the last 13s)"},
		{time.Second, dial, ""},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		line, ok := l.admit(s.format, []any{5, "refused"})
		if s.want == "" {
			if ok {
				t.Fatalf("step %d: %q let through, want it held back", i, line)
			}
			continue
		}
		if !ok || !strings.Contains(line, s.want) {
			t.Fatalf("step %d: %q (out %v), want it to contain %q", i, line, ok, s.want)
		}
	}
}

func TestClientLogWithoutSinkDrops(t *testing.T) {
	clientLogSink.Store(nil)
	clientLog.Printf(t.Context(), "redis: %s", "nobody listens") // must not panic
	var got []string
	routeClientLog(func(s string) { got = append(got, s) })
	defer clientLogSink.Store(nil)
	clientLog.Printf(t.Context(), "redis: test-only note %s", "x")
	if len(got) != 1 || !strings.Contains(got[0], "test-only note x") {
		t.Fatalf("routed lines %q", got)
	}
}
