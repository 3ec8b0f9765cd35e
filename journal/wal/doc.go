// Package wal is hush's embedded journal backend: a write-ahead log of
// checksummed records in numbered segment files, plus snapshots, in one
// directory that one process owns.
//
// Layout of a data dir:
//
//	LOCK                                  flock'ed while open; says pid, host, since
//	wal/<first seq %020d>.seg             log segments, oldest first
//	snapshots/<seq %020d>.snap            the newest snapshot and the one before it
//
// Durability: Append returns only after the records are written and
// fsynced (fdatasync). Concurrent Appends share one write and one fsync
// (group commit), which is what turns a disk's few thousand fsyncs a second
// into tens of thousands of durable appends. A failed write or fsync fails
// every Append waiting on it and every Append after it (ErrFailed): the WAL
// never acknowledges what may not be on disk, and never writes after a
// failure, so a torn tail can only be at the very end.
//
// Recovery (Open) checks every segment. A torn tail of the last segment
// (a partial frame, a bad checksum or an unfinished multi-record batch with
// nothing valid after it) is what a crash leaves: it is cut and logged, and
// since a batch is kept only whole, a multi-record Append is atomic across
// crashes too. Anything else (damage followed by valid records, a bad
// segment header, a gap in the seq numbering, a short segment that is not
// the last) is corruption: Open fails with a *journal.CorruptionError
// naming file and offset, and nothing is cut. Verify checks the same
// read-only, without the lock, for `hush journal verify`.
//
// Files are only ever created by writing a temp file, fsyncing and renaming
// it, then fsyncing the directory, and removed oldest first, so a process
// killed at any moment leaves a directory Open accepts.
package wal
