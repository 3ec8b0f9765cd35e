package bench

import "testing"

func BenchmarkAppendRow(b *testing.B) {
	g, err := NewGenerator(NewScenario(1, 1<<40, 1, DefaultHit, DefaultInvalid))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var buf []byte
	var n int64
	for i := 0; b.Loop(); i++ {
		buf, _ = g.AppendRow(buf[:0], int64(i))
		n += int64(len(buf))
	}
	b.SetBytes(n / int64(b.N))
}

func BenchmarkAppendListLine(b *testing.B) {
	g, err := NewGenerator(NewScenario(1, 0, 1, DefaultHit, DefaultInvalid))
	if err != nil {
		b.Fatal(err)
	}
	for li, l := range g.Scenario().Lists {
		b.Run(l.Name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for i := 0; b.Loop(); i++ {
				buf = g.AppendListLine(buf[:0], li, int64(i))
			}
		})
	}
}
