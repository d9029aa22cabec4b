// Package validate refuses API objects that cannot mean anything, with
// an InvalidArgument error naming the object and field. The admin API
// and the declarative paths (apply, app of apps, ApplicationSets, the
// configuration repository) use the same checks.
package validate

import (
	"regexp"
	"sort"
	"strings"

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
	if len(d.GetClusters()) == 0 && len(d.GetClusterSelector()) == 0 && !d.GetInCluster() {
		return invalid("application %s: destination needs clusters, a clusterSelector or inCluster", a.GetName())
	}
	for _, check := range []func(*pb.Application) error{validateHistoryLimit, validateSyncPolicy, validateSources} {
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
