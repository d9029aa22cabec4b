package executor

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/health"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// prune deletes an object no longer desired, with the plan's propagation
// policy, and returns the wait for it to be gone. It never deletes an
// object annotated Prune=false, nor one another application (or nobody)
// tracks: those are left in place.
func (e *Executor) prune(ctx context.Context, t *Target, stepIdx int, a plan.Action) (outcome, error) {
	st := t.Plan.Steps[stepIdx]
	ref := apply.Ref{GVK: schema.FromAPIVersionAndKind(a.APIVersion, a.Kind), Namespace: a.Namespace, Name: a.Name}
	sref := store.Ref{APIVersion: a.APIVersion, Kind: a.Kind, Namespace: a.Namespace, Name: a.Name}
	policy, err := apply.Propagation(t.Proto.GetOptions().GetPrunePropagationPolicy())
	if err != nil {
		return outcome{}, fmt.Errorf("%s: prune: %w", ref, err)
	}
	live, keep, why, err := e.prunable(ctx, t.App, ref)
	if err != nil {
		t.record(st, a, "", resFailed, "", err.Error())
		return outcome{}, err
	}
	if live == nil {
		t.record(st, a, "", resPruned, health.Missing, why)
		return outcome{pruned: sref}, nil
	}
	if keep {
		t.record(st, a, "", resSkipped, healthOf(live).Status, why)
		return outcome{}, nil
	}
	uid := live.GetUID()
	if err := e.Cluster.Delete(ctx, ref, policy, uid); err != nil {
		t.record(st, a, "", resFailed, "", err.Error())
		return outcome{}, err
	}
	e.log(t).Info("pruned", "wave", st.Wave, "object", ref.String(), "propagation", policy)
	t.record(st, a, "", resPruned, health.Missing, "")
	return outcome{pruned: sref, wait: func(ctx context.Context) error {
		_, err := e.Cluster.Wait(ctx, ref, func(u *unstructured.Unstructured) (bool, error) {
			return u == nil || u.GetUID() != uid, nil
		})
		return err
	}}, nil
}

// prunable reads the live object and says whether it must be kept (with
// why). A missing object (or kind) returns nil.
func (e *Executor) prunable(ctx context.Context, app string, ref apply.Ref) (live *unstructured.Unstructured, keep bool, why string, err error) {
	namespaced, known, err := e.Cluster.Namespaced(ctx, ref.GVK)
	if err != nil {
		return nil, false, "", fmt.Errorf("%s: %w", ref, err)
	}
	if !known {
		return nil, false, "already gone (kind no longer served)", nil
	}
	if err := e.checkGuard(ref.GVK.GroupKind(), ref.Namespace, ref.Name, namespaced); err != nil {
		return nil, false, "", err
	}
	live, err = e.Cluster.Get(ctx, ref)
	if err != nil {
		return nil, false, "", err
	}
	if live == nil {
		return nil, false, "already gone", nil
	}
	if apply.HasSyncOption(live, "Prune", "false") {
		return live, true, "not pruned: Prune=false", nil
	}
	if owner, ok := apply.TrackedBy(live); !ok || owner != app {
		return live, true, fmt.Sprintf("not pruned: %v", fmt.Errorf("%w %q (tracking id %q)", apply.ErrNotTracked, app,
			live.GetAnnotations()[apply.AnnotationTracking])), nil
	}
	return live, false, "", nil
}

// PruneAll deletes the inventory of an application whose target was
// removed, last applied first, with the same protections as prune. It
// does not wait for the objects to be gone.
func (e *Executor) PruneAll(ctx context.Context, app string, refs []store.Ref, propagation string) error {
	policy, err := apply.Propagation(propagation)
	if err != nil {
		return err
	}
	var errs []error
	var gone []store.Ref
	for i := len(refs) - 1; i >= 0; i-- {
		r := refs[i]
		ref := apply.Ref{GVK: schema.FromAPIVersionAndKind(r.APIVersion, r.Kind), Namespace: r.Namespace, Name: r.Name}
		live, keep, why, err := e.prunable(ctx, app, ref)
		switch {
		case err != nil:
			errs = append(errs, err)
			continue
		case keep:
			e.Log.Info("kept", "app", app, "object", ref.String(), "reason", why)
		case live != nil && apply.HasSyncOption(live, "Delete", "false"):
			// Argo CD's resource-level Delete=false: kept when its
			// application goes, only forgotten.
			e.Log.Info("kept", "app", app, "object", ref.String(), "reason", "not deleted: Delete=false")
		case live != nil:
			if err := e.Cluster.Delete(ctx, ref, policy, live.GetUID()); err != nil {
				errs = append(errs, err)
				continue
			}
			e.Log.Info("pruned", "app", app, "object", ref.String(), "propagation", policy)
		}
		gone = append(gone, r)
	}
	if err := e.Store.UpdateInventory(app, nil, gone); err != nil {
		errs = append(errs, err)
	}
	return joinErrors(errs)
}
