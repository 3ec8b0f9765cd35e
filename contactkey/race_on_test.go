//go:build race

package contactkey

// raceEnabled shrinks the library-heavy tests under the race detector,
// which slows libphonenumber's regexp work about tenfold.
const raceEnabled = true
