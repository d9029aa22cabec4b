package wire

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/policy"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// ProjectFromPB converts a project; nil stays nil (no project: everything
// allowed).
func ProjectFromPB(p *pb.Project) *policy.Project {
	if p == nil {
		return nil
	}
	out := &policy.Project{Name: p.GetName(), SourceRepos: p.GetSourceRepos(),
		ClusterResourceWhitelist:   groupKinds(p.GetClusterResourceWhitelist()),
		NamespaceResourceBlacklist: groupKinds(p.GetNamespaceResourceBlacklist()),
		ClusterResourceBlacklist:   groupKinds(p.GetClusterResourceBlacklist()),
		NamespaceResourceWhitelist: groupKinds(p.GetNamespaceResourceWhitelist())}
	for _, d := range p.GetDestinations() {
		out.Destinations = append(out.Destinations, policy.Destination{Cluster: d.GetCluster(), Namespace: d.GetNamespace()})
	}
	return out
}

// RulesToPB converts a cluster's rules for a plan; nil stays nil.
func RulesToPB(r *policy.Rules) *pb.ProjectRules {
	if r == nil {
		return nil
	}
	return &pb.ProjectRules{Project: r.Project, Namespaces: r.Namespaces,
		ClusterResourceWhitelist:   groupKindsToPB(r.ClusterResourceWhitelist),
		NamespaceResourceBlacklist: groupKindsToPB(r.NamespaceResourceBlacklist),
		ClusterResourceBlacklist:   groupKindsToPB(r.ClusterResourceBlacklist),
		NamespaceResourceWhitelist: groupKindsToPB(r.NamespaceResourceWhitelist)}
}

// RulesFromPB converts a plan's rules; nil (no project) stays nil.
func RulesFromPB(r *pb.ProjectRules) *policy.Rules {
	if r == nil {
		return nil
	}
	return &policy.Rules{Project: r.GetProject(), Namespaces: r.GetNamespaces(),
		ClusterResourceWhitelist:   groupKinds(r.GetClusterResourceWhitelist()),
		NamespaceResourceBlacklist: groupKinds(r.GetNamespaceResourceBlacklist()),
		ClusterResourceBlacklist:   groupKinds(r.GetClusterResourceBlacklist()),
		NamespaceResourceWhitelist: groupKinds(r.GetNamespaceResourceWhitelist())}
}

func groupKinds(in []*pb.GroupKind) []schema.GroupKind {
	out := make([]schema.GroupKind, 0, len(in))
	for _, gk := range in {
		out = append(out, schema.GroupKind{Group: gk.GetGroup(), Kind: gk.GetKind()})
	}
	return out
}

func groupKindsToPB(in []schema.GroupKind) []*pb.GroupKind {
	out := make([]*pb.GroupKind, 0, len(in))
	for _, gk := range in {
		out = append(out, &pb.GroupKind{Group: gk.Group, Kind: gk.Kind})
	}
	return out
}

// KindsFromPB turns a spoke's discovery into a lookup: group/kind →
// namespaced.
func KindsFromPB(kinds []*pb.ServedKind) map[schema.GroupKind]bool {
	out := make(map[schema.GroupKind]bool, len(kinds))
	for _, k := range kinds {
		out[schema.GroupKind{Group: k.GetGroup(), Kind: k.GetKind()}] = k.GetNamespaced()
	}
	return out
}
