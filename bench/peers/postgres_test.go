package peers

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTimings(t *testing.T) {
	out := "@step load campaign\nTime: 1500 ms (00:01.500)\nTime: 500 ms\n@step normalise\nSELECT 10\nTime: 2000.000 ms (00:02.000)\n@step empty\n"
	want := []StepTime{{"load campaign", 2}, {"normalise", 2}, {"empty", 0}}
	if got := parseTimings(out); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseTimings = %+v, want %+v", got, want)
	}
	if got := parseTimings("Time: 5 ms\nnoise\n"); len(got) != 0 {
		t.Errorf("times before any step: %+v", got)
	}
}

func FuzzParseTimings(f *testing.F) {
	f.Add("@step a\nTime: 1 ms\n")
	f.Add("Time: x ms\n@step \nTime: 1e400 ms")
	f.Fuzz(func(t *testing.T, s string) {
		steps := parseTimings(s)
		if len(steps) > strings.Count(s, "@step ") {
			t.Fatalf("%d steps from %d markers", len(steps), strings.Count(s, "@step "))
		}
	})
}
