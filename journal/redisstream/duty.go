package redisstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Duty is work that one instance of a fleet must do and only one: the
// campaign schedule, whose every due run hands a final list to delivery.
// It is a lease in Redis (the holder's token with a TTL, renewed in the
// background while held) with a note beside it that outlives holders, so
// the next holder knows where the last one got to. An instance that dies
// stops renewing; another takes the duty once the TTL runs out.
//
//	{ns}:duty:NAME        the holder's token (SET PX, renewed every TTL/3)
//	{ns}:duty:NAME:note   the holders' note (no TTL)
type Duty struct {
	j       *Journal
	name    string
	ttl     time.Duration
	key     string
	noteKey string

	mu      sync.Mutex
	renewer *renewer // set while held
}

type renewer struct {
	stop, done chan struct{}
}

// ErrDutyLost: the duty is not (or no longer) held by this instance.
var ErrDutyLost = errors.New("the duty is held by another instance")

// Duty returns the named duty of this journal's namespace; ttl is how long
// the fleet waits for a holder that stopped renewing.
func (j *Journal) Duty(name string, ttl time.Duration) *Duty {
	p := "{" + j.opts.namespace() + "}:duty:" + name
	return &Duty{j: j, name: name, ttl: ttl, key: p, noteKey: p + ":note"}
}

// dutyHoldScript takes the duty if free, or extends it if ours, and
// returns the note. KEYS: duty, note. ARGV: token, ttl ms.
var dutyHoldScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, redis.call('GET', KEYS[2]) or ''}
end
return {0, ''}
`)

// dutyNoteScript sets the note only while the duty is ours.
// KEYS: duty, note. ARGV: token, note.
var dutyNoteScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0
`)

// Hold takes the duty, or extends it if this instance holds it. held is
// false while another instance holds it; note is the last note any holder
// left (empty if none).
func (d *Duty) Hold(ctx context.Context) (held bool, note string, err error) {
	res, err := dutyHoldScript.Run(ctx, d.j.c, []string{d.key, d.noteKey}, d.j.token, d.ttl.Milliseconds()).Slice()
	if err != nil {
		return false, "", fmt.Errorf("hold duty %s on %s: %w", d.name, d.j.desc, err)
	}
	if len(res) != 2 {
		return false, "", fmt.Errorf("hold duty %s on %s: unexpected reply %v", d.name, d.j.desc, res)
	}
	n, _ := res[0].(int64)
	note, _ = res[1].(string)
	d.mu.Lock()
	defer d.mu.Unlock()
	if n != 1 {
		d.stopLocked()
		return false, "", nil
	}
	if d.renewer == nil {
		r := &renewer{stop: make(chan struct{}), done: make(chan struct{})}
		d.renewer = r
		go d.renew(r)
	}
	return true, note, nil
}

// renew extends the duty every TTL/3 until stopped or lost.
func (d *Duty) renew(r *renewer) {
	defer close(r.done)
	t := time.NewTicker(max(d.ttl/3, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), d.ttl/3+time.Second)
			n, err := leaseRenewScript.Run(ctx, d.j.c, []string{d.key}, d.j.token, d.ttl.Milliseconds()).Int()
			cancel()
			if err == nil && n == 0 {
				d.j.logf("redisstream %s: duty %s was lost (not renewed within %v); another instance may hold it", d.j.desc, d.name, d.ttl)
				return
			}
			// An error is retried at the next tick; the next Hold says
			// whether the duty is still ours.
		}
	}
}

// Note stores note for the next holder, only while the duty is ours.
func (d *Duty) Note(ctx context.Context, note string) error {
	n, err := dutyNoteScript.Run(ctx, d.j.c, []string{d.key, d.noteKey}, d.j.token, note).Int()
	if err != nil {
		return fmt.Errorf("note duty %s on %s: %w", d.name, d.j.desc, err)
	}
	if n != 1 {
		return fmt.Errorf("note duty %s: %w", d.name, ErrDutyLost)
	}
	return nil
}

// Release gives the duty up at once (a clean shutdown): another instance
// may take it at its next Hold.
func (d *Duty) Release(ctx context.Context) error {
	d.Abandon()
	if err := leaseReleaseScript.Run(ctx, d.j.c, []string{d.key}, d.j.token).Err(); err != nil {
		return fmt.Errorf("release duty %s on %s: %w (it expires in %v)", d.name, d.j.desc, err, d.ttl)
	}
	return nil
}

// Abandon stops renewing without giving the duty up, as a crash does:
// another instance takes it once the TTL runs out.
func (d *Duty) Abandon() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopLocked()
}

func (d *Duty) stopLocked() {
	if r := d.renewer; r != nil {
		close(r.stop)
		<-r.done
		d.renewer = nil
	}
}
