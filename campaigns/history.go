package campaigns

import (
	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/hushcrm/hush/suppression"
)

// Contact is one sent run in the contact history: who was contacted on
// which day, on which channel, for which purpose, by which campaign run.
type Contact struct {
	Run      uint64
	Campaign string
	Day      int32 // days since 1970-01-01, UTC
	Channel  suppression.Channel
	Purpose  string
	// Customers is never changed once recorded.
	Customers *roaring64.Bitmap
}

// History is the contact history, oldest first. It is append-only:
// readers holding an earlier History (a slice header) keep seeing the
// prefix they had.
type History []Contact

// Capped returns the customers that reached c on day: Max or more
// contacts matching c's channel and purpose on days day-Days+1..day.
func (h History) Capped(c Cap, day int32) *roaring64.Bitmap {
	// levels[k]: customers with at least k+1 matching contacts so far.
	levels := make([]*roaring64.Bitmap, c.Max)
	for i := range levels {
		levels[i] = roaring64.NewBitmap()
	}
	from := day - int32(c.Days) + 1
	for _, ct := range h {
		if ct.Day < from || ct.Day > day {
			continue
		}
		if c.Channel != 0 && ct.Channel != c.Channel {
			continue
		}
		if c.Purpose != "" && ct.Purpose != c.Purpose {
			continue
		}
		for k := c.Max - 1; k >= 1; k-- {
			levels[k].Or(roaring64.And(levels[k-1], ct.Customers))
		}
		levels[0].Or(ct.Customers)
	}
	return levels[c.Max-1]
}

// Sent reports whether a run has been recorded as sent.
func (h History) Sent(run uint64) bool {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Run == run {
			return true
		}
	}
	return false
}
