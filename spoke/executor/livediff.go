package executor

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// LiveDiff compares a plan with the live cluster and changes nothing. For
// each object the plan applies: the diff from the live object to what
// applying would leave (ignoreDifferences respected, as for drift); for
// each prune: the live object going away. Objects that would not change
// are left out, as are hooks (they run at every sync), the CreateNamespace
// namespace, and prunes that would be refused (Prune=false, not ours).
// Results keep the plan's order.
func (e *Executor) LiveDiff(ctx context.Context, app string, msg *pb.Plan, p *plan.Plan) ([]*pb.DriftedResource, error) {
	t := NewTarget(app, 0, msg, p, store.Run{})
	var acts []plan.Action
	for _, st := range p.Steps {
		for _, a := range st.Actions {
			if (a.Action == plan.Apply && !a.AutoCreated) || a.Action == plan.Prune {
				acts = append(acts, a)
			}
		}
	}
	out := make([]*pb.DriftedResource, len(acts))
	errs := forEach(len(acts), e.concurrency(), func(i int) error {
		d, err := e.liveDiffOne(ctx, t, acts[i])
		out[i] = d
		return err
	})
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	changed := out[:0]
	for _, d := range out {
		if d != nil {
			changed = append(changed, d)
		}
	}
	return changed, nil
}

// liveDiffOne returns one action's change, nil when there is none.
func (e *Executor) liveDiffOne(ctx context.Context, t *Target, a plan.Action) (*pb.DriftedResource, error) {
	var desired, live *unstructured.Unstructured
	if a.Action == plan.Prune {
		ref := apply.Ref{GVK: schema.FromAPIVersionAndKind(a.APIVersion, a.Kind), Namespace: a.Namespace, Name: a.Name}
		l, keep, _, err := e.prunable(ctx, t.App, ref)
		if err != nil || l == nil || keep {
			return nil, err
		}
		live = l
	} else {
		obj, err := e.resolve(ctx, t, a)
		if err != nil {
			return nil, err
		}
		desired = apply.Track(t.App, obj)
		_, known, err := e.Cluster.Namespaced(ctx, desired.GroupVersionKind())
		if err != nil {
			return nil, err
		}
		if known { // else the plan's CRD creates the kind: the object is new
			if live, err = e.Cluster.Get(ctx, apply.RefOf(desired)); err != nil {
				return nil, err
			}
		}
	}
	r, err := diff.Compare(ctx, desired, live, diff.Options{Ignore: t.ignore})
	if err != nil {
		return nil, fmt.Errorf("%s %s: compare: %w", a.Kind, a.Name, err)
	}
	if r.Status == diff.Synced {
		return nil, nil
	}
	return &pb.DriftedResource{Ref: &pb.ObjectRef{ApiVersion: r.APIVersion, Kind: r.ID.Kind, Namespace: r.ID.Namespace, Name: r.ID.Name}, Diff: r.Diff}, nil
}
