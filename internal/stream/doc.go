// Package stream writes whole cache lines past the caches.
//
// rfm's one-shot tally deals events into hundreds of waiting rooms at
// once (rooms far larger than the caches). An ordinary store to a line
// that is not cached first reads the line from memory (read for
// ownership), and with hundreds of rooms filling, every fourth event
// waits for one. Events are staged in a cached 64-byte line per room and
// each full line is written with non-temporal stores, which write it
// without reading it first.
//
// Go has no intrinsic for non-temporal stores, so on amd64 this is a few
// lines of assembly (MOVNTI, then SFENCE before another goroutine reads
// what was written); elsewhere Line is a plain copy and Fence does
// nothing, which is correct and only slower.
package stream
