// Package peers runs hush's peers — PostgreSQL and DuckDB, each as a team
// would set it up by hand — over a bench scenario, so the benchmark driver
// can compare them with hush side by side.
//
// Both peers get the same files as hush and write the same three outputs
// (clean, suppressed and rejected rows, in input order). Lists are loaded
// into tables first ("preloaded", timed apart); the timed scrub then loads
// the campaign file, normalises its keys in SQL, anti-joins them against
// every list and writes the outputs.
//
// The SQL normalisation reproduces contactkey's on the data bench
// generates — not on every input: US phone numbers (digits only, a leading
// 1 dropped, NANP shape), e-mails (lower-cased and trimmed) and ASCII
// addresses (lower case, punctuation folded, the street words bench varies
// abbreviated: three regexp_replace calls in PostgreSQL, a CASE per word in
// DuckDB). rules_test.go checks a Go transcription of that SQL against
// contactkey on generated data, and the peer tests (go test -tags peers)
// check both peers' outputs against a scrub done with the transcription.
//
// PostgreSQL runs as a private cluster (initdb in a temp dir, a unix socket
// only, stopped at the end); DuckDB runs through its Node client, installed
// with npm into a temp dir.
package peers
