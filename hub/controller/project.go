package controller

import (
	"fmt"
	"path"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// checkSource enforces the project's allowed repositories (globs; none
// listed means none allowed, as Argo CD).
func checkSource(p *pb.Project, repo string) error {
	if p == nil {
		return nil
	}
	for _, g := range p.GetSourceRepos() {
		if g == "*" || glob(g, repo) {
			return nil
		}
	}
	return fmt.Errorf("project %s: repository %s is not in sourceRepos %v", p.GetName(), repo, p.GetSourceRepos())
}

// checkObjects enforces destinations and kinds for one cluster: each
// object's namespace must be an allowed destination of the cluster;
// cluster-scoped kinds are denied unless in clusterResourceWhitelist;
// namespaced kinds in namespaceResourceBlacklist are denied.
func checkObjects(p *pb.Project, cluster string, objs []*unstructured.Unstructured) error {
	if p == nil {
		return nil
	}
	for _, u := range objs {
		gk := u.GroupVersionKind().GroupKind()
		if u.GetNamespace() == "" {
			if !listed(p.GetClusterResourceWhitelist(), gk.Group, gk.Kind) {
				return fmt.Errorf("project %s: %s is cluster-scoped and %s/%s is not in clusterResourceWhitelist", p.GetName(), object.Describe(u), groupName(gk.Group), gk.Kind)
			}
			continue
		}
		if listed(p.GetNamespaceResourceBlacklist(), gk.Group, gk.Kind) {
			return fmt.Errorf("project %s: %s: kind %s/%s is in namespaceResourceBlacklist", p.GetName(), object.Describe(u), groupName(gk.Group), gk.Kind)
		}
		if !allowedDestination(p, cluster, u.GetNamespace()) {
			return fmt.Errorf("project %s: %s: destination %s/%s is not in the project's destinations", p.GetName(), object.Describe(u), cluster, u.GetNamespace())
		}
	}
	return nil
}

func allowedDestination(p *pb.Project, cluster, ns string) bool {
	for _, d := range p.GetDestinations() {
		if glob(orStar(d.GetCluster()), cluster) && glob(orStar(d.GetNamespace()), ns) {
			return true
		}
	}
	return false
}

func listed(gks []*pb.GroupKind, group, kind string) bool {
	for _, gk := range gks {
		// Group "" is the core group; "*" any group (Argo CD).
		if (gk.GetGroup() == group || glob(gk.GetGroup(), group)) && glob(orStar(gk.GetKind()), kind) {
			return true
		}
	}
	return false
}

func glob(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func groupName(g string) string {
	if g == "" {
		return "core"
	}
	return g
}
