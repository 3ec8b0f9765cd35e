//go:build !race

package contactkey

const raceEnabled = false
