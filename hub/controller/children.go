package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// App of apps: the Applications, AppProjects and ApplicationSets an
// application's source renders are declared on the hub, owned by it; they
// never go to a cluster. An automated application declares them at every
// reconcile, another when it is synced (flotilla app sync), as Argo CD
// creates child Applications by syncing the parent. What it declares no
// more is deleted when it prunes (syncPolicy.prune), and only after a
// render that read the whole source: a failed render, a document that
// could not be read or a source that comes to declare nothing (unless
// allowEmpty) deletes nothing. A parent in a project other than default
// declares only applications of its own project.

// declareChildren declares what a's targets rendered (when a is automated
// or manual says it is being synced) and returns conds with the refusals
// added.
func (c *Controller) declareChildren(ctx context.Context, a *pb.Application, targets []target, srcErr error, conds []store.Condition, manual bool) []store.Condition {
	if srcErr != nil || (!manual && !a.GetSyncPolicy().GetAutomated()) {
		return conds // nothing was read, or not asked to: what a declared stays
	}
	docs, rev, complete, err := c.childDocs(ctx, a, targets)
	if err != nil {
		if c.isParent(a.GetName()) {
			conds = append(conds, store.Condition{Type: CondComparison, Message: err.Error(), Since: c.now()})
		}
		return conds
	}
	if len(docs.list) == 0 && !c.isParent(a.GetName()) {
		return conds
	}
	if len(targets) == 0 && len(docs.list) > 0 && !c.rendersObjects(a) {
		conds = withoutNoCluster(conds) // an application of applications only needs no cluster
	}
	objs, also, bad := c.readChildren(a, docs)
	conds = append(conds, bad...)
	complete = complete && a.GetSyncPolicy().GetPrune() && len(bad) == 0
	if complete && len(objs)+len(also) == 0 && !a.GetSyncPolicy().GetAllowEmpty() {
		complete = false
		conds = append(conds, store.Condition{Type: CondComparison, Since: c.now(),
			Message: "the source declares no application any more: the applications it declared are kept (set syncPolicy.allowEmpty to let them go)"})
	}
	first := declaringSource(a)
	owner := &pb.ManagedBy{Kind: declare.OwnerApplication, Name: a.GetName(), RepoUrl: first.GetRepoUrl(), Revision: rev, Path: first.GetPath()}
	results, err := c.decl.Declare(declare.Declaration{Owner: owner, Objects: objs, Keep: also, Complete: complete,
		Cascade: declare.HasResourcesFinalizer, Project: c.childProject(a)})
	if err != nil {
		return append(conds, store.Condition{Type: CondComparison, Message: "declaring children: " + err.Error(), Since: c.now()})
	}
	c.parents.Store(a.GetName(), len(objs)+len(also) > 0)
	for _, r := range results {
		if r.GetAction() == declare.Refused {
			conds = append(conds, store.Condition{Type: CondInvalidSpec, Since: c.now(),
				Message: fmt.Sprintf("declared %s %s: %s", r.GetKind(), r.GetName(), r.GetError())})
		}
	}
	return conds
}

// childProject is the project a's children must belong to: its own, or
// any ("") for an application the configuration repository declares
// (flotilla-config and what it declares, an administrator's): a
// default-project application created through the API stays in the
// default project, or whoever may create one there could declare
// projects and applications anywhere.
func (c *Controller) childProject(a *pb.Application) string {
	if p := a.GetProject(); p != "default" && p != "" {
		return p
	}
	if c.declaredByConfig(a) {
		return ""
	}
	return "default"
}

// declaredByConfig says whether a is flotilla-config or declared, through
// applications, by the configuration repository.
func (c *Controller) declaredByConfig(a *pb.Application) bool {
	for range 32 { // a chain of declarations is short; a cycle ends here
		if a.GetName() == ConfigAppName {
			return true
		}
		switch a.GetManagedBy().GetKind() {
		case declare.OwnerConfigRepo:
			return true
		case declare.OwnerApplication:
			parent, err := c.store.GetApplication(a.GetManagedBy().GetName())
			if err != nil {
				return false
			}
			a = parent
		default:
			return false
		}
	}
	return false
}

// readChildren converts the rendered declarations; one that cannot be
// read (or that two targets render differently) is named in a condition
// and kept as it is (also).
func (c *Controller) readChildren(a *pb.Application, docs childSet) ([]manifest.Object, map[string]bool, []store.Condition) {
	file := "path " + orDot(declaringSource(a).GetPath())
	var objs []manifest.Object
	var bad []store.Condition
	also := map[string]bool{}
	for i, u := range docs.list {
		k := childKey(u)
		if docs.conflict[k] != "" {
			also[k] = true
			bad = append(bad, store.Condition{Type: CondInvalidSpec, Since: c.now(),
				Message: fmt.Sprintf("declared %s: rendered differently for clusters %s: kept as it is", k, docs.conflict[k])})
			continue
		}
		o, err := manifest.FromMap(file, i, u.Object)
		if err != nil {
			also[k] = true
			bad = append(bad, store.Condition{Type: CondInvalidSpec, Message: "declared: " + err.Error(), Since: c.now()})
			continue
		}
		objs = append(objs, o)
	}
	return objs, also, bad
}

// childSet is what an application's targets declare: each declaration
// once, and those two targets render differently (key → the clusters).
type childSet struct {
	list     []*unstructured.Unstructured
	conflict map[string]string
}

// childDocs gathers the declarations the targets rendered; without a
// target it renders the source for no cluster. complete says every target
// rendered.
func (c *Controller) childDocs(ctx context.Context, a *pb.Application, targets []target) (docs childSet, rev string, complete bool, err error) {
	docs.conflict = map[string]string{}
	if len(targets) == 0 {
		docs.list, rev, complete, err = c.renderChildren(ctx, a)
		return docs, rev, complete, err
	}
	first := map[string]*unstructured.Unstructured{}
	from := map[string]string{}
	complete = true
	for _, t := range targets {
		if !t.rendered {
			complete = false
			continue
		}
		rev = t.revision
		for _, u := range t.children {
			k := childKey(u)
			switch f, seen := first[k]; {
			case !seen:
				first[k], from[k] = u, t.cluster.GetName()
				docs.list = append(docs.list, u)
			case !equality.Semantic.DeepEqual(f.Object, u.Object):
				docs.conflict[k] = from[k] + " and " + t.cluster.GetName()
			}
		}
	}
	return docs, rev, complete, nil
}

// renderChildren renders a's source without a cluster and keeps what it
// declares.
func (c *Controller) renderChildren(ctx context.Context, a *pb.Application) ([]*unstructured.Unstructured, string, bool, error) {
	commit, err := c.resolveRevision(a, wire.TargetRevision(a))
	if err != nil {
		return nil, "", false, err
	}
	objs, docs, err := c.renderSplit(ctx, a, nil, commit) // no cluster: the hub's default capabilities
	if err != nil {
		return nil, "", false, err
	}
	c.objectsOnly.Store(a.GetName(), len(objs) > 0)
	return docs, commit, true, nil
}

// rendersObjects reports whether a's last render for no cluster had
// objects to deploy besides declarations (which no cluster receives).
func (c *Controller) rendersObjects(a *pb.Application) bool {
	v, ok := c.objectsOnly.Load(a.GetName())
	return ok && v.(bool)
}

// declaringSource is the source whose declarations an application of
// applications owns: its first that renders.
func declaringSource(a *pb.Application) *pb.ApplicationSource {
	for _, s := range wire.Sources(a) {
		if wire.Renders(a, s) {
			return s
		}
	}
	return a.GetSource()
}

func childKey(u *unstructured.Unstructured) string { return declare.Key(u.GetKind(), u.GetName()) }

// isParent reports whether a declared applications at its last
// reconcile (or, after a restart, whether the store says it declares any).
func (c *Controller) isParent(app string) bool {
	v, ok := c.parents.Load(app)
	return ok && v.(bool)
}

func withoutNoCluster(conds []store.Condition) []store.Condition {
	out := conds[:0]
	for _, cd := range conds {
		if cd.Cluster != "" || cd.Type != CondInvalidSpec {
			out = append(out, cd)
		}
	}
	return out
}

func orDot(p string) string {
	if p == "" {
		return "."
	}
	return p
}
