package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// App of apps: the Applications, AppProjects and ApplicationSets an
// application's source renders are declared on the hub, owned by it; they
// never go to a cluster. What it declares no more is deleted when the
// application prunes (syncPolicy.prune, as Argo CD prunes a child
// Application), and only after a render that read the whole source: a
// failed render, or a document that could not be read, deletes nothing.

// declareChildren declares what a's targets rendered and returns conds
// with the refusals added.
func (c *Controller) declareChildren(ctx context.Context, a *pb.Application, targets []target, srcErr error, conds []store.Condition) []store.Condition {
	if srcErr != nil {
		return conds // nothing was read: what a declared stays
	}
	docs, rev, complete, err := c.childDocs(ctx, a, targets)
	if err != nil {
		if c.isParent(a.GetName()) {
			conds = append(conds, store.Condition{Type: CondComparison, Message: err.Error(), Since: c.now()})
		}
		return conds
	}
	if len(docs) == 0 && !c.isParent(a.GetName()) {
		return conds
	}
	if len(targets) == 0 && len(docs) > 0 && !c.rendersObjects(a) {
		conds = withoutNoCluster(conds) // an application of applications only needs no cluster
	}
	file := "path " + orDot(a.GetSource().GetPath())
	var objs []manifest.Object
	also := map[string]bool{}
	for i, u := range docs {
		o, err := manifest.FromMap(file, i, u.Object)
		if err != nil {
			conds = append(conds, store.Condition{Type: CondInvalidSpec, Message: "declared: " + err.Error(), Since: c.now()})
			also[declare.Key(u.GetKind(), u.GetName())] = true
			complete = complete && u.GetName() != ""
			continue
		}
		objs = append(objs, o)
	}
	complete = complete && a.GetSyncPolicy().GetPrune()
	owner := &pb.ManagedBy{Kind: declare.OwnerApplication, Name: a.GetName(), RepoUrl: a.GetSource().GetRepoUrl(), Revision: rev, Path: a.GetSource().GetPath()}
	results, err := c.decl.Declare(owner, objs, also, complete, declare.HasResourcesFinalizer)
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

// childDocs gathers the declarations the targets rendered (the first
// target declaring a name wins); without a target it renders the source
// for no cluster. complete says every target rendered.
func (c *Controller) childDocs(ctx context.Context, a *pb.Application, targets []target) (docs []*unstructured.Unstructured, rev string, complete bool, err error) {
	if len(targets) == 0 {
		return c.renderChildren(ctx, a)
	}
	seen := map[string]bool{}
	complete = true
	for _, t := range targets {
		if !t.rendered {
			complete = false
			continue
		}
		rev = t.revision
		for _, u := range t.children {
			if k := childKey(u); !seen[k] {
				seen[k] = true
				docs = append(docs, u)
			}
		}
	}
	return docs, rev, complete, nil
}

// renderChildren renders a's source without a cluster and keeps what it
// declares.
func (c *Controller) renderChildren(ctx context.Context, a *pb.Application) ([]*unstructured.Unstructured, string, bool, error) {
	repo := c.repo(a.GetSource().GetRepoUrl())
	commit, err := repo.Resolve(a.GetSource().GetTargetRevision())
	if err != nil {
		return nil, "", false, err
	}
	all, err := c.render(ctx, repo, commit.String(), renderSource(a, nil, c.opts.KubeVersion), a.GetSource().GetRepoUrl())
	if err != nil {
		return nil, "", false, err
	}
	var docs []*unstructured.Unstructured
	for _, u := range all {
		if manifest.IsConfigKind(u.GetAPIVersion(), u.GetKind()) {
			docs = append(docs, u)
		}
	}
	c.objectsOnly.Store(a.GetName(), len(all) > len(docs))
	return docs, commit.String(), true, nil
}

// rendersObjects reports whether a's last render for no cluster had
// objects to deploy besides declarations (which no cluster receives).
func (c *Controller) rendersObjects(a *pb.Application) bool {
	v, ok := c.objectsOnly.Load(a.GetName())
	return ok && v.(bool)
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
