package controller

import (
	"context"

	"github.com/flotilla-gitops/flotilla/internal/wire"
)

// HardRefresh re-reads the application's repository and renders its
// targets again, ignoring the renders kept from earlier, in memory and in
// the store, even when the commit did not change (Argo CD's hard
// refresh): for output that changes without a commit (a chart
// dependency, a render tool upgraded with the hub). The new render
// replaces the kept one, for this application and any other sharing its
// inputs; later reconciles re-use it.
func (c *Controller) HardRefresh(ctx context.Context, app string) error {
	keys, err := c.appRenderKeys(app)
	if err != nil {
		return err
	}
	for _, k := range keys {
		c.markStale(k)
	}
	if a, err := c.store.GetApplication(app); err == nil {
		for _, s := range wire.Sources(a) {
			if isChart(s) {
				c.charts().Forget(s.GetRepoUrl())
			}
		}
		for _, u := range c.chartDeps.repositories(app) {
			c.charts().Forget(u)
		}
	}
	return c.Reconcile(ctx, app)
}

// appRenderKeys returns the render keys of the application's targets.
func (c *Controller) appRenderKeys(app string) ([]string, error) {
	a, err := c.store.GetApplication(app)
	if err != nil {
		return nil, err
	}
	clusters, err := c.store.ListClusters()
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, cl := range selectClusters(a, clusters) {
		keys = append(keys, c.gitRenderKeys(a, cl)...)
	}
	return append(keys, c.chartDeps.chartKeys(app)...), nil
}
