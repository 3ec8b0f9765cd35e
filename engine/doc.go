// Package engine owns hush's state and is the only way to change it.
//
// One writer goroutine takes commands, writes them to the journal as records
// (log first: a change is acknowledged only once it is durable, and
// concurrent commands share one append and one fsync), then applies them to
// the in-memory suppression store in log order. Readers — live checks,
// scrubs — read the published store under a read lock and are never held up
// by the heavy part of a bulk import, which is staged outside the lock and
// published by a pointer swap.
//
// Recovery is the newest valid snapshot, then a replay of the log after it.
// Because state is a pure function of the record sequence, replaying the same
// log always gives byte-identical snapshots.
//
// The engine gets its journal.Journal from the caller and never imports a
// backend.
package engine
