package validate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// maxSources bounds an application's sources.
const maxSources = 32

var refName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)

// validateSources checks source, or sources (Argo CD's multiple sources):
// one of the two, each source on its own, and the refs: unique names of
// Git sources, and every "$REF/..." values file naming one.
func validateSources(a *pb.Application) error {
	srcs := a.GetSources()
	if len(srcs) == 0 {
		s := a.GetSource()
		if s.GetRef() != "" {
			return invalid("application %s: source.ref %q: a ref names one of several sources (sources)", a.GetName(), s.GetRef())
		}
		return validateSource(a, "source", s, nil)
	}
	if a.GetSource() != nil && !proto.Equal(a.GetSource(), &pb.ApplicationSource{}) {
		return invalid("application %s: source and sources: give one of them", a.GetName())
	}
	if len(srcs) > maxSources {
		return invalid("application %s: sources: %d sources, at most %d", a.GetName(), len(srcs), maxSources)
	}
	refs := map[string]bool{}
	for i, s := range srcs {
		f := fmt.Sprintf("sources[%d]", i)
		r := s.GetRef()
		switch {
		case r == "":
		case !refName.MatchString(r):
			return invalid("application %s: %s.ref %q: letters, digits, '-' and '_' only", a.GetName(), f, r)
		case refs[r]:
			return invalid("application %s: %s.ref %q: another source has this ref", a.GetName(), f, r)
		case s.GetChart() != "":
			return invalid("application %s: %s.ref %q: a ref lends a Git repository's files; this source is a chart", a.GetName(), f, r)
		}
		refs[r] = r != ""
	}
	for i, s := range srcs {
		if err := validateSource(a, fmt.Sprintf("sources[%d]", i), s, refs); err != nil {
			return err
		}
	}
	return nil
}

// validateSource checks one source (field f); refs are the refs of the
// application's sources (nil: values files may not name any).
func validateSource(a *pb.Application, f string, s *pb.ApplicationSource, refs map[string]bool) error {
	if s.GetRepoUrl() == "" {
		return invalid("application %s: %s.repoUrl is required", a.GetName(), f)
	}
	if strings.Contains(s.GetTargetRevision(), wire.RevisionSep) {
		return invalid("application %s: %s.targetRevision %q: %q joins the revisions of several sources", a.GetName(), f, s.GetTargetRevision(), wire.RevisionSep)
	}
	for _, v := range s.GetHelm().GetValueFiles() {
		ref, p, ok := wire.RefPath(v)
		switch {
		case !ok:
		case refs == nil:
			return invalid("application %s: %s.helm.valueFiles %q: $REF/ names another source's repository: only with sources", a.GetName(), f, v)
		case !refs[ref]:
			return invalid("application %s: %s.helm.valueFiles %q: no source has ref %q", a.GetName(), f, v, ref)
		case p == "":
			return invalid("application %s: %s.helm.valueFiles %q: want $%s/PATH", a.GetName(), f, v, ref)
		}
	}
	if err := validateKustomize(a, f, s); err != nil {
		return err
	}
	return validateChart(a, f, s)
}

// validateChart refuses what chart source s (field f) cannot use, naming
// the field.
func validateChart(a *pb.Application, f string, s *pb.ApplicationSource) error {
	if s.GetChart() == "" {
		return nil
	}
	u := s.GetRepoUrl()
	switch {
	case !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "oci://"):
		return invalid("application %s: %s.repoUrl %s: a chart comes from a Helm repository (http:// or https://) or an OCI registry (oci://)", a.GetName(), f, u)
	case s.GetPath() != "":
		return invalid("application %s: %s.path %q: unused with chart (the chart is the source)", a.GetName(), f, s.GetPath())
	case s.GetKind() != pb.SourceKind_SOURCE_KIND_UNSPECIFIED && s.GetKind() != pb.SourceKind_SOURCE_KIND_HELM:
		return invalid("application %s: %s.kind %s: a chart is rendered with Helm", a.GetName(), f, s.GetKind())
	case s.GetDirectory() != nil || s.GetKustomize() != nil:
		return invalid("application %s: %s.directory and %s.kustomize do not apply to a chart (%s.helm does)", a.GetName(), f, f, f)
	case s.GetChart() == "." || s.GetChart() == ".." || strings.ContainsAny(s.GetChart(), `/\`):
		return invalid("application %s: %s.chart %q: a chart name, not a path", a.GetName(), f, s.GetChart())
	}
	if r := s.GetTargetRevision(); r != "" {
		if _, err := semver.NewConstraint(r); err != nil {
			return invalid("application %s: %s.targetRevision %q: a chart's revision is a version or a semver constraint (~1.2, >=1.0 <2, *): %v", a.GetName(), f, r, err)
		}
	}
	return nil
}
