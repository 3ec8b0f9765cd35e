// Package record defines hush's typed journal records and their versioned
// binary codec. It is the only place that knows record bytes: the journal
// stores them as opaque blobs, the engine applies the decoded values.
//
// Every record starts with a type byte and a codec version byte. Integers are
// varints; strings and byte strings are length-prefixed; key lists are
// zig-zag delta varints (sorted keys cost one or two bytes each). Decoding
// untrusted bytes never panics and never allocates more than the input can
// justify (FuzzDecode).
package record
