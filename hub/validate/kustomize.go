package validate

import (
	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// validateKustomize refuses Kustomize overrides that could never render
// (InvalidArgument naming the field): invalid values, with cluster
// references standing for a valid sample value (each cluster's own is
// checked again when it renders), and overrides of a source whose kind is
// explicitly Directory or Helm.
func validateKustomize(a *pb.Application, f string, s *pb.ApplicationSource) error {
	o := wire.KustomizeFromPB(s.GetKustomize(), wire.ExpandSample)
	switch k := s.GetKind(); {
	case o.EnableHelm && (k == pb.SourceKind_SOURCE_KIND_DIRECTORY || k == pb.SourceKind_SOURCE_KIND_HELM):
		return invalid("application %s: %s.kustomize.enableHelm: it inflates the helmCharts of kustomizations, and %s.kind is %s", a.GetName(), f, f, k)
	case o.EnableHelm && s.GetChart() != "":
		return invalid("application %s: %s.kustomize.enableHelm: the source is a chart, not a kustomization", a.GetName(), f)
	}
	if !o.Overrides() {
		return nil
	}
	switch s.GetKind() {
	case pb.SourceKind_SOURCE_KIND_DIRECTORY, pb.SourceKind_SOURCE_KIND_HELM:
		return invalid("application %s: %s.kustomize: the overrides apply to Kustomize sources only, and %s.kind is %s",
			a.GetName(), f, f, s.GetKind())
	}
	if err := o.Validate(); err != nil {
		return invalid("application %s: %v", a.GetName(), err)
	}
	return nil
}
