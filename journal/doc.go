// Package journal defines hush's durable log: an append-only sequence of
// opaque records, each numbered by a Seq, plus snapshots of the state
// materialised from a prefix of it.
//
// All of hush's state is the result of applying the log in order, so the
// log is the thing that must never lose an acknowledged write. Recovery
// loads the newest snapshot that reads back whole and replays the records
// after it; a backend keeps the previous snapshot and the log since it, so a
// damaged newest snapshot costs a longer replay, not data.
//
// Records are opaque bytes here: the typed codec lives in package record,
// and backends never look inside a record.
//
// Backends (journal/wal for a local directory, journal/redisstream for a
// shared Redis stream) implement Journal and must pass RunConformance. The
// errors a caller can branch on are ErrClosed, ErrMissingRecords and
// *CorruptionError.
package journal
