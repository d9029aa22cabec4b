package controller

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A new plan for an automated application passes four gates before it is
// assigned: approval (syncPolicy.approval: required), the rollout strategy
// (which targets go when), the project's sync windows (windows.go), and
// dependencies (dependsOn: on each cluster, after the named applications
// are Synced and Healthy there). Until then it waits as a Pending plan and
// the target says why.

// offer records a target's new plan as pending and lets it through the
// gates it can pass now. Rollouts are driven separately (work.go).
func (c *Controller) offer(a *pb.Application, t target) error {
	cl := t.cluster.GetName()
	held, _ := c.windowHolds(a, cl)
	if !needsApproval(a) && !hasRollout(a) && len(a.GetDependsOn()) == 0 && len(c.waveDependencies(a)) == 0 && held == "" {
		return c.assign(a, t, "automated") // no gate: no pending record either
	}
	pend := store.Pending{PlanHash: t.plan.GetHash(), ContentHash: t.content, Revision: t.revision, Inventory: t.inventory}
	if old, err := c.store.GetPending(a.GetName(), cl); err == nil && old.PlanHash == pend.PlanHash {
		pend.Approved = old.Approved
	}
	if err := c.store.PutPending(a.GetName(), cl, t.plan, pend); err != nil {
		return err
	}
	if needsApproval(a) && !pend.Approved {
		return c.setWaiting(a.GetName(), cl, "approval of plan "+short(pend.PlanHash)+" (flotilla app approve "+a.GetName()+" --plan "+pend.PlanHash+")", pend.PlanHash)
	}
	if hasRollout(a) {
		return c.setWaiting(a.GetName(), cl, "its rollout step", pend.PlanHash)
	}
	_, err := c.release(a, cl)
	return err
}

func needsApproval(a *pb.Application) bool {
	return strings.EqualFold(a.GetSyncPolicy().GetApproval(), "required")
}

func hasRollout(a *pb.Application) bool { return a.GetRollout() != nil }

// release assigns a target's pending plan once no sync window holds it
// and its dependencies are ready on that cluster; otherwise the target
// waits, and recheck is when a window holding it turns.
func (c *Controller) release(a *pb.Application, cluster string) (recheck time.Time, err error) {
	pend, err := c.store.GetPending(a.GetName(), cluster)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, err
	}
	if why, at := c.windowHolds(a, cluster); why != "" {
		return at, c.setWaiting(a.GetName(), cluster, why, pend.PlanHash)
	}
	if why := c.dependencyWait(a, cluster); why != "" {
		return time.Time{}, c.setWaiting(a.GetName(), cluster, why, pend.PlanHash)
	}
	return time.Time{}, c.assignPending(a, cluster, pend, "automated")
}

// assignPending assigns a pending plan.
func (c *Controller) assignPending(a *pb.Application, cluster string, pend store.Pending, by string) error {
	p, err := c.store.GetPlan(pend.PlanHash)
	if err != nil {
		return err
	}
	t := target{cluster: &pb.Cluster{Name: cluster}, revision: pend.Revision, plan: p, content: pend.ContentHash, inventory: pend.Inventory}
	return c.assign(a, t, by) // which deletes the pending plan and clears the wait
}

func (c *Controller) setWaiting(app, cluster, why, planHash string) error {
	ts, err := c.store.UpdateTarget(app, cluster, func(t *pb.TargetStatus) {
		t.Waiting, t.PendingPlanHash = why, planHash
		if why != "" {
			t.Sync = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC
		}
	})
	if err != nil {
		return err
	}
	c.notify.TargetUpdated(ts)
	return nil
}

// dependencyWait says what a target waits for, "" when every dependency is
// ready on the cluster (pkg/rollout.DependencyHold decides).
func (c *Controller) dependencyWait(a *pb.Application, cluster string) string {
	names := append(append([]string(nil), a.GetDependsOn()...), c.waveDependencies(a)...)
	deps := make([]rollout.Dependency, 0, len(names))
	for _, dep := range names {
		deps = append(deps, c.observeDependency(dep, cluster))
	}
	return rollout.DependencyHold(cluster, deps)
}

// observeDependency reads what the dependency gate needs of one
// application on a cluster.
func (c *Controller) observeDependency(dep, cluster string) rollout.Dependency {
	d := rollout.Dependency{Name: dep}
	da, err := c.store.GetApplication(dep)
	if errors.Is(err, store.ErrNotFound) {
		d.Missing = true
		return d
	} else if err != nil {
		d.Err = err.Error()
		return d
	}
	d.Selects = c.selects(da, cluster)
	ts, err := c.store.GetTarget(dep, cluster)
	if errors.Is(err, store.ErrNotFound) {
		return d
	} else if err != nil {
		d.Err = err.Error()
		return d
	}
	d.Target = true
	desired, err := c.store.GetDesired(dep, cluster)
	d.Planned = err == nil
	_, err = c.store.GetPending(dep, cluster)
	d.Pending = err == nil
	d.Sync, d.Health = enumText(ts.GetSync().String(), "SYNC_STATUS_"), enumText(ts.GetHealth().String(), "HEALTH_")
	synced := ts.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED || onlyRequiresPruning(ts)
	d.Ready = synced && ts.GetHealth() == pb.Health_HEALTH_HEALTHY && ts.GetOperation().GetPlanHash() == desired.PlanHash
	return d
}

func enumText(s, prefix string) string { return strings.TrimPrefix(s, prefix) }

// Approve approves pending plans (by hash, or all) and lets them through.
func (c *Controller) Approve(app string, hashes []string, all bool) ([]*pb.TargetStatus, error) {
	unlock := c.lockApp(app)
	defer unlock()
	a, err := c.store.GetApplication(app)
	if err != nil {
		return nil, err
	}
	pending, err := c.store.ListPending()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, h := range hashes {
		want[h] = true
	}
	var out []*pb.TargetStatus
	for k, p := range pending {
		a2, cluster := store.SplitTargetKey(k)
		if a2 != app || (!all && !want[p.PlanHash]) {
			continue
		}
		delete(want, p.PlanHash)
		p.Approved = true
		plan, err := c.store.GetPlan(p.PlanHash)
		if err != nil {
			return nil, err
		}
		if err := c.store.PutPending(app, cluster, plan, p); err != nil {
			return nil, err
		}
		if hasRollout(a) {
			if err := c.setWaiting(app, cluster, "its rollout step", p.PlanHash); err != nil {
				return nil, err
			}
		} else if _, err := c.release(a, cluster); err != nil {
			return nil, err
		}
		ts, err := c.store.GetTarget(app, cluster)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	c.work.Add(app) // a rollout step or a sync window may let it through now
	for h := range want {
		return nil, fmt.Errorf("application %s: plan %s is not pending (superseded by a newer revision, or already assigned)", app, h)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("application %s: no plan is waiting for approval", app)
	}
	return out, nil
}

// selects reports whether a selects the cluster as a target.
func (c *Controller) selects(a *pb.Application, cluster string) bool {
	cl, err := c.store.GetCluster(cluster)
	if err != nil {
		return false
	}
	return len(selectClusters(a, []*pb.Cluster{cl})) == 1
}
