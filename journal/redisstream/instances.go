package redisstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// A fleet's instances say where they answer, for the requests one must
// pass to another: a job's status and files live on the instance that ran
// it, and a load balancer may send the next request anywhere.
//
//	{ns}:instance:ID   the instance's base URL (SET PX, renewed every TTL/3)

// ErrUnknownInstance: no live instance advertises that id.
var ErrUnknownInstance = errors.New("no live instance of the fleet has that id")

func (j *Journal) instanceKey(id string) string {
	return "{" + j.opts.namespace() + "}:instance:" + id
}

// Advertise publishes that instance id answers at url, for ttl, renewed in
// the background until stop is called (which removes it).
func (j *Journal) Advertise(ctx context.Context, id, url string, ttl time.Duration) (stop func(), err error) {
	key := j.instanceKey(id)
	if err := j.c.Set(ctx, key, url, ttl).Err(); err != nil {
		return nil, fmt.Errorf("advertise instance %s on %s: %w", id, j.desc, err)
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(ttl/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				// SET, not PEXPIRE: an instance whose key expired while
				// Redis was away comes back by itself.
				rctx, cancel := context.WithTimeout(context.Background(), ttl/3+time.Second)
				j.c.Set(rctx, key, url, ttl)
				cancel()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		j.c.Del(dctx, key)
	}, nil
}

// InstanceURL is where the live instance id answers.
func (j *Journal) InstanceURL(ctx context.Context, id string) (string, error) {
	url, err := j.c.Get(ctx, j.instanceKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("instance %s: %w", id, ErrUnknownInstance)
	}
	if err != nil {
		return "", fmt.Errorf("look up instance %s on %s: %w", id, j.desc, err)
	}
	return url, nil
}
