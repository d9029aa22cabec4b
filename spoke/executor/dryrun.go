package executor

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// dryRun validates every object of the plan with a server-side dry-run
// before anything changes. Objects that cannot be dry-run yet are passed
// over, as Argo CD does: those in a namespace the plan creates, and custom
// resources whose CRD the plan applies. The error names every refused
// object (up to five) with the API server's message.
func (e *Executor) dryRun(ctx context.Context, t *Target) error {
	namespaces := map[string]bool{}
	crds := map[schema.GroupKind]bool{}
	var acts []plan.Action
	for _, st := range t.Plan.Steps {
		for _, a := range st.Actions {
			if a.Action == plan.Prune || a.AutoCreated {
				if a.AutoCreated {
					namespaces[a.Name] = true
				}
				continue
			}
			acts = append(acts, a)
			switch gvk := a.Object.GroupVersionKind(); gvk.GroupKind() {
			case schema.GroupKind{Kind: "Namespace"}:
				namespaces[a.Name] = true
			case schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
				group, _, _ := unstructured.NestedString(a.Object.Object, "spec", "group")
				kind, _, _ := unstructured.NestedString(a.Object.Object, "spec", "names", "kind")
				crds[schema.GroupKind{Group: group, Kind: kind}] = true
			}
		}
	}
	if err := refuseOptions(acts); err != nil {
		return fmt.Errorf("%w (nothing applied): %w", ErrDryRun, err)
	}
	if err := e.loadApplied(t); err != nil {
		return err
	}
	acts = e.skipUnchanged(ctx, t, acts)
	errs := forEach(len(acts), e.concurrency(), func(i int) error {
		return e.dryRunOne(ctx, t, acts[i], namespaces, crds)
	})
	if err := joinErrors(errs); err != nil {
		return fmt.Errorf("%w (nothing applied): %w", ErrDryRun, err)
	}
	return nil
}

func (e *Executor) dryRunOne(ctx context.Context, t *Target, a plan.Action, namespaces map[string]bool, crds map[schema.GroupKind]bool) error {
	err := e.dryRunAttempt(ctx, t, a, namespaces, crds)
	if apply.IsResourceGone(err) {
		// Its CRD went away since discovery ran (an application deleted
		// and created again): discovery was refreshed; look again.
		err = e.dryRunAttempt(ctx, t, a, namespaces, crds)
	}
	return err
}

func (e *Executor) dryRunAttempt(ctx context.Context, t *Target, a plan.Action, namespaces map[string]bool, crds map[schema.GroupKind]bool) error {
	gvk := a.Object.GroupVersionKind()
	if _, known, err := e.Cluster.Namespaced(ctx, gvk); err != nil {
		return fmt.Errorf("%s: %w", object.Describe(a.Object), err)
	} else if !known {
		if crds[gvk.GroupKind()] || skipsMissing(t, a) {
			// No object of a kind the cluster does not serve yet exists.
			ref := apply.RefOf(a.Object)
			if ref.Namespace == "" {
				ref.Namespace = t.Proto.GetOptions().GetDefaultNamespace()
			}
			t.setPrior(ref, nil)
			return nil
		}
		return fmt.Errorf("%s: %w: the cluster serves no %s in %s and the plan defines no CRD for it", object.Describe(a.Object), ErrUnknownKind, gvk.Kind, gvk.GroupVersion())
	}
	obj, err := e.resolve(ctx, t, a)
	if err != nil {
		return err
	}
	if a.Action == plan.Hook {
		_, err = e.Cluster.Create(ctx, apply.TrackHook(t.App, obj), writeOptions(t, true))
		if apierrors.IsAlreadyExists(err) {
			err = nil // validated; BeforeHookCreation or apply takes it from there
		}
	} else {
		desired := apply.Track(t.App, obj)
		opts := t.Proto.GetOptions()
		if opts.GetRespectIgnoreDifferences() {
			live, gerr := e.Cluster.Get(ctx, apply.RefOf(obj))
			if gerr != nil {
				return gerr
			}
			if live != nil {
				if desired, err = diff.Strip(ctx, desired, live, t.ignore); err != nil {
					return fmt.Errorf("%s: ignoreDifferences: %w", object.Describe(obj), err)
				}
			}
		}
		if replace, force := replaces(t, a); replace {
			err = e.dryRunReplace(ctx, t, desired, force) // no prior: applying reads the live object
		} else {
			var out *unstructured.Unstructured
			out, err = e.Cluster.Apply(ctx, desired, applyOptions(t, true))
			if err == nil {
				err = e.checkAdopted(ctx, t, out)
			}
			if err == nil {
				t.setPrior(apply.RefOf(obj), out)
			}
		}
	}
	if err != nil && namespaces[obj.GetNamespace()] && apply.IsNamespaceNotFound(err) {
		t.setPrior(apply.RefOf(obj), nil) // nothing exists in a namespace that does not
		return nil
	}
	return err
}

// loadApplied reads what the inventory says the last applies left, so
// that objects nobody changed since are not applied again.
func (e *Executor) loadApplied(t *Target) error {
	refs, err := e.Store.Inventory(t.App)
	if err != nil {
		return err
	}
	applied := map[apply.Ref]*store.Applied{}
	inventory := make(map[string]bool, len(refs))
	for _, r := range refs {
		inventory[inventoryKey(schema.FromAPIVersionAndKind(r.APIVersion, r.Kind).GroupKind(), r.Namespace, r.Name)] = true
		if r.Applied != nil {
			applied[apply.Ref{GVK: schema.FromAPIVersionAndKind(r.APIVersion, r.Kind), Namespace: r.Namespace, Name: r.Name}] = r.Applied
		}
	}
	t.mu.Lock()
	t.applied = applied
	t.inventory = inventory
	t.mu.Unlock()
	return nil
}

// skipsMissing says whether the dry-run passes over an object of a kind
// the cluster does not serve (SkipDryRunOnMissingResource=true, for the
// plan or on the object): its CRD is expected during the sync.
func skipsMissing(t *Target, a plan.Action) bool {
	return t.Proto.GetOptions().GetSkipDryRunOnMissingResource() || apply.HasSyncOption(a.Object, "SkipDryRunOnMissingResource", "true")
}
