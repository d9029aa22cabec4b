package executor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// waiter finishes one action of a step: it waits until the object is
// healthy, the hook has finished or the pruned object is gone.
type waiter func(ctx context.Context) error

// outcome is what starting one action produced.
type outcome struct {
	wait    waiter    // nil: nothing to wait for
	applied store.Ref // set when the object joins the inventory
	pruned  store.Ref // set when the object leaves it
}

// maxWaits bounds the concurrent waits of one step (each is one watch).
const maxWaits = 64

// runStep applies, creates and deletes the objects of one step, one kind
// at a time (objects of a kind concurrently), then waits for all of them,
// within the wave timeout. The last step of a sync waits only for its
// hooks, as Argo CD's does: with nothing after it, the sync is done once
// its objects are applied, even if they later degrade (health is reported
// on its own), so an Ingress no controller serves does not hold a sync.
func (e *Executor) runStep(ctx context.Context, t *Target, idx int) error {
	st := t.Plan.Steps[idx]
	final := st.Phase != plan.SyncFail && nextStep(t.Plan, idx+1, false) < 0
	timeout := e.waveTimeout(t)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w (%s)", ErrWaveTimeout, timeout))
	defer cancel()

	var waiters []waiter
	var errs []error
	for start := 0; start < len(st.Actions) && len(errs) == 0; {
		end := start + 1
		for end < len(st.Actions) && sameGroup(st.Actions[start], st.Actions[end]) {
			end++
		}
		group := st.Actions[start:end]
		outs := make([]outcome, len(group))
		gerrs := forEach(len(group), e.concurrency(), func(i int) error {
			var err error
			outs[i], err = e.start(ctx, t, idx, start+i)
			return err
		})
		var add, remove []store.Ref
		var crds []waiter
		for i, o := range outs {
			if gerrs[i] != nil {
				errs = append(errs, gerrs[i])
				continue
			}
			switch {
			case o.wait == nil:
			case isCRD(group[i]):
				crds = append(crds, o.wait)
			case final && group[i].Action != plan.Hook:
			default:
				waiters = append(waiters, o.wait)
			}
			if o.applied.Kind != "" {
				add = append(add, o.applied)
			}
			if o.pruned.Kind != "" {
				remove = append(remove, o.pruned)
			}
		}
		if err := e.Store.UpdateInventory(t.App, add, remove); err != nil {
			return err
		}
		// Custom resources later in the step need their CRD established.
		errs = append(errs, forEach(len(crds), maxWaits, func(i int) error { return crds[i](ctx) })...)
		errs = slices.DeleteFunc(errs, func(err error) bool { return err == nil })
		start = end
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	errs = forEach(len(waiters), maxWaits, func(i int) error { return waiters[i](ctx) })
	return joinErrors(errs)
}

// start begins one action: apply, hook or prune.
func (e *Executor) start(ctx context.Context, t *Target, stepIdx, actIdx int) (outcome, error) {
	a := t.Plan.Steps[stepIdx].Actions[actIdx]
	switch a.Action {
	case plan.Apply:
		return e.applyResource(ctx, t, stepIdx, a)
	case plan.Hook:
		return e.startHook(ctx, t, stepIdx, actIdx)
	case plan.Prune:
		return e.prune(ctx, t, stepIdx, a)
	}
	return outcome{}, fmt.Errorf("%s %s: %w %q", a.Kind, a.Name, ErrUnknownAction, a.Action)
}

func isCRD(a plan.Action) bool {
	return a.Action == plan.Apply && a.Kind == "CustomResourceDefinition" && strings.HasPrefix(a.APIVersion, "apiextensions.k8s.io/")
}

// sameGroup: consecutive actions of one type and kind run together.
func sameGroup(a, b plan.Action) bool {
	return a.Action == b.Action && a.Kind == b.Kind && a.APIVersion == b.APIVersion
}

// forEach runs fn(0..n-1) with at most limit at once and returns the
// errors by index.
func forEach(n, limit int, fn func(i int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}

// joinErrors joins the non-nil errors on one line ("a; b"), at most five
// named, and nil when there are none.
func joinErrors(errs []error) error {
	var msgs []string
	var first error
	n := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		n++
		if len(msgs) < 5 {
			msgs = append(msgs, err.Error())
		}
	}
	switch {
	case n == 0:
		return nil
	case n == 1:
		return first
	case n > len(msgs):
		msgs = append(msgs, fmt.Sprintf("and %d more", n-len(msgs)))
	}
	return &multiError{msg: strings.Join(msgs, "; "), errs: errs}
}

type multiError struct {
	msg  string
	errs []error
}

func (m *multiError) Error() string   { return m.msg }
func (m *multiError) Unwrap() []error { return m.errs }
