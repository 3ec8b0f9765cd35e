package main

import (
	"strings"
	"time"

	"github.com/hushcrm/hush/campaigns"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/suppression"
)

// callingWindowReasons: for a call at a given time, each phone whose
// local time (in every time zone of its number) is outside calling hours
// gives reason outside_calling_window with the local times in Detail.
func callingWindowReasons(ch suppression.Channel, keys []contactkey.Key, at time.Time, rules campaigns.Rules) []reasonJSON {
	if ch != suppression.Call {
		return nil
	}
	var out []reasonJSON
	for _, k := range keys {
		if k.Kind != contactkey.KindPhone {
			continue
		}
		zones := engine.PhoneZones(k.V)
		if rules.InCallingHours(zones, at) {
			continue
		}
		var local []string
		for _, z := range zones {
			if loc, err := time.LoadLocation(z); err == nil {
				local = append(local, at.In(loc).Format("15:04 MST")+" "+z)
			} else {
				local = append(local, z+" (unknown time zone)")
			}
		}
		out = append(out, reasonJSON{Code: campaigns.ReasonOutsideWindow, Key: "phone", Detail: "local time " + strings.Join(local, ", ")})
	}
	return out
}
