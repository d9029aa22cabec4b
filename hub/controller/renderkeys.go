package controller

import (
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// targetSource is what a's render for cluster cl takes: the source with
// cluster references expanded and the cluster's Kubernetes version (the
// hub's default when its spoke reported none).
func (c *Controller) targetSource(a *pb.Application, s *pb.ApplicationSource, cl *pb.Cluster) render.Source {
	kube := cl.GetKubeVersion()
	if kube == "" {
		kube = c.opts.KubeVersion
	}
	return renderSource(a, s, cl, kube)
}

// RenderKeys returns the keys of the stored renders the applications use
// now, one per distinct render input of their targets: what the store's
// GC keeps (store.GCOptions.RenderKeys). Until every application has
// been reconciled since the hub started it returns nil: keep them all.
func (c *Controller) RenderKeys() (map[string]bool, error) {
	apps, err := c.store.ListApplications()
	if err != nil {
		return nil, err
	}
	clusters, err := c.store.ListClusters()
	if err != nil {
		return nil, err
	}
	if !c.chartDeps.isSettled(appNames(apps)) {
		return nil, nil // not every application rendered since the start: keep every render
	}
	keys := map[string]bool{}
	for _, k := range c.chartDeps.chartKeys("") { // charts' renders last made
		keys[k] = true
	}
	for _, a := range apps {
		for _, cl := range selectClusters(a, clusters) {
			for _, k := range c.gitRenderKeys(a, cl) {
				keys[k] = true
			}
		}
	}
	return keys, nil
}

// gitRenderKeys returns the keys of the renders of a's Git sources for
// cluster cl: as the source says, and as completed with its chart's
// dependencies or other sources' values files when the last render was.
func (c *Controller) gitRenderKeys(a *pb.Application, cl *pb.Cluster) []string {
	var keys []string
	for _, s := range wire.Sources(a) {
		if isChart(s) || !wire.Renders(a, s) {
			continue
		}
		k := renderKey(s.GetRepoUrl(), c.targetSource(a, s, cl))
		keys = append(keys, k)
		if full := c.chartDeps.fullKey(k); full != "" {
			keys = append(keys, full)
		}
	}
	return keys
}

func appNames(apps []*pb.Application) []string {
	out := make([]string, len(apps))
	for i, a := range apps {
		out[i] = a.GetName()
	}
	return out
}
