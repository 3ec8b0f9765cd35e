package stream

// Line copies the 64 bytes at src to dst with non-temporal stores. Other
// goroutines may read dst only after Fence, then a synchronisation (a
// channel, a WaitGroup, a mutex).
//
//go:noescape
func Line(dst, src *[8]uint64)

// Fence orders the non-temporal stores before it ahead of every store
// after it (SFENCE).
func Fence()
