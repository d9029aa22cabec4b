package controller

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/client-go/util/workqueue"
)

// refreshWorkers bounds the repositories refreshed at once: a hung Git
// server holds one worker until FetchTimeout, the others go on.
const refreshWorkers = 8

// RefreshLater queues a refresh of a repository (poll, webhook) and
// returns at once. Requests for one repository coalesce: at most one
// refresh of it runs, and requests while it runs make exactly one more.
func (c *Controller) RefreshLater(repoURL string) { c.refreshes.Add(repoURL) }

// runRefreshes runs queued refreshes with refresh (c.Refresh) until ctx
// ends.
func (c *Controller) runRefreshes(ctx context.Context, refresh func(context.Context, string)) {
	var wg sync.WaitGroup
	for range refreshWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				url, shutdown := c.refreshes.Get()
				if shutdown {
					return
				}
				refresh(ctx, url)
				c.refreshes.Done(url)
			}
		}()
	}
	<-ctx.Done()
	c.refreshes.ShutDown()
	wg.Wait()
}

func newRefreshQueue() workqueue.TypedInterface[string] {
	return workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[string]{Name: ""})
}

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
