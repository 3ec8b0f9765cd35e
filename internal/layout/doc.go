// Package layout holds the test that enforces DESIGN.md's import rules over
// the whole module (by reading `go list`). It has no code of its own.
package layout
