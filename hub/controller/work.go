package controller

import (
	"context"
	"errors"
	"time"

	"k8s.io/client-go/util/workqueue"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Gates, rollouts and retries advance from one work queue keyed by
// application. A spoke's report about a target pokes its application and
// the applications that depend on it; what waits for time (a bake, a
// progress deadline, a retry's backoff, a sync window) re-adds itself
// after that delay. Nothing lists every application on a timer: at rest
// the queue is empty.

// advanceWorkers bounds the applications advanced at once.
const advanceWorkers = 4

// retryOnError is when an application whose advance failed is looked at
// again.
const retryOnError = 5 * time.Second

// workQueue is the per-application queue.
type workQueue = workqueue.TypedDelayingInterface[string]

func newWorkQueue() workQueue { return workqueue.NewTypedDelayingQueue[string]() }

// Poke asks for an application (and those depending on it) to be
// advanced: a target of it changed. Pokes coalesce and never block.
func (c *Controller) Poke(app string) {
	c.work.Add(app)
	for _, d := range c.deps.list(app) {
		c.work.Add(d)
	}
}

// pokeAll queues every application: at start, so that what waited when the
// hub stopped (retries, gates, rollouts) goes on.
func (c *Controller) pokeAll() {
	apps, err := c.store.ListApplications()
	if err != nil {
		c.log.Error("list applications", "err", err)
		return
	}
	for _, a := range apps {
		c.deps.note(a)
		c.work.Add(a.GetName())
		if m := a.GetManagedBy(); m.GetKind() == declare.OwnerApplication {
			c.parents.Store(m.GetName(), true)
		}
	}
}

func (c *Controller) runWork(ctx context.Context) {
	runQueue(ctx, c.work, advanceWorkers, func(_ context.Context, app string) { c.advance(app) })
}

// advance moves one application's gates, rollout and retries on, then
// re-queues it for when time alone would change something.
func (c *Controller) advance(app string) {
	unlock := c.lockApp(app)
	a, err := c.store.GetApplication(app)
	if errors.Is(err, store.ErrNotFound) {
		unlock()
		return // deleted
	}
	var wake time.Duration
	if err == nil {
		wake, err = c.step(a)
	}
	unlock()
	if err != nil {
		c.log.Warn("advance", "app", app, "err", err)
		wake = retryOnError
	}
	if wake > 0 {
		c.work.AddAfter(app, wake)
	}
}

// step advances a once; it returns when to look again (0: when poked).
func (c *Controller) step(a *pb.Application) (time.Duration, error) {
	var w wakeup
	if hasRollout(a) {
		if err := c.stepRollout(a, &w); err != nil {
			return 0, err
		}
	} else if err := c.releasePending(a, &w); err != nil {
		return 0, err
	}
	if err := c.retryFailed(a, &w); err != nil {
		return 0, err
	}
	return w.after(c.now()), nil
}

// wakeup collects the earliest time an application must be looked at.
type wakeup struct{ at time.Time }

func (w *wakeup) by(t time.Time) {
	if !t.IsZero() && (w.at.IsZero() || t.Before(w.at)) {
		w.at = t
	}
}

func (w *wakeup) after(now time.Time) time.Duration {
	if w.at.IsZero() {
		return 0
	}
	return max(w.at.Sub(now), 10*time.Millisecond)
}

// stepRollout drives a's rollout and wakes it when a bake, a deadline or
// a sync window is due.
func (c *Controller) stepRollout(a *pb.Application, w *wakeup) error {
	r, err := c.store.GetRollout(a.GetName())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if !active(r) && r.GetPhase() != pb.RolloutPhase_ROLLOUT_PHASE_HALTED {
		return nil
	}
	at, err := c.drive(a.GetName())
	w.by(at)
	return err
}

// releasePending lets a's pending plans through the gates they pass now;
// a plan held by a sync window is looked at again when the window turns.
func (c *Controller) releasePending(a *pb.Application, w *wakeup) error {
	if !a.GetSyncPolicy().GetAutomated() {
		return nil
	}
	ts, err := c.store.ListTargets(a.GetName())
	if err != nil {
		return err
	}
	var errs []error // one target's trouble holds back no other
	for _, t := range ts {
		if t.GetPendingPlanHash() == "" {
			continue
		}
		pend, err := c.store.GetPending(a.GetName(), t.GetCluster())
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			errs = append(errs, err)
			continue
		}
		if needsApproval(a) && !pend.Approved {
			continue
		}
		at, err := c.release(a, t.GetCluster())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w.by(at)
	}
	return errors.Join(errs...)
}
