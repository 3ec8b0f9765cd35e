package main

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hushcrm/hush/config"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/purchasefeed"
)

// startPurchaseFeed runs the consumer of ingest.purchases.stream (Redis
// mode) and returns the function that stops it and waits.
func startPurchaseFeed(c *cli, ps config.PurchaseStream, fleet *redisJournal, e *engine.Engine, register func(...prometheus.Collector) error) (func(), error) {
	if !ps.Enabled() || fleet == nil {
		return func() {}, nil
	}
	f, err := purchasefeed.New(purchasefeed.FromGroup(fleet.GroupReader(ps.Stream, ps.Group, ps.Consumer), ps.DeadLetter), e, purchasefeed.Options{
		Stream: ps.Stream, Currency: ps.Currency, Batch: ps.Batch, Logf: c.logf, Now: c.cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	if err := register(feedCollectors(f.Stats(), ps)...); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.Run(ctx)
	}()
	c.logf("consuming purchase events from stream %s as %s/%s (rejected messages to %s)", ps.Stream, ps.Group, ps.Consumer, ps.DeadLetter)
	return func() { cancel(); wg.Wait() }, nil
}

func feedCollectors(st *purchasefeed.Stats, ps config.PurchaseStream) []prometheus.Collector {
	labels := prometheus.Labels{"stream": ps.Stream, "group": ps.Group}
	counter := func(name, help string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, func() float64 { return float64(v()) })
	}
	return []prometheus.Collector{
		counter("hush_purchase_stream_consumed_total", "Purchase messages stored (or found already stored) and acknowledged.", st.Consumed.Load),
		counter("hush_purchase_stream_duplicates_total", "Of the consumed messages, orders already stored (re-delivery or sent twice): counted once.", st.Duplicates.Load),
		counter("hush_purchase_stream_rejected_total", "Purchase messages sent to the dead-letter stream with a reason, then acknowledged.", st.Rejected.Load),
		counter("hush_purchase_stream_claimed_total", "Messages taken over from consumers that read them but did not acknowledge them for a minute (crashed instances).", st.Claimed.Load),
		counter("hush_purchase_stream_errors_total", "Failed rounds (Redis or the journal unreachable); their messages stay pending and are retried.", st.Errors.Load),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hush_purchase_stream_lag_seconds", ConstLabels: labels,
			Help: "Age (by its stream id) of the newest message when it was acknowledged."}, func() float64 { return float64(st.LagMillis.Load()) / 1000 }),
	}
}
