package declare

import (
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Declare makes what owner declares be objs: each object is applied
// (refused ones named in the results); when complete (the owner's source
// was read in full), what the owner declared before and declares no more
// is deleted, an application with its resources when cascade says so.
// A refused object is still declared (so are the names of documents
// refused before, in also): what runs is never deleted because a
// declaration went bad.
func (e *Engine) Declare(owner *pb.ManagedBy, objs []manifest.Object, also map[string]bool, complete bool,
	cascade func(*pb.Application) bool) ([]*pb.ApplyResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	keep := map[string]bool{}
	for k := range also {
		keep[k] = true
	}
	for _, o := range objs {
		keep[Key(o.Kind, o.Name)] = true
	}
	objs, results := Unique(objs)
	results = append(results, e.apply(objs, Options{Owner: owner})...)
	if !complete {
		return results, nil
	}
	pruned, err := e.prune(owner, func(kind, name string, _ map[string]string) bool { return keep[Key(kind, name)] }, false, cascade)
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
		if owns(a.GetManagedBy()) && !kept("Application", a.GetName(), a.GetLabels()) {
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
