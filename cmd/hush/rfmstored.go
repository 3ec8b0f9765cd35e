package main

import (
	"context"

	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/rfm"
)

// storedScore scores the data dir's purchases as of asOf. Without a window
// and on or after the latest stored event it scores the live aggregates
// (O(customers)); otherwise it rebuilds a ledger from the stored events.
func storedScore(ctx context.Context, c *cli, f *rfmFlags, asOf, windowStart rfm.Day) (scoreRun, error) {
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return scoreRun{}, err
	}
	defer closeFn()
	var run scoreRun
	err = e.ReadPurchases(ctx, func(v engine.PurchaseView) error {
		opts, err := f.options(asOf, rfm.CurrencyExponent(currencyOr(v.Currency)))
		if err != nil {
			return err
		}
		l := v.Ledger
		if windowStart != rfm.NoWindow || l.MaxDay() > asOf {
			l = v.Replay(rfm.LedgerConfig{Cutoff: asOf, WindowStart: windowStart})[0]
		}
		res, err := rfm.Score(v.Customers, l, opts)
		if err != nil {
			return &userError{err}
		}
		run = scoreRun{res: res, excluded: l.Excluded()}
		if f.out != "" {
			// Names are read while the view is consistent.
			if err := writeScores(f.out, res); err != nil {
				return err
			}
			f.out = ""
		}
		return nil
	})
	if err != nil {
		return scoreRun{}, err
	}
	e.PublishRFM(run.res)
	return run, nil
}

func currencyOr(c string) string {
	if c == "" {
		return "USD"
	}
	return c
}

// storedBook is ledgers rebuilt from the data dir's purchases.
type storedBook struct {
	ledgers   []*rfm.Ledger
	Customers *rfm.Customers
	exponent  int
}

func (b *storedBook) Ledgers() []*rfm.Ledger { return b.ledgers }

// storedBooks rebuilds one ledger per config from the stored events. The
// engine stays open (the customer dictionary is its) until closeFn.
func storedBooks(ctx context.Context, c *cli, cfgs ...rfm.LedgerConfig) (*storedBook, func() error, error) {
	e, closeFn, err := c.openEngine(ctx)
	if err != nil {
		return nil, nil, err
	}
	var b storedBook
	err = e.ReadPurchases(ctx, func(v engine.PurchaseView) error {
		b = storedBook{ledgers: v.Replay(cfgs...), Customers: v.Customers, exponent: rfm.CurrencyExponent(currencyOr(v.Currency))}
		return nil
	})
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return &b, closeFn, nil
}
