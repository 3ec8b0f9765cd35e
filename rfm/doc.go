// Package rfm turns purchase events into recency / frequency / monetary
// scores, named segments and group-level reports.
//
// It is pure domain code: no files, no network, no journal. Callers parse
// rows with a RowParser (or build Events themselves), feed them to a Ledger
// that keeps one small aggregate per customer (idempotent by order id), and
// score the ledger as of a date with a Scorer. The result is an immutable
// *Result holding per-customer scores, a customer bitmap per segment
// ("rfm:champions", ...) and bit-sliced indexes of recency_days, frequency,
// monetary and the three scores, so that "monetary >= 500" or "r >= 4" is a
// bitmap operation for the segments package.
//
// Decisions a caller should know:
//   - Money is int64 minor units (cents), never float. Quantile cut points
//     are compared exactly as rationals, so two tools that sum the same
//     cents cannot disagree on which side of a cut a customer falls.
//   - Equal values always get equal scores: cut points are values, not
//     ranks. When ties make cut points coincide, score levels stay empty
//     and Result.Warnings names the dimension and the levels.
//   - Days are counted in UTC calendar days (int32 days since 1970-01-01).
//   - Re-scoring the ledger as of a new date is O(customers): aggregates are
//     updated as events arrive.
package rfm
