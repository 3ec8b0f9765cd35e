package engine

import (
	"context"
	"time"

	"github.com/hushcrm/hush/rfm"
)

// EnsureRFM scores the stored purchases as of asOf (default options: five
// quantile bins per dimension, total spend, the default segment table)
// and publishes the result, unless a scoring is published already. A
// process that evaluates segment expressions over rfm:… names or RFM
// attributes calls it first; without purchases it does nothing.
func (e *Engine) EnsureRFM(ctx context.Context, asOf time.Time) error {
	if e.RFM() != nil {
		return nil
	}
	day := rfm.DayOf(asOf)
	var res *rfm.Result
	err := e.ReadPurchases(ctx, func(v PurchaseView) error {
		if v.Events == 0 {
			return nil
		}
		l := v.Ledger
		if l.MaxDay() > day {
			l = v.Replay(rfm.LedgerConfig{Cutoff: day, WindowStart: rfm.NoWindow})[0]
		}
		var err error
		res, err = rfm.Score(v.Customers, l, rfm.Options{AsOf: day, MoneyExponent: rfm.CurrencyExponent(v.Currency)})
		return err
	})
	if err != nil || res == nil {
		return err
	}
	e.PublishRFM(res)
	return nil
}

// PhoneZones are the IANA time zones of a phone number (E.164 digits as
// an integer), as calling windows judge them.
func PhoneZones(e164 uint64) []string { return phoneZones(e164) }
