// Package validate refuses API objects that cannot mean anything, with
// an InvalidArgument error naming the object and field. The admin API
// and the declarative paths (apply, app of apps, ApplicationSets, the
// configuration repository) use the same checks.
package validate

import (
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"k8s.io/apimachinery/pkg/util/validation"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// Label refuses a name that is not a DNS label (clusters, projects).
func Label(kind, name string) error {
	if !dnsLabel.MatchString(name) || len(name) > 63 {
		return invalid("%s name %q: want a DNS label (a-z, 0-9, '-', at most 63)", kind, name)
	}
	return nil
}

// Subdomain refuses a name that is not a DNS subdomain (applications and
// ApplicationSets, named as Kubernetes objects are: dots allowed).
func Subdomain(kind, name string) error {
	if !dnsSubdomain.MatchString(name) || len(name) > 253 {
		return invalid("%s name %q: want a DNS subdomain (a-z, 0-9, '-', '.', at most 253)", kind, name)
	}
	return nil
}

// App refuses an application that cannot be planned, naming the field.
func App(a *pb.Application) error {
	if a == nil {
		return invalid("application is required")
	}
	if err := Subdomain("application", a.GetName()); err != nil {
		return err
	}
	d := a.GetDestination()
	switch {
	case a.GetSource().GetRepoUrl() == "":
		return invalid("application %s: source.repoUrl is required", a.GetName())
	case len(d.GetClusters()) == 0 && len(d.GetClusterSelector()) == 0 && !d.GetInCluster():
		return invalid("application %s: destination needs clusters, a clusterSelector or inCluster", a.GetName())
	}
	for _, check := range []func(*pb.Application) error{validateHistoryLimit, validateSyncPolicy, validateKustomize, validateChart} {
		if err := check(a); err != nil {
			return err
		}
	}
	var opts plan.Options
	for k, v := range a.GetSyncPolicy().GetOptions() {
		if err := opts.SetSyncOption(k + "=" + v); err != nil {
			return invalid("application %s: syncPolicy.options: %v", a.GetName(), err)
		}
	}
	return nil
}

// Project refuses a project whose name or sync windows are invalid.
func Project(p *pb.Project) error {
	if p == nil {
		return invalid("project is required")
	}
	if err := Label("project", p.GetName()); err != nil {
		return err
	}
	return validateProject(p)
}

// Labels refuses label keys and values that are not Kubernetes label
// syntax, naming the owner and the label.
func Labels(owner string, labels map[string]string) error {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return invalid("%s: label key %q: %s", owner, k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(labels[k]); len(errs) > 0 {
			return invalid("%s: label %s value %q: %s", owner, k, labels[k], strings.Join(errs, "; "))
		}
	}
	return nil
}

// validateChart refuses what a chart source cannot use, naming the field.
func validateChart(a *pb.Application) error {
	s := a.GetSource()
	if s.GetChart() == "" {
		return nil
	}
	u := s.GetRepoUrl()
	switch {
	case !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "oci://"):
		return invalid("application %s: source.repoUrl %s: a chart comes from a Helm repository (http:// or https://) or an OCI registry (oci://)", a.GetName(), u)
	case s.GetPath() != "":
		return invalid("application %s: source.path %q: unused with source.chart (the chart is the source)", a.GetName(), s.GetPath())
	case s.GetKind() != pb.SourceKind_SOURCE_KIND_UNSPECIFIED && s.GetKind() != pb.SourceKind_SOURCE_KIND_HELM:
		return invalid("application %s: source.kind %s: a chart is rendered with Helm", a.GetName(), s.GetKind())
	case s.GetDirectory() != nil || s.GetKustomize() != nil:
		return invalid("application %s: source.directory and source.kustomize do not apply to a chart (source.helm does)", a.GetName())
	case s.GetChart() == "." || s.GetChart() == ".." || strings.ContainsAny(s.GetChart(), `/\`):
		return invalid("application %s: source.chart %q: a chart name, not a path", a.GetName(), s.GetChart())
	}
	if r := s.GetTargetRevision(); r != "" {
		if _, err := semver.NewConstraint(r); err != nil {
			return invalid("application %s: source.targetRevision %q: a chart's revision is a version or a semver constraint (~1.2, >=1.0 <2, *): %v", a.GetName(), r, err)
		}
	}
	return nil
}
