// Package declare takes declared configuration (Applications, Projects,
// ApplicationSets and cluster labels, Flotilla's kinds or Argo CD's) into
// the store: from `flotilla apply`, from an application whose output
// declares child applications (app of apps), from an ApplicationSet and
// from the hub's configuration repository. Every object records who
// declares it; what Git declares is not changed through the API unless
// forced, and an owner's objects it no longer declares are deleted.
package declare

import (
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Hooks wire the engine to the daemon.
type Hooks struct {
	// Declared: an application was created or changed, before it is
	// reconciled (Reconcile).
	Declared func(a *pb.Application)
	// Reconcile: an application was created or changed.
	Reconcile func(app string)
	// Deleted: an application was deleted.
	Deleted func(app string)
	// Removed: a deleted application's target on cluster is gone; with
	// cascade its spoke deletes the objects.
	Removed func(cluster, app string, cascade bool)
	// ClustersChanged: a cluster's labels changed.
	ClustersChanged func()
	// AppSetChanged: an ApplicationSet was created or changed.
	AppSetChanged func(name string)
}

// Engine applies declared objects to the store.
type Engine struct {
	store *store.Store
	hooks Hooks
	mu    sync.Mutex // one declaration at a time: ownership checks and writes agree
}

// New returns an engine; nil hooks do nothing.
func New(st *store.Store, h Hooks) *Engine {
	if h.Reconcile == nil {
		h.Reconcile = func(string) {}
	}
	if h.Declared == nil {
		h.Declared = func(*pb.Application) {}
	}
	if h.Deleted == nil {
		h.Deleted = func(string) {}
	}
	if h.Removed == nil {
		h.Removed = func(string, string, bool) {}
	}
	if h.ClustersChanged == nil {
		h.ClustersChanged = func() {}
	}
	if h.AppSetChanged == nil {
		h.AppSetChanged = func(string) {}
	}
	return &Engine{store: st, hooks: h}
}

// Options of one declaration.
type Options struct {
	// Owner declares the objects; nil for the API (flotilla apply).
	Owner *pb.ManagedBy
	// DryRun says what would change and changes nothing.
	DryRun bool
	// Force changes objects another owner declares (API only).
	Force bool
	// projects a dry run would create: applications of the same request
	// may use them.
	projects map[string]bool
	// project, when set, is the only project applications may be declared
	// in, and nothing else may be declared (Declaration.Project).
	project string
	// noUpdate leaves existing applications as they are.
	noUpdate bool
}

// Actions of an ApplyResult.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
	Deleted   = "deleted"
	Refused   = "refused"
)

// Apply creates or updates every object; each is accepted or refused on
// its own. Projects go first and ApplicationSets last, so that an
// application may use a project declared beside it.
func (e *Engine) Apply(objs []manifest.Object, o Options) []*pb.ApplyResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.apply(objs, o)
}

func (e *Engine) apply(objs []manifest.Object, o Options) []*pb.ApplyResult {
	out := make([]*pb.ApplyResult, len(objs))
	for _, kind := range []string{"Project", "Cluster", "Application", "ApplicationSet"} {
		for i, obj := range objs {
			if obj.Kind != kind {
				continue
			}
			r := &pb.ApplyResult{File: obj.File, Index: int32(obj.Index), Kind: obj.Kind, Name: obj.Name, Warnings: obj.Warnings}
			var err error
			if r.Action, r.Diff, err = e.applyOne(obj, &o); err != nil {
				r.Action, r.Error = Refused, errText(err)
			}
			out[i] = r
		}
	}
	return out
}

// applyOne applies one object; a project a dry run would create is noted
// in o for the applications of the same request.
func (e *Engine) applyOne(obj manifest.Object, o *Options) (action, diff string, err error) {
	if err := e.checkProject(obj, *o); err != nil {
		return "", "", err
	}
	switch obj.Kind {
	case "Project":
		action, diff, err = e.applyProject(obj, *o)
		if err == nil && o.DryRun {
			if o.projects == nil {
				o.projects = map[string]bool{}
			}
			o.projects[obj.Name] = true
		}
		return action, diff, err
	case "Cluster":
		return e.applyCluster(obj, *o)
	case "Application":
		return e.applyApp(obj, *o)
	}
	return e.applyAppSet(obj, *o)
}

// checkProject refuses, for a declarer limited to one project, anything
// but an application of that project, and the adoption of an application
// of another project.
func (e *Engine) checkProject(obj manifest.Object, o Options) error {
	p := o.project
	switch {
	case p == "":
		return nil
	case obj.Kind != "Application":
		return status.Errorf(codes.PermissionDenied, "%s %s: %s of project %s declares only applications of project %s",
			obj.Kind, obj.Name, Describe(o.Owner), p, p)
	case orDefault(obj.App.GetProject()) != p:
		return status.Errorf(codes.PermissionDenied, "application %s: project %q: %s of project %s declares only applications of project %s",
			obj.Name, obj.App.GetProject(), Describe(o.Owner), p, p)
	}
	if old, err := e.store.GetApplication(obj.Name); err == nil && orDefault(old.GetProject()) != p {
		return status.Errorf(codes.PermissionDenied, "application %s exists in project %s: %s of project %s cannot take it over",
			obj.Name, old.GetProject(), Describe(o.Owner), p)
	}
	return nil
}

// orDefault is a project name, "" being the default project.
func orDefault(project string) string {
	if project == "" {
		return "default"
	}
	return project
}
