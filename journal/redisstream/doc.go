// Package redisstream is hush's shared journal backend: the log is a Redis
// stream, snapshots are Redis keys, and any number of hush instances append
// to and tail the same log, so a fleet behind a load balancer converges on
// one state. It implements journal.Shared and passes journal's conformance
// suite on a single Redis and on a Redis Cluster. It is the only non-test
// package that imports go-redis; a redis.UniversalClient covers single
// (redis://, rediss://, unix://), Sentinel and Cluster deployments.
//
// Keys (ns is Options.Namespace, "hush" by default; the braces are a
// Cluster hash tag, so all of them live on one node and a Lua script may
// touch several):
//
//	{ns}:log                    the stream; one entry per Append (a big one split)
//	{ns}:seq                    the last sequence number handed out
//	{ns}:first                  where the log starts after trimming (absent: 1)
//	{ns}:snaps                  sorted set of published snapshot seqs
//	{ns}:snap:<seq>             a snapshot's manifest (size, chunks, SHA-256, generation)
//	{ns}:snap:<seq>:<gen>:<i>   its chunks, 8 MiB each
//	{ns}:snaplease              the snapshot writer's lease
//
// Sequence numbers are dense across the fleet: one Lua script reads the
// counter, adds the entries and moves the counter, atomically. An entry's
// stream ID is "<last seq>-<record count>", so Replay(after) is an XRANGE
// from "<after+1>-0", Await is an XREAD BLOCK after "<after>-<max>", and
// trimming up to a snapshot is XTRIM MINID "<covered+1>-0". An entry's one
// field holds its records length-prefixed with a CRC-32C; a damaged entry,
// a gap in the numbering or a log shorter than its counter is a
// *journal.CorruptionError naming the entry.
//
// Durability is Redis's: Append returns after Redis executed the script,
// which with appendfsync always means it is in the AOF on disk; with
// Options.WaitReplicas it also waits for that many replicas (WAIT on the
// same connection). Any Append error means "not acknowledged, maybe
// written": a reply lost on the way back hides a write that did happen,
// and the records then show up in the log for every instance.
//
// Snapshots are written by one instance at a time, holding a lease key
// (SET NX PX, renewed while writing; another instance gets
// journal.ErrSnapshotBusy). Chunks are streamed with a few SETs in flight
// and an expiry (a crashed writer leaves nothing behind for long), then a
// script publishes the manifest and the index entry only if the lease is
// still the writer's. Publishing keeps the two newest snapshots and trims
// the stream up to what the older one covers. Reading fetches one chunk
// ahead and checks the SHA-256 at the end.
//
// GroupReader consumes another stream (purchase events) with a consumer
// group: pending messages first (re-delivery after a crash), then new ones.
package redisstream
