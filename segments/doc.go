// Package segments is hush's audience language: expressions over named
// customer bitmaps and numeric customer attributes, such as
//
//	rfm:champions OR (rfm:loyal_customers AND monetary >= 500) AND NOT list:mail_dnm
//
// An expression is lexed and parsed into an AST (Parse), checked against a
// Catalog of the names that exist (Check: unknown names and type errors such
// as "monetary AND rfm:lost" are reported with their position), and
// evaluated against a Resolver that hands out the bitmaps and the bit-sliced
// indexes of the attributes (Eval, Count). Precedence is NOT > AND > OR;
// parentheses group. Keywords are case-insensitive.
//
// Customers are dense 32-bit ids held in roaring64 bitmaps, the type the
// RFM indexes (roaring64.BSI) answer range queries in, so no conversion
// sits between an attribute comparison and the set operations around it.
//
// The package is pure: no I/O, no engine, no journal.
package segments
