package controller

import (
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// DiscoveryChanged is called when a cluster's spoke reported that the
// kinds it serves changed (a CRD was created or deleted): the
// applications targeting the cluster are planned again, so a target held
// on a kind the cluster did not serve yet moves on. It never blocks on a
// reconcile.
func (c *Controller) DiscoveryChanged(cluster string) {
	c.scopes.Delete(cluster)
	apps, err := c.store.ListApplications()
	if err != nil {
		c.log.Error("list applications", "err", err)
		return
	}
	cl, err := c.store.GetCluster(cluster)
	if err != nil {
		c.log.Warn("discovery changed", "cluster", cluster, "err", err)
		return
	}
	for _, a := range apps {
		if len(selectClusters(a, []*pb.Cluster{cl})) == 1 {
			c.ReconcileLater(a.GetName())
		}
	}
}
