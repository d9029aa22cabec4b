package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/health"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/pkg/policy"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/guard"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// applyResource server-side applies one object of a step and returns the
// wait for its health.
func (e *Executor) applyResource(ctx context.Context, t *Target, stepIdx int, a plan.Action) (outcome, error) {
	st := t.Plan.Steps[stepIdx]
	opts := t.Proto.GetOptions()
	obj, err := e.resolve(ctx, t, a)
	if err != nil {
		t.record(st, a, "", resFailed, "", err.Error())
		return outcome{}, err
	}
	ref := apply.RefOf(obj)
	if a.AutoCreated {
		return e.ensureNamespace(ctx, t, st, a, obj)
	}
	desired := apply.Track(t.App, obj)
	// The dry-run returned the object as applying would leave it, with the
	// live resourceVersion (empty: it did not exist). The live object itself
	// is read only when an option needs it or the dry-run passed the object
	// over (or ran before the spoke restarted).
	cur, known := t.takePrior(ref)
	var live *unstructured.Unstructured
	if !known || opts.GetApplyOutOfSyncOnly() || opts.GetRespectIgnoreDifferences() {
		if live, err = e.Cluster.Get(ctx, ref); err == nil && !t.owned(ref) {
			err = checkShared(t, live)
		}
		if err != nil {
			t.record(st, a, "", resFailed, "", err.Error())
			return outcome{}, err
		}
		cur = live
	}
	prior := "" // the live resourceVersion; empty when the object did not exist
	if cur != nil {
		prior = cur.GetResourceVersion()
	}
	last := t.lastApplied(ref)
	if opts.GetApplyOutOfSyncOnly() && live != nil {
		r, err := diff.Compare(ctx, desired, live, diff.Options{Ignore: t.ignore})
		if err != nil {
			return outcome{}, fmt.Errorf("%s: compare: %w", ref, err)
		}
		if r.Status == diff.Synced {
			h := healthOf(live)
			t.record(st, a, "", resUnchanged, h.Status, "synced: not applied (ApplyOutOfSyncOnly)")
			return outcome{applied: appliedRef(obj, last, prior), wait: e.healthWaiter(t, st, a, ref, live)}, nil
		}
	}
	if opts.GetRespectIgnoreDifferences() && live != nil {
		if desired, err = diff.Strip(ctx, desired, live, t.ignore); err != nil {
			return outcome{}, fmt.Errorf("%s: ignoreDifferences: %w", ref, err)
		}
	}
	sum, err := appliedHash(desired, opts.GetForceConflicts())
	if err != nil {
		return outcome{}, fmt.Errorf("%s: %w", ref, err)
	}
	// Nothing wrote the object since the last apply of this same object:
	// applying it again would change nothing, so it is not sent.
	if prior != "" && last != nil && last.ResourceVersion == prior && last.Hash == sum {
		h := healthOf(cur)
		t.record(st, a, "", resUnchanged, h.Status, h.Message)
		return outcome{applied: appliedRef(obj, last, prior), wait: e.healthWaiter(t, st, a, ref, cur)}, nil
	}
	var out *unstructured.Unstructured
	if replace, force := replaces(t, a); replace {
		// The dry-run set no prior for it: live was read above (or, set to
		// nil, the object cannot exist yet).
		out, err = e.replace(ctx, t, desired, live, force)
	} else if err = e.migrateClientSideApply(ctx, t, obj, cur); err == nil {
		out, err = e.Cluster.Apply(ctx, desired, applyOptions(t, false))
	}
	if err != nil {
		t.record(st, a, "", resFailed, "", err.Error())
		return outcome{}, err
	}
	result := resConfigured
	switch prior {
	case "":
		result = resCreated
	case out.GetResourceVersion():
		result = resUnchanged
	}
	done := &store.Applied{Hash: sum, ResourceVersion: out.GetResourceVersion()}
	h := healthOf(out)
	t.record(st, a, "", result, h.Status, h.Message)
	return outcome{applied: appliedRef(obj, done, done.ResourceVersion), wait: e.healthWaiter(t, st, a, ref, out)}, nil
}

// ensureNamespace creates the Namespace of CreateNamespace when missing; it
// is never tracked, labelled or pruned.
func (e *Executor) ensureNamespace(ctx context.Context, t *Target, st plan.Step, a plan.Action, obj *unstructured.Unstructured) (outcome, error) {
	live, err := e.Cluster.Get(ctx, apply.RefOf(obj))
	if err != nil {
		return outcome{}, err
	}
	if live != nil {
		t.record(st, a, "", resUnchanged, health.Healthy, "namespace exists (CreateNamespace)")
		return outcome{}, nil
	}
	if _, err := e.Cluster.Create(ctx, obj, writeOptions(t, false)); err != nil {
		t.record(st, a, "", resFailed, "", err.Error())
		return outcome{}, err
	}
	t.record(st, a, "", resCreated, health.Healthy, "namespace created (CreateNamespace)")
	return outcome{}, nil
}

// healthWaiter returns nil when out is already healthy, else a wait until
// the live object, at least as new as out (generation), is healthy. A
// Degraded object fails the step.
func (e *Executor) healthWaiter(t *Target, st plan.Step, a plan.Action, ref apply.Ref, out *unstructured.Unstructured) waiter {
	h := healthOf(out)
	if passes(h.Status) {
		return nil
	}
	gen := out.GetGeneration()
	applied := time.Now().Truncate(time.Second) // API timestamps have second precision
	collected := health.CollectedWhenFinished(out)
	return func(ctx context.Context) error {
		last := h
		_, err := e.Cluster.Wait(ctx, ref, func(u *unstructured.Unstructured) (bool, error) {
			switch {
			case u == nil && collected:
				last = health.Collected // finished before the wait saw it
				return true, nil
			case u == nil:
				last = health.Result{Status: health.Missing}
				return false, nil
			}
			if u.GetGeneration() < gen {
				return false, nil
			}
			last = healthOf(u)
			if last.Status == health.Degraded && staleDeadline(u, applied) {
				last = health.Result{Status: health.Progressing, Message: "rolling out after a previous rollout missed its deadline"}
			}
			if last.Status == health.Degraded {
				return false, fmt.Errorf("%s: %w: %s", ref, ErrDegraded, last.Message)
			}
			return passes(last.Status), nil
		})
		t.setHealth(st, a, ref.Name, last)
		if err != nil && errors.Is(context.Cause(ctx), ErrWaveTimeout) {
			if last.Message == "" {
				return fmt.Errorf("%s: still %s after the %w", ref, last.Status, context.Cause(ctx))
			}
			return fmt.Errorf("%s: still %s after the %w: %s", ref, last.Status, context.Cause(ctx), last.Message)
		}
		return err
	}
}

// staleDeadline reports whether a Deployment is Degraded only by a
// ProgressDeadlineExceeded condition from before this apply: the
// controller keeps it until the new rollout makes progress (a revert from a
// bad revision starts exactly so).
func staleDeadline(u *unstructured.Unstructured, applied time.Time) bool {
	if u.GetKind() != "Deployment" {
		return false
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != "Progressing" || m["reason"] != "ProgressDeadlineExceeded" {
			continue
		}
		ts, _ := m["lastUpdateTime"].(string)
		t, err := time.Parse(time.RFC3339, ts)
		return err == nil && !t.After(applied)
	}
	return false
}

// passes says whether a health lets the next wave start. Unknown (a status
// that cannot be read) does not block forever.
func passes(s health.Status) bool {
	return s == health.Healthy || s == health.Suspended || s == health.Unknown
}

func healthOf(u *unstructured.Unstructured) health.Result {
	h, err := health.Compute(u)
	if err != nil {
		return health.Result{Status: health.Unknown, Message: err.Error()}
	}
	return h
}

// setHealth updates the health of an object's result, keeping its outcome.
func (t *Target) setHealth(st plan.Step, a plan.Action, name string, h health.Result) {
	t.mu.Lock()
	k := a.APIVersion + "|" + a.Kind + "|" + a.Namespace + "|" + name
	prev := t.results.byKey[k]
	t.mu.Unlock()
	result := resConfigured
	if prev != nil {
		result = prev.GetResult()
	}
	t.record(st, a, name, result, h.Status, h.Message)
}

// resolve returns the action's object with its namespace set from the
// plan's default (for a namespaced kind naming none) or cleared
// (cluster-scoped kinds), after checking the spoke's guardrails and the
// project rules the plan carries, with the scope the cluster serves.
func (e *Executor) resolve(ctx context.Context, t *Target, a plan.Action) (*unstructured.Unstructured, error) {
	u := a.Object
	gvk := u.GroupVersionKind()
	namespaced, known, err := e.Cluster.Namespaced(ctx, gvk)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", object.Describe(u), err)
	}
	c := u
	switch {
	case !known:
		namespaced = u.GetNamespace() != ""
	case namespaced && u.GetNamespace() == "":
		ns := t.Proto.GetOptions().GetDefaultNamespace()
		if ns == "" {
			return nil, fmt.Errorf("%s: %w", object.Describe(u), apply.ErrNoNamespace)
		}
		c = u.DeepCopy()
		c.SetNamespace(ns)
	case !namespaced && u.GetNamespace() != "":
		c = u.DeepCopy()
		c.SetNamespace("")
	}
	if err := e.checkGuard(gvk.GroupKind(), c.GetNamespace(), c.GetName(), namespaced); err != nil {
		return nil, err
	}
	if err := checkRules(t, a, c, namespaced); err != nil {
		return nil, err
	}
	return c, nil
}

// checkRules checks an object against the project rules the plan carries:
// a hub cannot widen what its project allows.
func checkRules(t *Target, a plan.Action, c *unstructured.Unstructured, namespaced bool) error {
	rules := wire.RulesFromPB(t.Proto.GetRules())
	if a.AutoCreated {
		return rules.CheckNamespace(c.GetName())
	}
	what := object.Describe(c)
	if a.Action == plan.Hook {
		what = "hook " + what
	}
	if err := rules.Check(policy.Object{GroupKind: c.GroupVersionKind().GroupKind(), Namespaced: namespaced,
		Namespace: c.GetNamespace(), Name: c.GetName(), What: what}); err != nil {
		return fmt.Errorf("%w (checked by the spoke)", err)
	}
	return nil
}

func (e *Executor) checkGuard(gk schema.GroupKind, ns, name string, namespaced bool) error {
	return e.Guard.Check(guard.Object{GroupKind: gk, Namespace: ns, Name: name, Namespaced: namespaced})
}

func storeRef(u *unstructured.Unstructured) store.Ref {
	return store.Ref{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
}

// appliedRef is u's inventory entry, keeping the record of an apply while
// the object is still at the resourceVersion that apply left (rv).
func appliedRef(u *unstructured.Unstructured, a *store.Applied, rv string) store.Ref {
	r := storeRef(u)
	if a != nil && rv != "" && a.ResourceVersion == rv {
		r.Applied = a
	}
	return r
}
