package redisstream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// go-redis prints its own notes (a dial that failed, a connection pool
// retrying) to stderr through one process-wide logger. While Redis is down
// they repeat on every retry of every connection and bury the service's
// own log, which already says what matters (503s, /readyz, SyncState).
// The journal routes them to the Logger of the last journal opened with
// one, at most one line per kind of note every clientLogEvery, with the
// count of the ones held back; with no Logger they are dropped.
const clientLogEvery = 10 * time.Second

var (
	clientLogOnce sync.Once
	clientLogSink atomic.Pointer[func(string)]
	clientLog     = &rateLimitedLog{last: map[string]time.Time{}, held: map[string]int{}, now: time.Now}
)

// routeClientLog installs the logger (once) and points it at logf.
func routeClientLog(logf func(string)) {
	clientLogOnce.Do(func() { redis.SetLogger(clientLog) })
	if logf != nil {
		clientLogSink.Store(&logf)
	}
}

type rateLimitedLog struct {
	mu   sync.Mutex
	last map[string]time.Time // by format string: when a line of it was last let through
	held map[string]int       // lines of it held back since
	now  func() time.Time
}

// Printf implements go-redis's internal.Logging.
func (l *rateLimitedLog) Printf(_ context.Context, format string, v ...any) {
	sink := clientLogSink.Load()
	if sink == nil {
		return
	}
	if line, ok := l.admit(format, v); ok {
		(*sink)(line)
	}
}

// admit says whether a line of format goes out now, and what it says.
func (l *rateLimitedLog) admit(format string, v []any) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if at, ok := l.last[format]; ok && now.Sub(at) < clientLogEvery {
		l.held[format]++
		return "", false
	}
	line := "go-redis: " + fmt.Sprintf(format, v...)
	if n := l.held[format]; n > 0 {
		line += fmt.Sprintf(" (and %d more like it in the last %s)", n, now.Sub(l.last[format]).Round(time.Second))
	}
	l.last[format], l.held[format] = now, 0
	return line, true
}
