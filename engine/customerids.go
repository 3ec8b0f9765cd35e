package engine

import "github.com/hushcrm/hush/rfm"

// customerIDs is the one dictionary of customer dense ids: the purchases
// component's, so a customer's bit in an RFM segment and in the directory
// is the same bit. The directory assigns through it (on the writer, in log
// order), and the purchases snapshot section holds it.
func (e *Engine) customerIDs() *rfm.Customers { return e.purchases().book.Customers }

// CustomerIDs returns a lookup of external customer ids to dense ids,
// valid until the next change (call it again for fresh state). It runs
// lookups on the caller's goroutine: the dictionary only grows on the
// writer, and lookups of ids assigned before the call are stable.
func (e *Engine) CustomerIDs() func(ext string) (uint32, bool) {
	ids := e.customerIDs()
	var mu = &e.audience().cacheMu
	return func(ext string) (uint32, bool) {
		mu.Lock()
		defer mu.Unlock()
		return ids.Lookup(ext)
	}
}

// CustomerName returns the external id of a dense id: the directory's
// entry, else the purchase history's dictionary.
func (e *Engine) CustomerName(id uint32) string {
	if c, ok := e.Campaigns().Directory.Get(id); ok {
		return c.ExternalID
	}
	a := e.audience()
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	ids := e.customerIDs()
	if int(id) >= ids.Len() {
		return ""
	}
	return ids.Name(id)
}
