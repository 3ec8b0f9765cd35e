// Package bench generates realistic synthetic data for hush's benchmarks and
// compares the outputs of hush and its peers.
//
// Everything is a pure function of a seed: entry j of a list and row i of a
// campaign are computed from (seed, stream, index) by a counter-based random
// generator, so files can be written in parallel chunks and still come out
// byte for byte the same, and a campaign row can be made to hit entry j of a
// list without the list being held in memory.
//
// The data is shaped like what a US telemarketing shop sees: phone numbers
// clustered by area code with skewed popularity (valid by libphonenumber's
// rules, as hush checks them), a national registry file of "AAA,NNNNNNN"
// lines in no order, phone, e-mail, postal address and customer id lists,
// and a campaign file whose keys come in the formats people write, with a
// configurable share of rows on some list and a configurable share of keys
// that hush must reject.
//
// The generated addresses and e-mails stay inside what a few SQL string
// functions can normalise exactly as contactkey does (see the SQL in
// bench/peers), so the peers can be checked row for row against hush.
package bench
