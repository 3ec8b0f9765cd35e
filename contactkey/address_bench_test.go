package contactkey

import "testing"

// campaignAddresses are address cells as the 10M-row scrub benchmark's
// campaign file has them (upper, lower and mixed case, commas, double
// spaces).
var campaignAddresses = []string{
	"2127 Congress Str Boise Id 83713",
	"3228 DOBSON RD RANCHO CUCAMONGA CA 91767",
	"80 E. Magazine Ct, Madison, Wi 53766",
	"399 MAIN CT, DENVER,  CO 80218",
	"1450 northwest expressway apt 12, oklahoma city ok 73118",
	"77 Saint Mary's Avenue, Suite 300, San Francisco, CA 94110",
}

// BenchmarkAddressHash is Key for a campaign's address cells, one op a cell.
func BenchmarkAddressHash(b *testing.B) {
	n := mustNormalizer(b, "US")
	h, _ := NewHasher(testSecret())
	raws := make([][]byte, len(campaignAddresses))
	for i, s := range campaignAddresses {
		raws[i] = []byte(s)
	}
	b.ReportAllocs()
	var sink uint64
	i := 0
	for b.Loop() {
		k, err := n.Key(KindAddress, raws[i], h)
		if err != nil {
			b.Fatal(err)
		}
		sink += k.V
		if i++; i == len(raws) {
			i = 0
		}
	}
	_ = sink
}
