package controller

import (
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// targetSource is what a's render for cluster cl takes: the source with
// cluster references expanded and the cluster's Kubernetes version (the
// hub's default when its spoke reported none).
func (c *Controller) targetSource(a *pb.Application, cl *pb.Cluster) render.Source {
	kube := cl.GetKubeVersion()
	if kube == "" {
		kube = c.opts.KubeVersion
	}
	return renderSource(a, cl, kube)
}

// RenderKeys returns the keys of the stored renders the applications use
// now, one per distinct render input of their targets: what the store's
// GC keeps (store.GCOptions.RenderKeys).
func (c *Controller) RenderKeys() (map[string]bool, error) {
	apps, err := c.store.ListApplications()
	if err != nil {
		return nil, err
	}
	clusters, err := c.store.ListClusters()
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for _, a := range apps {
		for _, cl := range selectClusters(a, clusters) {
			keys[renderKey(a.GetSource().GetRepoUrl(), c.targetSource(a, cl))] = true
		}
	}
	return keys, nil
}
