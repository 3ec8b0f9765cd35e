// Package suppression holds hush's suppression sets and answers "may this
// subject be contacted on this channel, for this purpose, for this
// sponsor?".
//
// A Store keeps named lists — deny lists (do-not-call registries,
// complaints, bounces, litigators, legal holds…) and consent lists (the
// subjects who agreed to SMS or e-mail marketing) — as roaring bitmaps,
// beside every customer's own opt-out and opt-in events per channel and
// purpose. Phone lists are roaring64 bitmaps of the E.164 numbers
// themselves (numbers cluster by area code and compress well); customer,
// e-mail and address lists hold dense 32-bit ids that a per-kind
// contactkey.Dictionary gives the keyed hashes.
//
// Every mutation carries the journal sequence number (version) and time of
// the record that caused it, and nothing else: the Store is a deterministic
// function of the record sequence, and WriteTo writes the same bytes for
// the same state.
//
// Published lists are immutable: a list's entries are frozen, the
// canonical roaring serialisation of its bitmap read in place (probes
// walk the bytes; set operations run on roaring views of them, without
// copying), so a Policy compiled earlier keeps a consistent view of the
// lists while the writer moves on. A commit is two steps: PrepareCommit
// does the heavy work (sorting, merging, compressing, serialising) and
// only reads the store, so readers go on meanwhile; Publish then assigns
// the new dictionary ids and swaps the list pointer. The Store itself is
// not safe for concurrent mutation: the engine serialises writers and
// readers (an RWMutex), calls PrepareCommit from its single writer
// without the lock and Publish under it, and Decide and DecideBatch read
// the store's dictionaries and opt-out state, so they run under the
// engine's read lock.
//
// Compile turns a Scope (channel, purpose, sponsor) into a Policy, the
// applicable lists in decision order; Decide checks one subject (every key
// a campaign row carries) with no allocations; DecideBatch checks many keys
// of one kind at once: it orders the batch by roaring container and walks
// each list alongside it. Where a policy has three or more deny lists of
// a kind it also holds the union of all but the largest, with, for every
// value, which of those lists hold it: a key costs one probe of the union
// and one of the largest list, whatever the number of lists. Policies
// over the same list versions share the union. A Policy stays current
// while Store.ListsVersion does not move: it reads opt-outs live. A
// Waterfall counts a scrub's rows per reason for the report.
//
// Stickiness: entries of lists whose source is a customer's own refusal
// (customer_request, complaint) are never removed by an import — only an
// opt-in carrying evidence removes a subject from them — and such a list
// cannot be deleted while it holds entries.
package suppression
