package rollout

import (
	"fmt"
	"strings"
	"time"
)

// Advance decides a rollout's next move from what is observed of its
// targets (by cluster) at now. It does not change r.
func Advance(r Rollout, s Strategy, obs map[string]Observed, now time.Time) Decision {
	d := Decision{Rollout: r.clone()}
	switch d.Rollout.Phase {
	case Progressing:
		d.advanceStep(s, obs, now)
	case Halted:
		d.followReverts(s, obs, now)
	}
	return d
}

func (r Rollout) clone() Rollout {
	c := r
	c.Steps = make([]Step, len(r.Steps))
	for i, st := range r.Steps {
		c.Steps[i] = st
		c.Steps[i].Targets = append([]Target(nil), st.Targets...)
	}
	return c
}

func (d *Decision) wakeBy(t time.Time) {
	if d.Wake.IsZero() || t.Before(d.Wake) {
		d.Wake = t
	}
}

// advanceStep moves the current step's targets on: updating ones become
// baking when ready, done after the bake, failed on a failure or past the
// deadline; pending ones launch while fewer than maxUnavailable update.
func (d *Decision) advanceStep(s Strategy, obs map[string]Observed, now time.Time) {
	r := &d.Rollout
	st := r.Current()
	if st == nil {
		r.Phase, r.Message = Completed, "every step succeeded"
		return
	}
	if st.Phase == StepAwaitingApproval {
		return
	}
	st.Phase = StepRunning
	spec := s.step(r.Step)
	for i := range st.Targets {
		t := &st.Targets[i]
		if t.Phase != TargetUpdating && t.Phase != TargetBaking {
			continue
		}
		o := obs[t.Cluster]
		switch {
		case o.Failed:
			d.fail(s, t, o.Why, now)
			return
		case t.Phase == TargetUpdating && o.Ready:
			t.Phase, t.HealthySince, t.Message = TargetBaking, now, "healthy; baking"
		case t.Phase == TargetBaking && !o.Ready:
			t.Phase, t.HealthySince, t.Message = TargetUpdating, time.Time{}, o.Why
		case t.Phase == TargetUpdating && now.Sub(t.UpdatedAt) > s.deadline():
			d.fail(s, t, fmt.Sprintf("not Synced and Healthy within the progress deadline %s: %s", s.deadline(), o.Why), now)
			return
		}
		switch {
		case t.Phase == TargetBaking && now.Sub(t.HealthySince) >= spec.Bake:
			t.Phase, t.Message = TargetDone, "healthy"
		case t.Phase == TargetBaking:
			d.wakeBy(t.HealthySince.Add(spec.Bake))
		case t.Phase == TargetUpdating:
			d.wakeBy(t.UpdatedAt.Add(s.deadline() + time.Millisecond))
		}
	}
	d.launch(s, st, obs, now)
	d.finishStep(spec, st, now)
}

// launch starts pending targets of the step while capacity allows.
func (d *Decision) launch(s Strategy, st *Step, obs map[string]Observed, now time.Time) {
	unavailable := 0
	for _, x := range d.Rollout.Steps {
		for _, t := range x.Targets {
			if t.Phase == TargetUpdating {
				unavailable++
			}
		}
	}
	for i := range st.Targets {
		t := &st.Targets[i]
		if t.Phase != TargetPending || unavailable >= s.maxUnavailable() {
			continue
		}
		o := obs[t.Cluster]
		switch {
		case o.PendingPlan == "":
			t.Phase, t.Message = TargetDone, "already at this revision"
		case o.Hold != "":
			t.Message = o.Hold
		default:
			d.Launch = append(d.Launch, Launch{Cluster: t.Cluster, Plan: o.PendingPlan})
			t.Phase, t.Plan, t.UpdatedAt, t.Message = TargetUpdating, o.PendingPlan, now, "syncing"
			d.wakeBy(now.Add(s.deadline() + time.Millisecond))
			unavailable++
		}
	}
}

// finishStep ends the step when every target is done: the rollout waits
// for an approval after a pause step, else goes to the next step.
func (d *Decision) finishStep(spec StepSpec, st *Step, now time.Time) {
	for _, t := range st.Targets {
		if t.Phase != TargetDone {
			return
		}
	}
	r := &d.Rollout
	st.FinishedAt = now
	if spec.Pause {
		st.Phase = StepAwaitingApproval
		r.Phase, r.Message = Paused, fmt.Sprintf("%s succeeded; waiting for `flotilla rollout approve %s`", st.Name, r.Application)
		return
	}
	st.Phase = StepSucceeded
	r.Step++
	if r.Step >= len(r.Steps) {
		r.Phase, r.Message = Completed, "every step succeeded"
		return
	}
	d.Wake = now // the next step's targets were not observed: decide again at once
}

// fail halts the rollout at t, naming the cluster and why; with Revert,
// every updated target with a previous plan is asked to go back to it.
func (d *Decision) fail(s Strategy, t *Target, why string, now time.Time) {
	r := &d.Rollout
	st := r.Current()
	t.Phase, t.Message = TargetFailed, why
	st.Phase, st.FinishedAt = StepFailed, now
	r.Phase = Halted
	r.Message = fmt.Sprintf("halted at %s: %s: %s", st.Name, t.Cluster, why)
	if !s.Revert {
		return
	}
	r.Message += "; reverting the updated targets"
	for i := range r.Steps {
		for j := range r.Steps[i].Targets {
			x := &r.Steps[i].Targets[j]
			switch {
			case x.Phase == TargetPending || x.Plan == "":
			case x.PreviousPlan == "":
				x.Message += " (nothing to revert to: first deployment)"
			default:
				d.Revert = append(d.Revert, RevertRequest{Cluster: x.Cluster, Plan: x.PreviousPlan})
			}
		}
	}
}

// Reverted records that the hub assigned a target's previous plan (plan:
// as rechecked against today's rules).
func Reverted(r *Rollout, cluster, plan string, now time.Time) {
	if t := r.find(cluster); t != nil {
		t.PreviousPlan = plan
		t.Phase, t.UpdatedAt, t.Message = TargetReverting, now, "reverting to plan "+short(plan)+" after: "+t.Message
	}
}

// LaunchFailed records that the hub could not assign a launched target's
// plan: it is pending again, to launch at the next decision.
func LaunchFailed(r *Rollout, cluster string, err error) {
	if t := r.find(cluster); t != nil {
		t.Phase, t.Plan, t.UpdatedAt, t.Message = TargetPending, "", time.Time{}, "launch failed: "+err.Error()
	}
}

// NotReverted records why a target could not be reverted.
func NotReverted(r *Rollout, cluster string, err error) {
	if t := r.find(cluster); t != nil {
		t.Message += " (not reverted: " + err.Error() + ")"
	}
}

func (r *Rollout) find(cluster string) *Target {
	for i := range r.Steps {
		for j := range r.Steps[i].Targets {
			if r.Steps[i].Targets[j].Cluster == cluster {
				return &r.Steps[i].Targets[j]
			}
		}
	}
	return nil
}

// followReverts follows reverting targets until they are ready at their
// previous plan, or fails them past the progress deadline.
func (d *Decision) followReverts(s Strategy, obs map[string]Observed, now time.Time) {
	r := &d.Rollout
	reverting := 0
	for i := range r.Steps {
		for j := range r.Steps[i].Targets {
			t := &r.Steps[i].Targets[j]
			if t.Phase != TargetReverting {
				continue
			}
			o := obs[t.Cluster]
			switch {
			case o.Ready:
				t.Phase, t.Message = TargetReverted, "reverted to plan "+short(t.PreviousPlan)+"; healthy"
			case now.Sub(t.UpdatedAt) > s.deadline():
				t.Phase, t.Message = TargetFailed, fmt.Sprintf("revert not healthy within %s: %s", s.deadline(), o.Why)
			default:
				reverting++
				d.wakeBy(t.UpdatedAt.Add(s.deadline() + time.Millisecond))
			}
		}
	}
	if reverting == 0 && s.Revert && !strings.HasSuffix(r.Message, "revert done") {
		r.Message += "; revert done"
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
