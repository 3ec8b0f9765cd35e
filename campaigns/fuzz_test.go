package campaigns

import "testing"

// FuzzParseCap: never panics; what parses prints back to itself.
func FuzzParseCap(f *testing.F) {
	for _, s := range []string{"2/7d:call:direct_marketing", "4/30d", "1/1d:sms", "3/14d:any:service", "0/7d", "2/7", "x/yd", "1/1d:a:b:c", "999999999999999999999/1d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCap(s)
		if err != nil {
			return
		}
		again, err := ParseCap(c.String())
		if err != nil || again != c {
			t.Fatalf("ParseCap(%q) = %+v, but its String %q reads back as %+v, %v", s, c, c.String(), again, err)
		}
	})
}

// FuzzParseSchedule: never panics; an accepted cron schedule has a next
// run or says it has none.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"once", "once@2026-12-24T09:00:00Z", "0 9 * * 1", "@daily", "*/15 8-20 * * *", "0 9 * *", "61 * * * *", "@every 1h", "once@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sch, err := ParseSchedule(s)
		if err != nil {
			return
		}
		if sch.Cron == nil && !sch.Once {
			t.Fatalf("ParseSchedule(%q): neither once nor cron", s)
		}
	})
}
