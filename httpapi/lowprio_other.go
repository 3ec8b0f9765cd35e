//go:build !linux

package httpapi

// lowerThreadPriority does nothing where thread priorities are not set.
func lowerThreadPriority() {}
