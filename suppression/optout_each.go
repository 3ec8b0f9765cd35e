package suppression

import "github.com/hushcrm/hush/contactkey"

// EachOptOutEvent calls fn for every opt-out and opt-in event with its
// subject's kind, in no particular order (a report sorts). It needs the
// engine's read lock.
func (s *Store) EachOptOutEvent(fn func(kind contactkey.Kind, ev OptEvent)) {
	for k, evs := range s.optouts {
		for _, ev := range evs {
			fn(k.Kind, ev)
		}
	}
}

// Covers reports whether the event speaks about (c, purpose).
func (e *OptEvent) Covers(c Channel, purpose string) bool { return e.covers(c, purpose) }
