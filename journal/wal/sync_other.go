//go:build !linux

package wal

// Sync is os.File.Sync: fsync, or F_FULLFSYNC on macOS, where plain fsync
// does not reach the platter.
func (f osFile) Sync() error { return f.File.Sync() }
