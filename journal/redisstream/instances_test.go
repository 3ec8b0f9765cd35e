package redisstream

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
)

func TestAdvertiseAndLookUpInstances(t *testing.T) {
	sock := redistest.Start(t)
	ctx := context.Background()
	j, err := Open(ctx, Options{URL: "unix://" + sock, Namespace: "inst"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	const ttl = 200 * time.Millisecond
	stop, err := j.Advertise(ctx, "a1", "http://10.0.0.1:8080", ttl)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * ttl) // renewed meanwhile
	if url, err := j.InstanceURL(ctx, "a1"); err != nil || url != "http://10.0.0.1:8080" {
		t.Fatalf("InstanceURL: %q %v", url, err)
	}
	if _, err := j.InstanceURL(ctx, "b2"); !errors.Is(err, ErrUnknownInstance) {
		t.Fatalf("unknown instance: %v", err)
	}
	stop()
	if _, err := j.InstanceURL(ctx, "a1"); !errors.Is(err, ErrUnknownInstance) {
		t.Fatalf("after stop: %v, want ErrUnknownInstance", err)
	}
}
