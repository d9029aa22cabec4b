package declare

import (
	"errors"
	"strings"

	"github.com/flotilla-gitops/flotilla/internal/manifest"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Declaration is what one declarer (a parent application, a set)
// declares now.
type Declaration struct {
	Owner   *pb.ManagedBy
	Objects []manifest.Object
	// Keep names (Key) objects declared but not readable now: never deleted.
	Keep map[string]bool
	// Complete: the declarer's source was read in full, so what it no
	// longer declares is deleted.
	Complete bool
	// Cascade says whether a deleted application's resources go with it.
	Cascade func(*pb.Application) bool
	// Project, when set, is the only project the declarer may declare
	// applications in; it may then declare nothing else (projects, sets,
	// cluster labels): a team's repository cannot widen its own rights.
	Project string
	// NoUpdate leaves the objects that exist as they are (an
	// ApplicationSet's applicationsSync create-only or create-delete).
	NoUpdate bool
}

// Declare makes what d.Owner declares be d.Objects: each object is
// applied (refused ones named in the results); when d.Complete, what the
// owner declared before and declares no more is deleted. A refused object
// is still declared (so are those in d.Keep): what runs is never deleted
// because a declaration went bad.
func (e *Engine) Declare(d Declaration) ([]*pb.ApplyResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	keep := map[string]bool{}
	for k := range d.Keep {
		keep[k] = true
	}
	for _, o := range d.Objects {
		keep[Key(o.Kind, o.Name)] = true
	}
	objs, results := Unique(d.Objects)
	results = append(results, e.apply(objs, Options{Owner: d.Owner, project: d.Project, noUpdate: d.NoUpdate})...)
	if !d.Complete {
		return results, nil
	}
	pruned, err := e.prune(d.Owner, func(kind, name string, _ map[string]string) bool { return keep[Key(kind, name)] }, false, d.Cascade)
	return append(results, pruned...), err
}

// PruneAPI deletes the applications and sets the API declared whose labels
// match selector and that keep does not hold (kubectl apply --prune -l).
func (e *Engine) PruneAPI(keep map[string]bool, selector map[string]string, dryRun bool) ([]*pb.ApplyResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.prune(nil, func(kind, name string, labels map[string]string) bool {
		return keep[Key(kind, name)] || !rollout.Matches(selector, labels)
	}, dryRun, func(*pb.Application) bool { return true })
}

// prune deletes what owner declares (nil: the API) and kept refuses.
func (e *Engine) prune(owner *pb.ManagedBy, kept func(kind, name string, labels map[string]string) bool, dryRun bool,
	cascade func(*pb.Application) bool) ([]*pb.ApplyResult, error) {
	var out []*pb.ApplyResult
	result := func(kind, name string, err error) {
		r := &pb.ApplyResult{Kind: kind, Name: name, Action: Deleted}
		if err != nil {
			r.Action, r.Error = Refused, errText(err)
		}
		out = append(out, r)
	}
	owns := func(m *pb.ManagedBy) bool { return sameOwner(m, owner) }
	sets, err := e.store.ListApplicationSets()
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if owns(s.GetManagedBy()) && !kept("ApplicationSet", s.GetName(), s.GetLabels()) {
			result("ApplicationSet", s.GetName(), e.unlessDry(dryRun, func() error { return e.deleteAppSet(s) }))
		}
	}
	apps, err := e.store.ListApplications()
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		switch {
		case !owns(a.GetManagedBy()) || kept("Application", a.GetName(), a.GetLabels()):
		case HasSyncOption(a, "Prune=false"):
			result("Application", a.GetName(), errors.New("no longer declared; kept (argocd.argoproj.io/sync-options: Prune=false)"))
		default:
			result("Application", a.GetName(), e.unlessDry(dryRun, func() error { return e.deleteApp(a.GetName(), cascade(a)) }))
		}
	}
	if owner == nil { // projects carry no labels: apply --prune leaves them
		return out, nil
	}
	projects, err := e.store.ListProjects()
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		if owns(p.GetManagedBy()) && !kept("Project", p.GetName(), nil) {
			result("Project", p.GetName(), e.unlessDry(dryRun, func() error { return e.deleteProject(p.GetName()) }))
		}
	}
	return out, nil
}

func (e *Engine) unlessDry(dry bool, fn func() error) error {
	if dry {
		return nil
	}
	return fn()
}

// HasSyncOption reports whether a declared application's
// argocd.argoproj.io/sync-options annotation holds opt (Prune=false,
// Delete=false), as Argo CD reads it on a resource.
func HasSyncOption(a *pb.Application, opt string) bool {
	for _, o := range strings.Split(a.GetAnnotations()["argocd.argoproj.io/sync-options"], ",") {
		if strings.EqualFold(strings.TrimSpace(o), opt) {
			return true
		}
	}
	return false
}
