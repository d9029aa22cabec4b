package executor

import (
	"context"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// minListed is how many candidates of one kind and namespace make a list
// of their resourceVersions cheaper than a dry-run each.
const minListed = 8

// appliedHash identifies what an apply sends: the object and the force
// flag. The inventory keeps it with the resourceVersion the apply left.
func appliedHash(desired *unstructured.Unstructured, force bool) (string, error) {
	sum, err := object.Hash(desired)
	if err != nil {
		return "", err
	}
	return sum + "/force=" + strconv.FormatBool(force), nil
}

// skipUnchanged finds, with one metadata list per kind and namespace, the
// objects that nothing wrote since the spoke applied this same object:
// they passed validation then and applying them again changes nothing, so
// they need neither a dry-run nor an apply. It records them for
// applyResource and returns the actions that still need a dry-run. A list
// that fails only means more dry-runs. Options that compare with the live
// object (ApplyOutOfSyncOnly, RespectIgnoreDifferences) read it anyway.
func (e *Executor) skipUnchanged(ctx context.Context, t *Target, acts []plan.Action) []plan.Action {
	opts := t.Proto.GetOptions()
	t.mu.Lock()
	none := len(t.applied) == 0
	t.mu.Unlock()
	// Nothing applied before (a first sync): nothing to look up, and no
	// kind lookups (an unknown kind refreshes discovery) ahead of the dry-run.
	if none || opts.GetApplyOutOfSyncOnly() || opts.GetRespectIgnoreDifferences() {
		return acts
	}
	type group struct {
		gvk schema.GroupVersionKind
		ns  string
	}
	type candidate struct {
		idx     int
		ref     apply.Ref
		desired *unstructured.Unstructured
		last    *store.Applied
	}
	groups := map[group][]candidate{}
	for i, a := range acts {
		if a.Action != plan.Apply || a.AutoCreated {
			continue
		}
		obj, err := e.resolve(ctx, t, a)
		if err != nil {
			continue // the dry-run reports it
		}
		ref := apply.RefOf(obj)
		if last := t.lastApplied(ref); last != nil {
			g := group{ref.GVK, ref.Namespace}
			groups[g] = append(groups[g], candidate{i, ref, obj, last})
		}
	}
	skip := map[int]bool{}
	for g, cs := range groups {
		if len(cs) < minListed {
			continue
		}
		rvs, err := e.Cluster.ResourceVersions(ctx, g.gvk, g.ns)
		if err != nil {
			e.log(t).Debug("list for unchanged objects failed", "kind", g.gvk.Kind, "namespace", g.ns, "err", err)
			continue
		}
		for _, c := range cs {
			if rvs[c.ref.Name] != c.last.ResourceVersion {
				continue
			}
			desired := apply.Track(t.App, c.desired)
			if sum, err := appliedHash(desired, opts.GetForceConflicts()); err != nil || sum != c.last.Hash {
				continue
			}
			// What applyResource sees as the live object: the same content
			// at the listed version (health is then read from the cluster
			// for kinds whose health needs a status).
			desired.SetResourceVersion(c.last.ResourceVersion)
			t.setPrior(c.ref, desired)
			skip[c.idx] = true
		}
	}
	if len(skip) == 0 {
		return acts
	}
	rest := make([]plan.Action, 0, len(acts)-len(skip))
	for i, a := range acts {
		if !skip[i] {
			rest = append(rest, a)
		}
	}
	return rest
}
