package controller

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
)

// Background work runs from two work queues (client-go workqueue): one
// item per key at a time, and requests for a key while it runs coalesce
// into exactly one more run. Workers bound what runs at once.
const (
	// refreshWorkers bounds the repositories refreshed at once: a hung
	// Git server holds one worker until FetchTimeout, the others go on.
	refreshWorkers = 8
	// reconcileWorkers bounds the applications reconciled at once for
	// admin calls (create, update, a cluster added or removed).
	reconcileWorkers = 4
	// reconcileTimeout bounds one such reconcile.
	reconcileTimeout = 5 * time.Minute
)

// RefreshLater queues a refresh of a repository (poll, webhook) and
// returns at once.
func (c *Controller) RefreshLater(repoURL string) { c.refreshes.Add(repoURL) }

// ReconcileLater queues a reconcile of an application and returns at once.
func (c *Controller) ReconcileLater(app string) { c.reconciles.Add(app) }

// queuedIndexAge is how old a Helm index a queued reconcile re-uses.
const queuedIndexAge = 2 * time.Second

func (c *Controller) reconcileQueued(ctx context.Context, app string) {
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	// Applications queued together read a Helm index once.
	if err := c.reconcileFetched(ctx, app, queuedIndexAge); err != nil {
		c.log.Warn("reconcile", "app", app, "err", err)
	}
}

// runQueue runs fn on q's items with workers goroutines until ctx ends.
func runQueue(ctx context.Context, q workqueue.TypedInterface[string], workers int, fn func(context.Context, string)) {
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				key, shutdown := q.Get()
				if shutdown {
					return
				}
				runOne(ctx, key, fn)
				q.Done(key)
			}
		}()
	}
	<-ctx.Done()
	q.ShutDown()
	wg.Wait()
}

// runOne runs fn on one key; a panic is logged and costs that key's run,
// never the hub (a hostile declaration must not crash-loop it).
func runOne(ctx context.Context, key string, fn func(context.Context, string)) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("panic in a work queue", "key", key, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn(ctx, key)
}

// runQueues runs both queues until ctx ends.
func (c *Controller) runQueues(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); runQueue(ctx, c.refreshes, refreshWorkers, c.Refresh) }()
	go func() { defer wg.Done(); runQueue(ctx, c.reconciles, reconcileWorkers, c.reconcileQueued) }()
	go func() { defer wg.Done(); runQueue(ctx, c.sets.queue, setWorkers, c.generateQueued) }()
	wg.Wait()
}

func newQueue() workqueue.TypedInterface[string] { return workqueue.NewTyped[string]() }

// fetch brings a repository up to date within FetchTimeout.
func (c *Controller) fetch(ctx context.Context, repoURL string) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()
	if err := c.repo(repoURL).Fetch(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("fetch %s: no answer within %v (--git-fetch-timeout): %w", repoURL, c.opts.FetchTimeout, err)
		}
		return err
	}
	return nil
}
