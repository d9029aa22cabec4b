package controller

import (
	"context"
)

// DiscoveryChanged is called when a cluster's spoke reported that the
// kinds it serves changed (a CRD was created or deleted): the
// applications targeting the cluster are planned again by the loop, so a
// target held on a kind the cluster did not serve yet moves on. Calls
// coalesce and never block.
func (c *Controller) DiscoveryChanged(cluster string) {
	c.scopes.Delete(cluster)
	c.mu.Lock()
	if c.rediscovered == nil {
		c.rediscovered = map[string]bool{}
	}
	c.rediscovered[cluster] = true
	c.mu.Unlock()
	c.Kick()
}

// replanRediscovered reconciles the applications targeting the clusters
// whose discovery changed since the last call.
func (c *Controller) replanRediscovered(ctx context.Context) {
	c.mu.Lock()
	dirty := c.rediscovered
	c.rediscovered = nil
	c.mu.Unlock()
	if len(dirty) == 0 {
		return
	}
	apps, err := c.store.ListApplications()
	if err != nil {
		c.log.Error("list applications", "err", err)
		return
	}
	clusters, err := c.store.ListClusters()
	if err != nil {
		c.log.Error("list clusters", "err", err)
		return
	}
	for _, a := range apps {
		for _, cl := range selectClusters(a, clusters) {
			if !dirty[cl.GetName()] {
				continue
			}
			if err := c.reconcile(ctx, a.GetName(), nil); err != nil {
				c.log.Warn("reconcile after discovery changed", "app", a.GetName(), "cluster", cl.GetName(), "err", err)
			}
			break
		}
	}
}
