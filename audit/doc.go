// Package audit keeps the access log as a hash chain: every entry's hash
// covers the entry and the hash before it, so an entry changed, removed or
// reordered after the fact breaks every hash after it. Anyone who noted a
// head hash can later check that the log still leads to it.
package audit
