// Package contactkey turns the contact points people write — phone numbers,
// e-mail addresses, postal addresses and CRM customer ids — into canonical
// subject keys, the one normalisation that import, check and scrub share, so
// a key written one way is found when it is checked written another way.
//
// Phones become E.164 numbers kept as the integer of their digits
// (Normalizer.Phone). Validity agrees exactly with libphonenumber's Go port
// (github.com/nyaruka/phonenumbers, Parse + IsValidNumber), but the common
// inputs never reach that library: the digits and prefixes are handled by
// hand and validity is decided by automata compiled once from the library's
// own metadata. Only unusual input falls back to the library.
//
// E-mails, postal addresses and customer ids are normalised text
// (NormalizeEmail, NormalizeAddress, NormalizeCustomer) that a Hasher turns
// into a keyed 64-bit hash, so suppression sets never hold the plaintext. A
// Dictionary hands those hashes dense 32-bit ids for 32-bit bitmaps;
// LookupBatch overlaps the cache misses of many look-ups.
//
// Normalizer.Key is the per-row hot path of import, check and scrub. For
// ASCII e-mails and addresses (nearly all rows) it folds on the stack in
// one pass and hashes the bytes directly, without allocating; those fast
// paths are tested and fuzzed to give exactly what the general Unicode
// paths give, which stay the reference and handle everything else.
//
// Every rejection is a *KeyError whose Reason is a short stable code that can
// be written into a rejected-rows file; errors.Is(err, ErrInvalidKey) holds
// for all of them.
//
// The package does no I/O of its own; Dictionary serialises through
// io.Reader and io.Writer.
package contactkey
