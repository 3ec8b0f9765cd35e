// Package scrub runs a campaign file through the suppression sets: every
// row ends up in exactly one of three outputs — clean (the row unchanged),
// suppressed (the row plus every reason), rejected (the row plus why it could
// not be judged) — and a manifest proves what was applied.
//
// The pipeline streams: one goroutine splits CSV into batches, workers
// normalise keys and decide whole batches at once (sorted probes against the
// bitmaps, never a per-row random walk), and one goroutine writes the outputs
// in input order. Memory is bounded by the number of batches in flight, not
// by the file size.
//
// Fail closed: a mapped key that cannot be parsed sends the row to rejected,
// never to clean; a row without the channel's own contact point is rejected;
// a consent list that applies and a row without a key of its kind means no
// consent.
package scrub
