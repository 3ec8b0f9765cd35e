//go:build !linux

package httpapi

import "net"

// fastListener is the listener itself outside Linux (rawconn_linux.go).
func fastListener(ln net.Listener) net.Listener { return ln }
