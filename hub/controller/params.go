package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/render"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

var clusterRef = wire.ClusterRef

// expand replaces {{cluster.name}} and {{cluster.labels.KEY}} in s.
func expand(s string, c *pb.Cluster) string {
	return clusterRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := clusterRef.FindStringSubmatch(m)
		if sub[1] == "name" {
			return c.GetName()
		}
		return c.GetLabels()[sub[2]]
	})
}

// renderSource turns source s of an application into render.Source for
// one cluster, with cluster references expanded.
func renderSource(a *pb.Application, s *pb.ApplicationSource, c *pb.Cluster, kubeVersion string) render.Source {
	src := render.Source{Path: expand(s.GetPath(), c)}
	switch s.GetKind() {
	case pb.SourceKind_SOURCE_KIND_DIRECTORY:
		src.Kind = render.Directory
	case pb.SourceKind_SOURCE_KIND_KUSTOMIZE:
		src.Kind = render.Kustomize
	case pb.SourceKind_SOURCE_KIND_HELM:
		src.Kind = render.Helm
	}
	if d := s.GetDirectory(); d != nil {
		src.Directory = render.DirectoryOptions{Recurse: d.GetRecurse(), Include: d.GetInclude(), Exclude: d.GetExclude(),
			Jsonnet: wire.JsonnetFromPB(d.GetJsonnet(), func(v string) string { return expand(v, c) })}
	}
	h := s.GetHelm()
	src.Helm = render.HelmOptions{ReleaseName: h.GetReleaseName(), Namespace: a.GetDestination().GetNamespace(),
		Values: expand(h.GetValues(), c), KubeVersion: h.GetKubeVersion(), APIVersions: h.GetApiVersions(), IncludeCRDs: !h.GetSkipCrds()}
	if src.Helm.ReleaseName == "" {
		src.Helm.ReleaseName = a.GetName()
	}
	if src.Helm.KubeVersion == "" {
		src.Helm.KubeVersion = kubeVersion
	}
	for _, f := range h.GetValueFiles() {
		src.Helm.ValueFiles = append(src.Helm.ValueFiles, expand(f, c))
	}
	for _, p := range h.GetParameters() {
		src.Helm.Set = append(src.Helm.Set, expand(p, c))
	}
	src.Kustomize = wire.KustomizeFromPB(s.GetKustomize(), func(v string) string { return expand(v, c) })
	return src
}

// renderKey identifies a render: the repository and every input after
// expansion, so clusters with the same parameters share one render.
func renderKey(repoURL string, src render.Source) string {
	b, err := json.Marshal(struct {
		Repo string
		Src  render.Source
	}{repoURL, src})
	if err != nil {
		b = []byte(repoURL + src.Path) // render.Source always marshals; keep a usable key regardless
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// InClusterName is the cluster Argo CD's in-cluster destination means for
// an application no parent gives clusters to.
const InClusterName = "in-cluster"

// selectClusters returns the registered clusters an application targets:
// by name, and by label selector (all labels must match). An in-cluster
// destination was given its parent's clusters when declared; without a
// parent it is the cluster registered as "in-cluster".
func selectClusters(a *pb.Application, clusters []*pb.Cluster) []*pb.Cluster {
	d := a.GetDestination()
	names := map[string]bool{}
	for _, n := range d.GetClusters() {
		names[n] = true
	}
	if d.GetInCluster() && len(d.GetClusters()) == 0 && len(d.GetClusterSelector()) == 0 {
		names[InClusterName] = true
	}
	var out []*pb.Cluster
	for _, c := range clusters {
		if names[c.GetName()] || (len(d.GetClusterSelector()) > 0 && Matches(d.GetClusterSelector(), c.GetLabels())) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

// Matches reports whether labels hold every key=value of sel (an empty
// selector matches everything). The one label matcher of the hub: cluster
// selection, rollout steps and the admin API's list filters.
func Matches(sel, labels map[string]string) bool { return rollout.Matches(sel, labels) }

func sortClusters(cs []*pb.Cluster) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].GetName() < cs[j].GetName() })
}
