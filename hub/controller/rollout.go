package controller

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Rollout target and step states.
const (
	rtPending   = "Pending"
	rtUpdating  = "Updating"
	rtBaking    = "Baking"
	rtDone      = "Done"
	rtFailed    = "Failed"
	rtReverting = "Reverting"
	rtReverted  = "Reverted"

	stPending  = "Pending"
	stRunning  = "Running"
	stAwaiting = "AwaitingApproval"
	stDone     = "Succeeded"
	stFailed   = "Failed"
)

const defaultProgressDeadline = 10 * time.Minute

// ensureRollout starts a rollout of revision over the targets when none
// runs for it; a rollout of another revision is superseded (its updated
// targets keep what they have until the new rollout reaches them).
func (c *Controller) ensureRollout(a *pb.Application, revision string, clusters []*pb.Cluster) error {
	r, err := c.store.GetRollout(a.GetName())
	if err == nil && r.GetRevision() == revision {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	now := timestamppb.New(c.now())
	if err == nil && active(r) {
		r.Phase, r.Message, r.UpdatedAt = pb.RolloutPhase_ROLLOUT_PHASE_SUPERSEDED, "superseded by revision "+short(revision), now
		if err := c.store.PutRollout(r); err != nil {
			return err
		}
	}
	nr := &pb.Rollout{Application: a.GetName(), Revision: revision, Phase: pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING, StartedAt: now, UpdatedAt: now}
	for _, members := range stepMembers(a.GetRollout(), clusters) {
		st := &pb.RolloutStepStatus{Name: members.name, State: stPending}
		for _, cl := range members.clusters {
			rt := &pb.RolloutTarget{Cluster: cl, State: rtPending}
			if d, err := c.store.GetDesired(a.GetName(), cl); err == nil {
				rt.PreviousPlanHash = d.PlanHash
			}
			st.Targets = append(st.Targets, rt)
		}
		nr.Steps = append(nr.Steps, st)
	}
	c.log.Info("rollout started", "app", a.GetName(), "revision", revision, "steps", len(nr.Steps))
	return c.store.PutRollout(nr)
}

func active(r *pb.Rollout) bool {
	return r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING || r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_PAUSED
}

type stepSet struct {
	name     string
	clusters []string
}

// stepMembers splits the targets (sorted by name) into the strategy's
// steps: each takes, from the targets no earlier step took, those matching
// its selector, then at most count of them or percent of the remaining
// (rounded up). A step with neither takes all that match; targets left
// after the last step form a final step.
func stepMembers(s *pb.RolloutStrategy, clusters []*pb.Cluster) []stepSet {
	remaining := append([]*pb.Cluster(nil), clusters...)
	var out []stepSet
	for i, st := range s.GetSteps() {
		var match, rest []*pb.Cluster
		for _, c := range remaining {
			if Matches(st.GetSelector(), c.GetLabels()) {
				match = append(match, c)
			} else {
				rest = append(rest, c)
			}
		}
		n := len(match)
		if st.GetCount() > 0 {
			n = min(n, int(st.GetCount()))
		}
		if st.GetPercent() > 0 {
			n = min(n, int(math.Ceil(float64(st.GetPercent())*float64(len(remaining))/100)))
		}
		set := stepSet{name: st.GetName()}
		if set.name == "" {
			set.name = fmt.Sprintf("step %d", i+1)
		}
		for _, c := range match[:n] {
			set.clusters = append(set.clusters, c.GetName())
		}
		out = append(out, set)
		remaining = append(rest, match[n:]...)
		sortClusters(remaining)
	}
	if len(remaining) > 0 || len(out) == 0 {
		set := stepSet{name: "remaining"}
		for _, c := range remaining {
			set.clusters = append(set.clusters, c.GetName())
		}
		out = append(out, set)
	}
	return out
}

// stepDef returns the strategy's definition of step i (zero for the
// implicit final step).
func stepDef(s *pb.RolloutStrategy, i int) *pb.RolloutStep {
	if i < len(s.GetSteps()) {
		return s.GetSteps()[i]
	}
	return &pb.RolloutStep{}
}

// drive is one re-entrant step of a rollout: it reads the rollout and the
// targets' status from the store and acts on what changed.
func (c *Controller) drive(app string) error {
	a, err := c.store.GetApplication(app)
	if err != nil {
		return err
	}
	r, err := c.store.GetRollout(app)
	if err != nil {
		return err
	}
	before := fmt.Sprint(r)
	strat := a.GetRollout()
	if r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_HALTED {
		if err := c.driveRevert(a, r); err != nil {
			return err
		}
	} else if r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING {
		if err := c.driveStep(a, strat, r); err != nil {
			return err
		}
	}
	if fmt.Sprint(r) == before {
		return nil
	}
	r.UpdatedAt = timestamppb.New(c.now())
	return c.store.PutRollout(r)
}

func (c *Controller) driveStep(a *pb.Application, strat *pb.RolloutStrategy, r *pb.Rollout) error {
	if int(r.GetStep()) >= len(r.GetSteps()) {
		r.Phase, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, "every step succeeded"
		return nil
	}
	st := r.GetSteps()[r.GetStep()]
	def := stepDef(strat, int(r.GetStep()))
	if st.GetState() == stAwaiting {
		return nil
	}
	st.State = stRunning
	deadline := time.Duration(strat.GetProgressDeadlineSeconds()) * time.Second
	if deadline <= 0 {
		deadline = defaultProgressDeadline
	}
	maxUnavail := int(strat.GetMaxUnavailable())
	if maxUnavail <= 0 {
		maxUnavail = 1
	}
	now := c.now()
	for _, rt := range st.GetTargets() {
		if rt.GetState() != rtUpdating && rt.GetState() != rtBaking {
			continue
		}
		ok, failed, why := c.targetState(a.GetName(), rt.GetCluster(), rt.GetPlanHash(), false)
		switch {
		case failed:
			return c.fail(a, r, rt, why)
		case rt.GetState() == rtUpdating && ok:
			rt.State, rt.HealthySince, rt.Message = rtBaking, timestamppb.New(now), "healthy; baking"
		case rt.GetState() == rtBaking && !ok:
			rt.State, rt.HealthySince, rt.Message = rtUpdating, nil, why
		case rt.GetState() == rtUpdating && now.Sub(rt.GetUpdatedAt().AsTime()) > deadline:
			return c.fail(a, r, rt, fmt.Sprintf("not Synced and Healthy within the progress deadline %s: %s", deadline, why))
		}
		if rt.GetState() == rtBaking && now.Sub(rt.GetHealthySince().AsTime()) >= time.Duration(def.GetBakeSeconds())*time.Second {
			rt.State, rt.Message = rtDone, "healthy"
		}
	}
	unavailable := 0
	for _, s := range r.GetSteps() {
		for _, rt := range s.GetTargets() {
			if rt.GetState() == rtUpdating {
				unavailable++
			}
		}
	}
	type launch struct {
		rt   *pb.RolloutTarget
		pend store.Pending
	}
	var launches []launch
	for _, rt := range st.GetTargets() {
		if rt.GetState() != rtPending || unavailable >= maxUnavail {
			continue
		}
		pend, err := c.store.GetPending(a.GetName(), rt.GetCluster())
		if errors.Is(err, store.ErrNotFound) {
			rt.State, rt.Message = rtDone, "already at this revision"
			continue
		} else if err != nil {
			return err
		}
		if needsApproval(a) && !pend.Approved {
			rt.Message = "waiting for approval of plan " + short(pend.PlanHash)
			continue
		}
		if why := c.windowHolds(a, rt.GetCluster()); why != "" {
			rt.Message = "waiting: " + why
			continue
		}
		if why := c.dependencyWait(a, rt.GetCluster()); why != "" {
			rt.Message = "waiting for " + why
			continue
		}
		launches = append(launches, launch{rt, pend})
		unavailable++
	}
	// Assign the step's next targets together: their writes share commits.
	errs := make([]error, len(launches))
	var wg sync.WaitGroup
	for i, l := range launches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.assignPending(a, l.rt.GetCluster(), l.pend, "rollout "+st.GetName())
		}()
	}
	wg.Wait()
	for i, l := range launches {
		if errs[i] != nil {
			return errs[i]
		}
		l.rt.State, l.rt.PlanHash, l.rt.UpdatedAt, l.rt.Message = rtUpdating, l.pend.PlanHash, timestamppb.New(now), "syncing"
	}
	for _, rt := range st.GetTargets() {
		if rt.GetState() != rtDone {
			return nil
		}
	}
	st.FinishedAt = timestamppb.New(now)
	if def.GetPause() {
		st.State = stAwaiting
		r.Phase, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_PAUSED, fmt.Sprintf("%s succeeded; waiting for `flotilla rollout approve %s`", st.GetName(), a.GetName())
		return nil
	}
	st.State = stDone
	r.Step++
	if int(r.GetStep()) >= len(r.GetSteps()) {
		r.Phase, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, "every step succeeded"
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

// fail halts the rollout, naming the cluster and why; with on_failure
// "revert" the updated targets go back to their previous plans first.
func (c *Controller) fail(a *pb.Application, r *pb.Rollout, rt *pb.RolloutTarget, why string) error {
	st := r.GetSteps()[r.GetStep()]
	rt.State, rt.Message = rtFailed, why
	st.State, st.FinishedAt = stFailed, timestamppb.New(c.now())
	r.Phase = pb.RolloutPhase_ROLLOUT_PHASE_HALTED
	r.Message = fmt.Sprintf("halted at %s: %s: %s", st.GetName(), rt.GetCluster(), why)
	c.log.Warn("rollout halted", "app", a.GetName(), "cluster", rt.GetCluster(), "reason", why)
	if a.GetRollout().GetOnFailure() != "revert" {
		return nil
	}
	r.Message += "; reverting the updated targets"
	for _, s := range r.GetSteps() {
		for _, t := range s.GetTargets() {
			if t.GetState() == rtPending || t.GetPlanHash() == "" {
				continue
			}
			if t.GetPreviousPlanHash() == "" {
				t.Message += " (nothing to revert to: first deployment)"
				continue
			}
			p, err := c.store.GetPlan(t.GetPreviousPlanHash())
			if err != nil {
				return err
			}
			if p, err = c.recheck(a, t.GetCluster(), p); err != nil {
				t.Message += " (not reverted: " + err.Error() + ")"
				continue
			}
			t.PreviousPlanHash = p.GetHash() // what it reverts to, with today's rules
			tg := target{cluster: &pb.Cluster{Name: t.GetCluster()}, plan: p, content: "revert:" + p.GetHash(), inventory: inventoryOf(p)}
			if d, err := c.store.GetDesired(a.GetName(), t.GetCluster()); err == nil {
				tg.revision = d.Revision
			}
			if err := c.assign(a, tg, "rollout revert"); err != nil {
				return err
			}
			t.State, t.UpdatedAt, t.Message = rtReverting, timestamppb.New(c.now()), "reverting to plan "+short(p.GetHash())+" after: "+t.GetMessage()
		}
	}
	return nil
}

// driveRevert follows reverting targets until they are healthy again; a
// target still Degraded from the bad revision gets the progress deadline
// to recover before the revert counts as failed.
func (c *Controller) driveRevert(a *pb.Application, r *pb.Rollout) error {
	deadline := time.Duration(a.GetRollout().GetProgressDeadlineSeconds()) * time.Second
	if deadline <= 0 {
		deadline = defaultProgressDeadline
	}
	reverting := 0
	for _, s := range r.GetSteps() {
		for _, t := range s.GetTargets() {
			if t.GetState() != rtReverting {
				continue
			}
			ok, _, why := c.targetState(a.GetName(), t.GetCluster(), t.GetPreviousPlanHash(), true)
			switch {
			case ok:
				t.State, t.Message = rtReverted, "reverted to plan "+short(t.GetPreviousPlanHash())+"; healthy"
			case c.now().Sub(t.GetUpdatedAt().AsTime()) > deadline:
				t.State, t.Message = rtFailed, fmt.Sprintf("revert not healthy within %s: %s", deadline, why)
			default:
				reverting++
			}
		}
	}
	if reverting == 0 && a.GetRollout().GetOnFailure() == "revert" && !endsWith(r.GetMessage(), "revert done") {
		r.Message += "; revert done"
	}
	return nil
}

func endsWith(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}
