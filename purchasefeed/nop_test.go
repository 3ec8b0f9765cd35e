package purchasefeed

import (
	"context"
	"time"

	"github.com/hushcrm/hush/engine"
)

// nopSource and nopStore only let New build a feed for parse tests; the
// feed's behaviour is tested against a real Redis and a real engine.
type nopSource struct{}

func (nopSource) Read(context.Context, int, time.Duration) ([]Message, error) { return nil, nil }
func (nopSource) Ack(context.Context, ...string) error                        { return nil }
func (nopSource) DeadLetter(context.Context, Message, string) error           { return nil }

type nopStore struct{}

func (nopStore) AppendPurchases(context.Context, engine.PurchaseBatch) (engine.PurchaseOutcome, error) {
	return engine.PurchaseOutcome{}, nil
}
