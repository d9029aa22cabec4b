package controller

import (
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// RolloutAction is a user's command on a rollout.
type RolloutAction string

// Rollout commands (flotilla rollout pause|resume|approve|abort).
const (
	RolloutPause   RolloutAction = "pause"
	RolloutResume  RolloutAction = "resume"
	RolloutApprove RolloutAction = "approve"
	RolloutAbort   RolloutAction = "abort"
)

// SteerRollout applies a user's command to an application's rollout.
func (c *Controller) SteerRollout(app string, act RolloutAction) (*pb.Rollout, error) {
	unlock := c.lockApp(app)
	defer unlock()
	r, err := c.store.GetRollout(app)
	if err != nil {
		return nil, err
	}
	switch act {
	case RolloutPause:
		if r.GetPhase() != pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING {
			return nil, fmt.Errorf("rollout of %s is %s: only a progressing rollout can be paused", app, phaseText(r))
		}
		r.Phase, r.PausedByUser, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_PAUSED, true, "paused by user"
	case RolloutResume:
		switch {
		case r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_PAUSED && r.GetPausedByUser():
			r.Phase, r.PausedByUser, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING, false, "resumed"
		case r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_HALTED && currentStep(r) != nil:
			// Retry the failed step: failed targets go again.
			st := currentStep(r)
			st.State = stRunning
			for _, t := range st.GetTargets() {
				if t.GetState() == rtFailed {
					t.State, t.Message = rtPending, "retrying after resume"
				}
			}
			r.Phase, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING, "resumed after a halt"
		default:
			return nil, fmt.Errorf("rollout of %s is %s: nothing to resume", app, phaseText(r))
		}
	case RolloutApprove:
		st := currentStep(r) // nil once every step is done
		if r.GetPhase() != pb.RolloutPhase_ROLLOUT_PHASE_PAUSED || st.GetState() != stAwaiting {
			return nil, fmt.Errorf("rollout of %s is not waiting for approval (%s)", app, phaseText(r))
		}
		st.State = stDone
		r.Step++
		r.Phase, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING, st.GetName()+" approved"
		if int(r.GetStep()) >= len(r.GetSteps()) {
			r.Phase, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, "every step succeeded"
		}
	case RolloutAbort:
		if !active(r) && r.GetPhase() != pb.RolloutPhase_ROLLOUT_PHASE_HALTED {
			return nil, fmt.Errorf("rollout of %s is %s: nothing to abort", app, phaseText(r))
		}
		r.Phase, r.Message = pb.RolloutPhase_ROLLOUT_PHASE_ABORTED, "aborted by user; targets keep what they run"
	default:
		return nil, fmt.Errorf("unknown rollout action %q", act)
	}
	r.UpdatedAt = timestamppb.New(c.now())
	if err := c.store.PutRollout(r); err != nil {
		return nil, err
	}
	c.log.Info("rollout "+string(act), "app", app)
	return r, nil
}

// currentStep is the step the rollout is at, nil when it is past the last.
func currentStep(r *pb.Rollout) *pb.RolloutStepStatus {
	if int(r.GetStep()) >= len(r.GetSteps()) || r.GetStep() < 0 {
		return nil
	}
	return r.GetSteps()[r.GetStep()]
}

func phaseText(r *pb.Rollout) string { return enumText(r.GetPhase().String(), "ROLLOUT_PHASE_") }

func enumText(s, prefix string) string {
	if len(s) > len(prefix) {
		s = s[len(prefix):]
	}
	return s
}
