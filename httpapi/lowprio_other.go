//go:build !linux

package httpapi

// lowerThreadPriority does nothing where thread priorities are not set.
func lowerThreadPriority() {}

// yieldCore does nothing where it is not implemented.
func yieldCore() {}
