package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// One reconcile of an application: compute every target's plan
// (targets), record each target's status and offer its new plan to the
// gates (reconcileTarget), start or move its rollout, and forget targets
// whose cluster left. assign is the one path by which any plan reaches a
// target: automated or manual sync, a released gate, a rollout, a retry,
// a rollback or a revert.

// target is one cluster's computed state for an application.
type target struct {
	cluster   *pb.Cluster
	revision  string
	plan      *pb.Plan
	content   string // hash of what is desired, prunes aside
	inventory []store.InventoryItem
	err       error
	digest    string // a chart's archive digest
	// children are the applications, projects and sets the source
	// declares; rendered says the source rendered (children is complete).
	children []*unstructured.Unstructured
	rendered bool
	retry    int32 // the attempt, when this assignment retries a failed sync
}

func (c *Controller) reconcile(ctx context.Context, name string, fetchErr error) error {
	unlock := c.lockApp(name)
	defer unlock()
	a, err := c.store.GetApplication(name)
	if err != nil {
		return err
	}
	c.deps.note(a)
	defer c.work.Add(name) // gates and rollouts look at what changed
	targets, srcErr, err := c.targets(ctx, a, fetchErr, planMods{})
	conds := conditionsOf(a, targets, srcErr, err, c.now())
	if err == nil {
		conds = c.declareChildren(ctx, a, targets, srcErr, conds, false)
	}
	c.recordConditions(a, conds)
	if err != nil {
		return err
	}
	// Targets are independent: reconcile them concurrently, so that their
	// store writes share commits.
	var (
		mu       sync.Mutex
		rollout  []*pb.Cluster
		revision string
		errs     []error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 256)
	)
	for _, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func(t target) {
			defer func() { <-sem; wg.Done() }()
			offered, err := c.reconcileTarget(a, t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if offered {
				rollout, revision = append(rollout, t.cluster), t.revision
			}
		}(t)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	sortClusters(rollout)
	if hasRollout(a) && len(rollout) > 0 {
		all := make([]*pb.Cluster, 0, len(targets))
		for _, t := range targets {
			if t.err == nil {
				all = append(all, t.cluster)
			}
		}
		if err := c.ensureRollout(a, revision, all); err != nil {
			return err
		}
		if _, err := c.drive(name); err != nil {
			return err
		}
	}
	return c.dropStaleTargets(a, targets)
}

// reconcileTarget updates one target's status and offers its new plan;
// it reports whether a plan was offered.
func (c *Controller) reconcileTarget(a *pb.Application, t target) (bool, error) {
	name := a.GetName()
	cl := t.cluster.GetName()
	d, derr := c.store.GetDesired(name, cl)
	if derr != nil && !errors.Is(derr, store.ErrNotFound) && t.err == nil {
		// A store error is an error, never "changed": the last good plan stays.
		t.err = fmt.Errorf("%s on %s: desired state: %w", name, cl, derr)
	}
	changed := derr != nil || d.ContentHash != t.content
	if t.err != nil {
		// Keep the last good plan; show the error.
		ts, err := c.store.UpdateTarget(name, cl, func(ts *pb.TargetStatus) { ts.Error = t.err.Error() })
		if err != nil {
			return false, err
		}
		c.notify.TargetUpdated(ts)
		return false, nil
	}
	latest := "" // recorded only when it moved
	if derr == nil && d.Latest != t.content {
		latest = t.content
	}
	auto := a.GetSyncPolicy().GetAutomated() && changed
	refused := ""
	if auto {
		refused = emptyRefusal(a, t.plan)
	}
	ts, err := c.store.Reconciled(name, cl, latest, func(ts *pb.TargetStatus) {
		ts.Error = refused
		if changed {
			ts.Sync = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC
		}
		if ts.Revision == "" {
			ts.Revision = t.revision
		}
	})
	if err != nil {
		return false, err
	}
	c.notify.TargetUpdated(ts)
	switch {
	case auto && refused != "":
		return false, nil
	case auto:
		return true, c.offer(a, t)
	case !changed && ts.GetWaiting() != "":
		// Git went back to what runs: nothing waits any more.
		if err := c.store.DeletePending(name, cl); err != nil {
			return false, err
		}
		return false, c.setWaiting(name, cl, "", "")
	}
	return false, nil
}

// dropStaleTargets forgets targets whose cluster left the destination.
func (c *Controller) dropStaleTargets(a *pb.Application, targets []target) error {
	keep := map[string]bool{}
	for _, t := range targets {
		keep[t.cluster.GetName()] = true
	}
	existing, err := c.store.ListTargets(a.GetName())
	if err != nil {
		return err
	}
	for _, ts := range existing {
		if !keep[ts.GetCluster()] {
			if err := c.store.DeleteTarget(a.GetName(), ts.GetCluster()); err != nil {
				return err
			}
			c.notify.TargetRemoved(ts.GetCluster(), a.GetName(), false)
		}
	}
	return nil
}

func (c *Controller) assign(a *pb.Application, t target, by string) error {
	d, err := c.store.Assign(a.GetName(), t.cluster.GetName(), t.plan, t.content, t.revision, by, t.inventory, func() *pb.HistoryEntry {
		return &pb.HistoryEntry{StartedAt: timestamppb.New(c.now()), SourceDigest: t.digest}
	})
	if err != nil {
		return err
	}
	// A plan waiting at a gate that is assigned another way (manual sync,
	// rollback) waits no more: the gate must not run it a second time.
	pend, perr := c.store.GetPending(a.GetName(), t.cluster.GetName())
	done := perr == nil && pend.PlanHash == t.plan.GetHash()
	if done {
		if err := c.store.DeletePending(a.GetName(), t.cluster.GetName()); err != nil {
			return err
		}
	}
	ts, err := c.store.UpdateTarget(a.GetName(), t.cluster.GetName(), func(ts *pb.TargetStatus) {
		if done || ts.GetPendingPlanHash() == t.plan.GetHash() {
			ts.Waiting, ts.PendingPlanHash = "", ""
		}
		ts.Revision = t.revision
		// Health is of the new plan from now on: nothing stale gates a rollout.
		ts.Health = pb.Health_HEALTH_PROGRESSING
		ts.Operation = &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_RUNNING, PlanHash: t.plan.GetHash(),
			Revision: t.revision, StartedAt: timestamppb.New(c.now()), TotalSteps: int32(len(t.plan.GetSteps())), Message: "waiting for the spoke",
			RetryCount: t.retry}
	})
	if err != nil {
		return err
	}
	c.Stats.add(0, 0, 1)
	c.log.Info("plan assigned", "app", a.GetName(), "cluster", t.cluster.GetName(), "revision", t.revision, "plan", short(t.plan.GetHash()), "generation", d.Generation)
	c.notify.TargetUpdated(ts)
	c.notify.DesiredChanged(t.cluster.GetName(), a.GetName())
	return nil
}

// targets computes the plan of every target cluster of a.
// srcErr is why the source cannot be read (repository unreachable,
// revision not found, repository not allowed), also when no cluster is
// selected.
func (c *Controller) targets(ctx context.Context, a *pb.Application, fetchErr error, mods planMods) (_ []target, srcErr, err error) {
	c.chartDeps.reset(a.GetName()) // what the renders below read is recorded anew
	clusters, err := c.store.ListClusters()
	if err != nil {
		return nil, nil, err
	}
	proj, err := c.project(a)
	if err != nil {
		return nil, nil, err
	}
	selected := selectClusters(a, clusters)
	out := make([]target, len(selected))
	commit, rerr := c.resolveRevision(a, wire.TargetRevision(a))
	if rerr != nil && fetchErr != nil {
		rerr = fmt.Errorf("%w (last fetch: %v)", rerr, fetchErr)
	}
	if rerr == nil {
		rerr = checkSources(proj, a)
	}
	for i, cl := range selected {
		out[i] = target{cluster: cl, revision: commit, err: rerr}
		if rerr != nil {
			continue
		}
		objs, children, err := c.renderSplit(ctx, a, cl, commit)
		if err != nil {
			out[i].err = err
			continue
		}
		out[i].children, out[i].rendered = children, true
		out[i].plan, out[i].content, out[i].inventory, out[i].err = c.planObjects(a, proj, cl, objs, commit, mods)
	}
	// Known once pulled (an OCI chart's digest is not in any index).
	digest := c.chartDigest(a, commit)
	for i := range out {
		out[i].digest = digest
	}
	return out, rerr, nil
}
