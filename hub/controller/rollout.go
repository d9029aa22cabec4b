package controller

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A rollout's moves are decided by pkg/rollout from what the store says of
// its targets (observe); this file reads the store, carries out the
// decision (assign launched and reverted plans) and stores the result.

// ensureRollout starts a rollout of revision over the targets when none
// runs for it; a rollout of another revision is superseded (its updated
// targets keep what they have until the new rollout reaches them).
func (c *Controller) ensureRollout(a *pb.Application, revision string, clusters []*pb.Cluster) error {
	r, err := c.store.GetRollout(a.GetName())
	if err == nil && r.GetRevision() == revision {
		return c.addJoined(a, r, clusters)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	now := timestamppb.New(c.now())
	if err == nil && active(r) {
		r.Phase, r.Message, r.UpdatedAt = pb.RolloutPhase_ROLLOUT_PHASE_SUPERSEDED, "superseded by revision "+shortRevision(revision), now
		if err := c.store.PutRollout(r); err != nil {
			return err
		}
	}
	steps := rollout.Members(selectors(a.GetRollout()), rolloutClusters(clusters))
	for i := range steps {
		for j := range steps[i].Targets {
			if d, err := c.store.GetDesired(a.GetName(), steps[i].Targets[j].Cluster); err == nil {
				steps[i].Targets[j].PreviousPlan = d.PlanHash
			}
		}
	}
	nr := wire.RolloutToPB(rollout.Rollout{Application: a.GetName(), Phase: rollout.Progressing, Steps: steps},
		&pb.Rollout{Revision: revision, StartedAt: now, UpdatedAt: now})
	c.log.Info("rollout started", "app", a.GetName(), "revision", revision, "steps", len(nr.Steps))
	return c.store.PutRollout(nr)
}

// addJoined gives clusters that joined the application after its rollout
// of this revision began a step of their own (pkg/rollout.AddTargets).
func (c *Controller) addJoined(a *pb.Application, r *pb.Rollout, clusters []*pb.Cluster) error {
	cur := wire.RolloutFromPB(r)
	names := make([]string, 0, len(clusters))
	for _, cl := range clusters {
		names = append(names, cl.GetName())
	}
	if !rollout.AddTargets(&cur, names) {
		return nil
	}
	st := &cur.Steps[len(cur.Steps)-1]
	for i := range st.Targets {
		if d, err := c.store.GetDesired(a.GetName(), st.Targets[i].Cluster); err == nil {
			st.Targets[i].PreviousPlan = d.PlanHash
		}
	}
	next := wire.RolloutToPB(cur, r)
	next.UpdatedAt = timestamppb.New(c.now())
	c.log.Info("clusters joined the rollout", "app", a.GetName(), "revision", r.GetRevision(), "clusters", len(st.Targets))
	return c.store.PutRollout(next)
}

func active(r *pb.Rollout) bool {
	return r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING || r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_PAUSED
}

func selectors(s *pb.RolloutStrategy) []rollout.StepSelector {
	out := make([]rollout.StepSelector, 0, len(s.GetSteps()))
	for _, st := range s.GetSteps() {
		out = append(out, rollout.StepSelector{Name: st.GetName(), Selector: st.GetSelector(), Count: int(st.GetCount()), Percent: int(st.GetPercent())})
	}
	return out
}

func rolloutClusters(cs []*pb.Cluster) []rollout.Cluster {
	out := make([]rollout.Cluster, 0, len(cs))
	for _, c := range cs {
		out = append(out, rollout.Cluster{Name: c.GetName(), Labels: c.GetLabels()})
	}
	return out
}

// strategy is the application's rollout strategy as pkg/rollout reads it.
func strategy(s *pb.RolloutStrategy) rollout.Strategy {
	out := rollout.Strategy{MaxUnavailable: int(s.GetMaxUnavailable()), Revert: s.GetOnFailure() == "revert",
		ProgressDeadline: time.Duration(s.GetProgressDeadlineSeconds()) * time.Second}
	for _, st := range s.GetSteps() {
		out.Steps = append(out.Steps, rollout.StepSpec{Bake: time.Duration(st.GetBakeSeconds()) * time.Second, Pause: st.GetPause()})
	}
	return out
}

// drive is one re-entrant step of a rollout: it reads the rollout and its
// targets from the store, lets pkg/rollout decide, carries the decision
// out and stores it. It returns when time alone changes the answer.
func (c *Controller) drive(app string) (time.Time, error) {
	a, err := c.store.GetApplication(app)
	if err != nil {
		return time.Time{}, err
	}
	r, err := c.store.GetRollout(app)
	if err != nil {
		return time.Time{}, err
	}
	cur := wire.RolloutFromPB(r)
	obs, pend, wake := c.observe(a, cur)
	d := rollout.Advance(cur, strategy(a.GetRollout()), obs, c.now())
	launchErr := c.launch(a, &d, pend)
	if err := c.revert(a, &d); err != nil {
		return time.Time{}, errors.Join(launchErr, err)
	}
	if !wake.IsZero() && (d.Wake.IsZero() || wake.Before(d.Wake)) {
		d.Wake = wake
	}
	next := wire.RolloutToPB(d.Rollout, r)
	if proto.Equal(next, r) {
		return d.Wake, launchErr
	}
	next.UpdatedAt = timestamppb.New(c.now())
	if d.Rollout.Phase == rollout.Halted && r.GetPhase() != pb.RolloutPhase_ROLLOUT_PHASE_HALTED {
		c.log.Warn("rollout halted", "app", app, "reason", d.Rollout.Message)
	}
	return d.Wake, errors.Join(launchErr, c.store.PutRollout(next))
}

// observe reads what pkg/rollout needs of each target: its state at the
// rollout's plan (updating, baking), at its previous plan (reverting), or
// its pending plan and what holds it (pending, in the current step). wake
// is when a sync window holding a target turns.
func (c *Controller) observe(a *pb.Application, r rollout.Rollout) (map[string]rollout.Observed, map[string]store.Pending, time.Time) {
	obs, pend := map[string]rollout.Observed{}, map[string]store.Pending{}
	var wake time.Time
	for i, st := range r.Steps {
		for _, t := range st.Targets {
			switch {
			case t.Phase == rollout.TargetUpdating || t.Phase == rollout.TargetBaking:
				ok, failed, why := c.targetState(a.GetName(), t.Cluster, t.Plan, false)
				obs[t.Cluster] = rollout.Observed{Ready: ok, Failed: failed, Why: why}
			case t.Phase == rollout.TargetReverting:
				ok, failed, why := c.targetState(a.GetName(), t.Cluster, t.PreviousPlan, true)
				obs[t.Cluster] = rollout.Observed{Ready: ok, Failed: failed, Why: why}
			case t.Phase == rollout.TargetPending && i == r.Step:
				o, p, at := c.observePending(a, t)
				obs[t.Cluster], pend[t.Cluster] = o, p
				if !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
					wake = at
				}
			}
		}
	}
	return obs, pend, wake
}

// observePending reads a pending target's plan and what holds it:
// approval, a sync window (and when it turns), a dependency.
func (c *Controller) observePending(a *pb.Application, t rollout.Target) (rollout.Observed, store.Pending, time.Time) {
	cluster := t.Cluster
	p, err := c.store.GetPending(a.GetName(), cluster)
	if errors.Is(err, store.ErrNotFound) && t.Plan != "" {
		// Launched before and failed (resumed after a halt): its plan
		// goes again.
		p = store.Pending{PlanHash: t.Plan, Approved: true}
	} else if errors.Is(err, store.ErrNotFound) {
		return rollout.Observed{}, p, time.Time{}
	} else if err != nil {
		return rollout.Observed{PendingPlan: "?", Hold: "waiting: " + err.Error()}, p, time.Time{}
	}
	o := rollout.Observed{PendingPlan: p.PlanHash}
	if needsApproval(a) && !p.Approved {
		o.Hold = "waiting for approval of plan " + short(p.PlanHash)
		return o, p, time.Time{}
	}
	if why, at := c.windowHolds(a, cluster); why != "" {
		o.Hold = "waiting: " + why
		return o, p, at
	}
	if why := c.dependencyWait(a, cluster); why != "" {
		o.Hold = "waiting for " + why
	}
	return o, p, time.Time{}
}

// launch assigns the plans the decision launches, side by side (their
// writes share commits); a launch that fails is pending again, recorded
// with the others before the error is returned.
func (c *Controller) launch(a *pb.Application, d *rollout.Decision, pend map[string]store.Pending) error {
	by := "rollout"
	if st := d.Rollout.Current(); st != nil {
		by += " " + st.Name
	}
	errs := make([]error, len(d.Launch))
	var wg sync.WaitGroup
	for i, l := range d.Launch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pend[l.Cluster]
			if p.ContentHash == "" { // resumed after a failure: its plan again
				errs[i] = c.relaunch(a, l.Cluster, l.Plan, by)
			} else {
				errs[i] = c.assignPending(a, l.Cluster, p, by)
			}
		}()
	}
	wg.Wait()
	for i, l := range d.Launch {
		if errs[i] != nil {
			rollout.LaunchFailed(&d.Rollout, l.Cluster, errs[i])
		}
	}
	return errors.Join(errs...)
}

// relaunch assigns a target a plan of the rollout again (a step resumed
// after its failure).
func (c *Controller) relaunch(a *pb.Application, cluster, planHash, by string) error {
	p, err := c.store.GetPlan(planHash)
	if err != nil {
		return err
	}
	t := target{cluster: &pb.Cluster{Name: cluster}, revision: p.GetRevision(), plan: p, content: "relaunch:" + planHash, inventory: inventoryOf(p)}
	if d, err := c.store.GetDesired(a.GetName(), cluster); err == nil && d.PlanHash == planHash {
		t.content, t.inventory = d.ContentHash, d.Inventory
	}
	return c.assign(a, t, by+" (resumed)")
}

// revert assigns the previous plans the decision asks for, each checked
// against today's project rules, and records the outcome.
func (c *Controller) revert(a *pb.Application, d *rollout.Decision) error {
	for _, req := range d.Revert {
		p, err := c.store.GetPlan(req.Plan)
		if err != nil {
			return err
		}
		if p, err = c.recheck(a, req.Cluster, p); err != nil {
			rollout.NotReverted(&d.Rollout, req.Cluster, err)
			continue
		}
		tg := target{cluster: &pb.Cluster{Name: req.Cluster}, plan: p, content: "revert:" + p.GetHash(), inventory: inventoryOf(p)}
		if cur, err := c.store.GetDesired(a.GetName(), req.Cluster); err == nil {
			tg.revision = cur.Revision
		}
		if err := c.assign(a, tg, "rollout revert"); err != nil {
			return err
		}
		rollout.Reverted(&d.Rollout, req.Cluster, p.GetHash(), c.now())
	}
	return nil
}

// targetState reads whether a target runs plan Synced and Healthy, or has
// failed (sync failed, or Degraded), and says why not. A target reverted
// to an earlier plan needs no Synced (it is OutOfSync with Git by design),
// only no object drifted from that plan.
func (c *Controller) targetState(app, cluster, plan string, reverted bool) (ok, failed bool, why string) {
	t, err := c.store.GetTarget(app, cluster)
	if err != nil {
		return false, false, "no status yet"
	}
	op := t.GetOperation()
	if op.GetPlanHash() != plan {
		return false, false, "waiting for the spoke"
	}
	switch {
	case op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_FAILED:
		return false, true, "sync failed: " + op.GetMessage()
	case op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_SUCCEEDED:
		return false, false, "syncing: " + op.GetMessage()
	case t.GetHealth() == pb.Health_HEALTH_DEGRADED:
		return false, true, "Degraded" + degradedResource(t)
	case t.GetHealth() != pb.Health_HEALTH_HEALTHY:
		return false, false, fmt.Sprintf("%s, %s", t.GetSync(), t.GetHealth())
	case t.GetSync() != pb.SyncStatus_SYNC_STATUS_SYNCED && !reverted && !onlyRequiresPruning(t):
		return false, false, fmt.Sprintf("%s, %s", t.GetSync(), t.GetHealth())
	case t.GetSync() != pb.SyncStatus_SYNC_STATUS_SYNCED:
		// A target reverted to an older plan is OutOfSync with Git by
		// design, and objects requiring pruning (Prune=false, pruning
		// off) are the plan's choice, which only pruning them would
		// change: what counts is that nothing drifted from that plan.
		for _, rs := range t.GetResources() {
			if rs.GetSync() == pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC && !rs.GetRequiresPruning() {
				return false, false, fmt.Sprintf("%s %s drifted from plan %s", rs.GetRef().GetKind(), rs.GetRef().GetName(), short(plan))
			}
		}
	}
	return true, false, ""
}

// onlyRequiresPruning says whether objects requiring pruning are all that
// is OutOfSync among a target's resources (at least one is).
func onlyRequiresPruning(t *pb.TargetStatus) bool {
	found := false
	for _, rs := range t.GetResources() {
		if rs.GetSync() == pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC {
			if !rs.GetRequiresPruning() {
				return false
			}
			found = true
		}
	}
	return found
}

func degradedResource(t *pb.TargetStatus) string {
	for _, rs := range t.GetResources() {
		if rs.GetHealth() == pb.Health_HEALTH_DEGRADED {
			return fmt.Sprintf(": %s %s: %s", rs.GetRef().GetKind(), rs.GetRef().GetName(), rs.GetMessage())
		}
	}
	return ""
}
