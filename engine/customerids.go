package engine

import "github.com/hushcrm/hush/rfm"

// customerIDs is the one dictionary of customer dense ids: the purchases
// component's, so a customer's bit in an RFM segment and in the directory
// is the same bit. The directory assigns through it (on the writer, in log
// order), and the purchases snapshot section holds it.
func (e *Engine) customerIDs() *rfm.Customers { return e.purchases().book.Customers }
