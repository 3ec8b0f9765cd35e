// Package importer loads list files — generic CSV and the national
// do-not-call registry download format — into a list through the engine,
// all or nothing.
//
// It streams the file, normalises every key with contactkey (the same rules
// as check and scrub), writes rejected lines with their line number and
// reason, sorts the keys (bitmaps are built fast only from sorted input), and
// hands them to an engine import in chunks; the list changes only when the
// import commits.
package importer
