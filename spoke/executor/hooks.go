package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/internal/fault"
	"github.com/flotilla-gitops/flotilla/pkg/health"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// HookKey identifies a hook action within a plan: step and action index.
func HookKey(stepIdx, actIdx int) string { return fmt.Sprintf("%d/%d", stepIdx, actIdx) }

// startHook creates a hook object (after deleting the previous one under
// BeforeHookCreation), records it in the run and returns the wait for its
// completion. A hook runs at most once per run, across restarts: the
// intent to create it is saved first, and the object carries the run's
// token (LabelHookRun), so a restart adopts what it created (by name, or
// by token for generateName) instead of creating it again; one this run
// already ran successfully is not run again.
func (e *Executor) startHook(ctx context.Context, t *Target, stepIdx, actIdx int) (outcome, error) {
	st := t.Plan.Steps[stepIdx]
	a := st.Actions[actIdx]
	key := HookKey(stepIdx, actIdx)
	t.mu.Lock()
	prev, seen := t.Run.Hooks[key]
	t.mu.Unlock()
	if seen && prev.Phase == store.Succeeded {
		t.record(st, a, prev.Name, resSucceeded, health.Healthy, "succeeded earlier in this run; not run again")
		return outcome{}, nil
	}
	obj, err := e.resolve(ctx, t, a)
	if err != nil {
		t.record(st, a, "", resFailed, "", err.Error())
		return outcome{}, err
	}
	token := hookToken(t, key)
	obj = withHookToken(apply.TrackHook(t.App, obj), token)
	var created *unstructured.Unstructured
	if seen {
		if created, err = e.adoptHook(ctx, obj, prev, token); err != nil {
			return outcome{}, err
		}
	}
	if created == nil {
		if err := e.setHook(t, key, store.Hook{Name: obj.GetName(), Phase: store.Creating}); err != nil {
			return outcome{}, err
		}
		fault.Point("hook-before-create")
		if created, err = e.createHook(ctx, t, a, obj); err != nil {
			t.record(st, a, "", resFailed, "", err.Error())
			return outcome{}, err
		}
		fault.Point("hook-after-create")
		if err := e.setHook(t, key, store.Hook{Name: created.GetName(), Phase: store.Running}); err != nil {
			return outcome{}, err
		}
		e.log(t).Info("hook created", "phase", st.Phase, "wave", st.Wave, "hook", apply.RefOf(created).String())
		fault.Point("hook-running")
	}
	t.record(st, a, created.GetName(), resRunning, health.Progressing, "")
	e.report(t)
	return outcome{wait: func(ctx context.Context) error { return e.waitHook(ctx, t, st, a, key, created) }}, nil
}

func (e *Executor) createHook(ctx context.Context, t *Target, a plan.Action, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if obj.GetName() == "" {
		return e.Cluster.Create(ctx, obj, writeOptions(t, false))
	}
	live, err := e.Cluster.Get(ctx, apply.RefOf(obj))
	if err != nil {
		return nil, err
	}
	if live != nil && slices.Contains(a.DeletePolicies, plan.BeforeHookCreation) {
		if err := checkHookOwner(t, live); err != nil {
			return nil, err
		}
		if err := e.deleteAndWait(ctx, live); err != nil {
			return nil, err
		}
	} else if err := checkShared(t, live); err != nil {
		return nil, err
	}
	return e.Cluster.Apply(ctx, obj, applyOptions(t, false))
}

// waitHook waits for a hook to finish, records the outcome and applies the
// delete policies.
func (e *Executor) waitHook(ctx context.Context, t *Target, st plan.Step, a plan.Action, key string, created *unstructured.Unstructured) error {
	ref := apply.RefOf(created)
	msg := ""
	_, err := e.Cluster.Wait(ctx, ref, func(u *unstructured.Unstructured) (bool, error) {
		if u == nil {
			return false, fmt.Errorf("%s: %w: deleted before it finished", ref, ErrHookFailed)
		}
		if u.GetUID() != created.GetUID() {
			return false, fmt.Errorf("%s: %w: replaced by another object before it finished", ref, ErrHookFailed)
		}
		var done bool
		var err error
		done, msg, err = hookStatus(u)
		if err != nil {
			return false, fmt.Errorf("%s: %w: %s", ref, ErrHookFailed, err)
		}
		return done, nil
	})
	if err != nil && !errors.Is(err, ErrHookFailed) {
		if !errors.Is(context.Cause(ctx), ErrWaveTimeout) {
			return err // interrupted: the saved run resumes this wait
		}
		err = fmt.Errorf("%s: %w: not finished after the %w", ref, ErrHookFailed, context.Cause(ctx))
	}
	phase, result, h, policy := store.Succeeded, resSucceeded, health.Healthy, plan.HookSucceeded
	if err != nil {
		phase, result, h, policy, msg = store.Failed, resFailed, health.Degraded, plan.HookFailed, err.Error()
	}
	if serr := e.setHook(t, key, store.Hook{Name: created.GetName(), Phase: phase, Message: msg}); serr != nil {
		return serr
	}
	fault.Point("hook-finished")
	t.record(st, a, created.GetName(), result, h, msg)
	e.report(t)
	e.log(t).Info("hook finished", "phase", st.Phase, "wave", st.Wave, "hook", ref.String(), "result", phase)
	if slices.Contains(a.DeletePolicies, policy) {
		// Not waited for: the next wave does not depend on it.
		if derr := e.Cluster.Delete(ctx, ref, metav1.DeletePropagationBackground, created.GetUID()); derr != nil {
			e.log(t).Warn("hook delete policy", "hook", ref.String(), "policy", policy, "err", derr)
		}
	}
	return err
}

// hookStatus says whether a hook finished: Jobs by their Complete or
// Failed condition, Pods by their phase, other kinds by their health.
func hookStatus(u *unstructured.Unstructured) (done bool, msg string, err error) {
	gk := u.GroupVersionKind().GroupKind()
	switch {
	case gk.Group == "batch" && gk.Kind == "Job":
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["status"] != "True" {
				continue
			}
			reason, _ := m["reason"].(string)
			message, _ := m["message"].(string)
			switch m["type"] {
			case "Complete":
				return true, message, nil
			case "Failed":
				return false, "", errors.New(strings.TrimPrefix(reason+": "+message, ": "))
			}
		}
		return false, "", nil
	case gk.Group == "" && gk.Kind == "Pod":
		phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
		switch phase {
		case "Succeeded":
			return true, "", nil
		case "Failed":
			return false, "", errors.New(healthOf(u).Message)
		}
		return false, "", nil
	}
	h := healthOf(u)
	switch h.Status {
	case health.Healthy:
		return true, h.Message, nil
	case health.Degraded:
		return false, "", errors.New(h.Message)
	}
	return false, "", nil
}

// setHook records a hook in the run and saves the run at once, so that a
// restart neither creates it twice nor runs it again once it succeeded.
func (e *Executor) setHook(t *Target, key string, h store.Hook) error {
	t.mu.Lock()
	if t.Run.Hooks == nil {
		t.Run.Hooks = map[string]store.Hook{}
	}
	t.Run.Hooks[key] = h
	t.mu.Unlock()
	return e.save(t)
}

// deleteAndWait deletes a live object (BeforeHookCreation) and waits
// until it is gone.
func (e *Executor) deleteAndWait(ctx context.Context, live *unstructured.Unstructured) error {
	ref := apply.RefOf(live)
	uid := live.GetUID()
	if err := e.Cluster.Delete(ctx, ref, metav1.DeletePropagationBackground, uid); err != nil {
		return err
	}
	_, err := e.Cluster.Wait(ctx, ref, func(u *unstructured.Unstructured) (bool, error) {
		return u == nil || u.GetUID() != uid, nil
	})
	if err != nil {
		return fmt.Errorf("%s: delete before hook creation: %w", ref, err)
	}
	return nil
}
