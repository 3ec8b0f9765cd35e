// Package unsubscribe makes and checks RFC 8058 one-click unsubscribe
// tokens, and writes them into a campaign's send file as List-Unsubscribe
// header values. A token carries the keyed hash of the address (never the
// address), the purpose and the campaign, signed with HMAC-SHA256 under a
// server secret: it cannot be forged, altered, or moved to another address.
package unsubscribe
