package declare

import (
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/hub/validate"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// ResourcesFinalizers are the finalizers that make deleting a declared
// application delete its resources from the clusters too.
var ResourcesFinalizers = []string{"resources-finalizer.argocd.argoproj.io", "flotilla.dev/resources-finalizer"}

// HasResourcesFinalizer reports whether a's resources go with it.
func HasResourcesFinalizer(a *pb.Application) bool {
	for _, f := range a.GetFinalizers() {
		for _, r := range ResourcesFinalizers {
			if f == r || (len(f) > len(r) && f[:len(r)+1] == r+"/") { // also …/foreground, …/background
				return true
			}
		}
	}
	return false
}

func (e *Engine) applyApp(obj manifest.Object, o Options) (string, string, error) {
	a := proto.Clone(obj.App).(*pb.Application)
	a.Warnings = obj.Warnings
	if err := e.checkLineage(a.GetName(), o); err != nil {
		return "", "", err
	}
	if err := e.resolveInCluster(a, o); err != nil {
		return "", "", err
	}
	return e.putApp(a, o, true)
}

// PutApp creates or replaces an application through the API: validated,
// and refused when Git declares it, unless forced.
func (e *Engine) PutApp(a *pb.Application, upsert, force bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Warnings are output only: what a declaration said, never the caller's.
	a.Warnings = nil
	if old, err := e.store.GetApplication(a.GetName()); err == nil {
		a.Warnings = old.GetWarnings()
	}
	_, _, err := e.putApp(a, Options{Force: force}, upsert)
	return err
}

func (e *Engine) putApp(a *pb.Application, o Options, upsert bool) (string, string, error) {
	if err := validate.App(a); err != nil {
		return "", "", err
	}
	if p := a.GetProject(); p != "" && p != "default" && !o.projects[p] {
		if _, err := e.store.GetProject(p); err != nil {
			return "", "", status.Errorf(codes.FailedPrecondition, "application %s: project %s: %v", a.GetName(), p, err)
		}
	}
	old, found, err := e.existing(a, o, upsert)
	switch {
	case err != nil:
		return "", "", err
	case found && o.noUpdate:
		return Unchanged, "", nil
	case found:
		a.CreatedAt = old.GetCreatedAt()
	default:
		a.CreatedAt = timestamppb.Now()
	}
	a.ManagedBy = keepOwner(old.GetManagedBy(), o)
	action, diff := change(old, a, found, manifest.ApplicationDocument, (*pb.Application).GetManagedBy, "application "+a.GetName())
	if action == Unchanged {
		return action, diff, nil
	}
	if err := e.checkDependencies(a); err != nil {
		return "", "", err
	}
	if o.DryRun {
		return action, diff, nil
	}
	if err := e.store.PutApplication(a, true); err != nil {
		return "", "", err
	}
	e.hooks.Declared(a)
	e.hooks.Reconcile(a.GetName())
	return action, diff, nil
}

// existing reads the stored version of a, refusing what a may not replace.
func (e *Engine) existing(a *pb.Application, o Options, upsert bool) (*pb.Application, bool, error) {
	old, err := e.store.GetApplication(a.GetName())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case !upsert:
		return nil, false, status.Errorf(codes.AlreadyExists, "application %q already exists", a.GetName())
	}
	return old, true, CheckOwner("application", a.GetName(), old.GetManagedBy(), o)
}

// checkDependencies refuses a cycle of dependsOn and sync waves through
// a; an application that depends on nothing and is nobody's child closes
// none (and costs no listing).
func (e *Engine) checkDependencies(a *pb.Application) error {
	if len(a.GetDependsOn()) == 0 && a.GetManagedBy().GetKind() != OwnerApplication {
		return nil
	}
	apps, err := e.store.ListApplications()
	if err != nil {
		return err
	}
	if err := CheckDependencies(a, apps); err != nil {
		return status.Errorf(codes.InvalidArgument, "application %s: %v", a.GetName(), err)
	}
	return nil
}

// resolveInCluster gives a child application whose destination is Argo
// CD's in-cluster its parent's clusters.
func (e *Engine) resolveInCluster(a *pb.Application, o Options) error {
	d := a.GetDestination()
	if !d.GetInCluster() || o.Owner.GetKind() != OwnerApplication {
		return nil
	}
	parent, err := e.store.GetApplication(o.Owner.GetName())
	if err != nil {
		return err
	}
	pd := parent.GetDestination()
	d.Clusters, d.ClusterSelector = append([]string(nil), pd.GetClusters()...), nil
	if len(pd.GetClusterSelector()) > 0 {
		d.ClusterSelector = map[string]string{}
		for k, v := range pd.GetClusterSelector() {
			d.ClusterSelector[k] = v
		}
	}
	return nil
}

// DeleteApp deletes an application through the API (refused when Git
// declares it, unless forced), its child applications with it.
func (e *Engine) DeleteApp(name string, cascade, force bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.store.GetApplication(name)
	if err != nil {
		return err
	}
	if err := CheckOwner("application", name, a.GetManagedBy(), Options{Force: force}); err != nil {
		return err
	}
	return e.deleteApp(name, cascade)
}

// maxNesting bounds how deep applications declare applications.
const maxNesting = 8

// checkLineage refuses a child that is its declarer or one of its
// ancestors (a loop), and nesting deeper than maxNesting.
func (e *Engine) checkLineage(name string, o Options) error {
	m := o.Owner
	for depth := 0; m.GetKind() == OwnerApplication; depth++ {
		switch {
		case m.GetName() == name:
			return status.Errorf(codes.InvalidArgument, "application %s: declared by itself or one of the applications it declares", name)
		case depth >= maxNesting:
			return status.Errorf(codes.InvalidArgument, "application %s: declared %d applications deep; at most %d", name, depth+1, maxNesting)
		}
		parent, err := e.store.GetApplication(m.GetName())
		if err != nil {
			return err
		}
		m = parent.GetManagedBy()
	}
	return nil
}

// deleteApp deletes an application. With cascade, the applications it
// declares go first (each with its resources when it has the resources
// finalizer); without, or for one marked Delete=false, they stay,
// declared by nobody.
func (e *Engine) deleteApp(name string, cascade bool) error {
	apps, err := e.store.ListApplications()
	if err != nil {
		return err
	}
	for _, c := range apps {
		if c.GetManagedBy().GetKind() != OwnerApplication || c.GetManagedBy().GetName() != name || c.GetName() == name {
			continue
		}
		if !cascade || HasSyncOption(c, "Delete=false") {
			c.ManagedBy = nil
			if err := e.store.PutApplication(c, true); err != nil {
				return err
			}
			continue
		}
		if err := e.deleteApp(c.GetName(), HasResourcesFinalizer(c)); err != nil {
			return err
		}
	}
	ts, err := e.store.ListTargets(name)
	if err != nil {
		return err
	}
	if err := e.store.DeleteApplication(name); err != nil {
		return err
	}
	e.hooks.Deleted(name)
	for _, t := range ts {
		e.hooks.Removed(t.GetCluster(), name, cascade)
	}
	return nil
}

// PutConfigApp stores the configuration repository's application, whoever
// declared that name before (the hub's flags decide it).
func (e *Engine) PutConfigApp(a *pb.Application) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _, err := e.putApp(a, Options{Owner: a.GetManagedBy(), Force: true}, true)
	return err
}
