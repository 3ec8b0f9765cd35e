// Package purchasefeed consumes purchase events from a message stream (a
// Redis stream read with a consumer group: ingest.purchases.stream) and
// stores them in the engine, idempotent by order id.
//
// Delivery is at least once, counting exactly once: a message is
// acknowledged to the stream only after the journal acknowledged the
// batch that holds its event, so a crash between the two re-delivers it,
// and the engine counts an order id it has seen once. A message that
// cannot be read (no order id, bad date or amount, another currency) is
// copied to the dead-letter stream with its reason and then acknowledged —
// never dropped silently. Parsing is the one purchase files and POST
// /v1/purchases use (rfm.RowParser).
package purchasefeed
