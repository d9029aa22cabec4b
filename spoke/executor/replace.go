package executor

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// replaces says whether an object is replaced rather than applied (sync
// option Replace=true, for the plan or on the object), and whether it is
// deleted and created again (Force=true with it): kubectl replace
// [--force], for objects too large to apply or with immutable fields.
func replaces(t *Target, a plan.Action) (replace, force bool) {
	opts := t.Proto.GetOptions()
	replace = opts.GetReplace() || apply.HasSyncOption(a.Object, "Replace", "true")
	force = replace && (opts.GetForce() || apply.HasSyncOption(a.Object, "Force", "true"))
	return replace, force
}

// replace creates the object, replaces the live one with it, or (force)
// deletes the live one and creates it again, and returns what the API
// server stored.
func (e *Executor) replace(ctx context.Context, t *Target, desired, live *unstructured.Unstructured, force bool) (*unstructured.Unstructured, error) {
	switch {
	case live == nil:
		return e.Cluster.Create(ctx, desired, writeOptions(t, false))
	case force:
		if err := e.deleteAndWait(ctx, live); err != nil {
			return nil, err
		}
		return e.Cluster.Create(ctx, desired, writeOptions(t, false))
	}
	c := desired.DeepCopy()
	c.SetResourceVersion(live.GetResourceVersion())
	return e.Cluster.Update(ctx, c, writeOptions(t, false))
}

// dryRunReplace validates a replaced object: as a create when there is no
// live object, else as a replace of it; one deleted and created again
// (force) is validated when it is created, its changes may be to fields
// the live object cannot take. Another application's object is refused
// here, as applied ones are.
func (e *Executor) dryRunReplace(ctx context.Context, t *Target, desired *unstructured.Unstructured, force bool) error {
	ref := apply.RefOf(desired)
	live, err := e.Cluster.Get(ctx, ref)
	if err != nil {
		return err
	}
	if !t.owned(ref) {
		if err := checkShared(t, live); err != nil {
			return err
		}
	}
	switch {
	case live == nil:
		_, err = e.Cluster.Create(ctx, desired, writeOptions(t, true))
		return err
	case force:
		return nil
	}
	c := desired.DeepCopy()
	c.SetResourceVersion(live.GetResourceVersion())
	_, err = e.Cluster.Update(ctx, c, writeOptions(t, true))
	return err
}
