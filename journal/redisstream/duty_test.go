package redisstream

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hushcrm/hush/internal/redistest"
)

// One holder at a time; the note outlives holders; a holder that stops
// renewing (crash) loses the duty after the TTL, a released one at once;
// a background renewal keeps a live holder's duty past its TTL.
func TestDutyOneHolderAtATime(t *testing.T) {
	url := redistest.Start(t)
	ctx := context.Background()
	open := func() *Journal {
		j, err := Open(ctx, Options{URL: "unix://" + url, Namespace: "duty"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		return j
	}
	// Generous: the renewal (every ttl/3) must not miss a whole TTL on a
	// loaded test machine.
	const ttl = 2 * time.Second
	a, b := open().Duty("campaigns", ttl), open().Duty("campaigns", ttl)
	hold := func(d *Duty, want bool, wantNote string) {
		t.Helper()
		held, note, err := d.Hold(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if held != want || (held && note != wantNote) {
			t.Fatalf("Hold: held %v note %q, want %v %q", held, note, want, wantNote)
		}
	}
	hold(a, true, "")
	hold(b, false, "")
	if err := a.Note(ctx, "checked 09:00"); err != nil {
		t.Fatal(err)
	}
	if err := b.Note(ctx, "not mine"); !errors.Is(err, ErrDutyLost) {
		t.Fatalf("note by a non-holder: %v, want ErrDutyLost", err)
	}
	time.Sleep(ttl + ttl/4) // past the TTL: renewed in the background meanwhile
	hold(b, false, "")
	hold(a, true, "checked 09:00")
	a.Abandon() // a crash: no renewal, no release
	deadline := time.Now().Add(10 * time.Second)
	for {
		held, note, err := b.Hold(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if held {
			if note != "checked 09:00" {
				t.Fatalf("new holder's note %q", note)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the duty never passed on after its holder stopped renewing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	hold(a, false, "")
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	hold(a, true, "checked 09:00") // released: at once
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
