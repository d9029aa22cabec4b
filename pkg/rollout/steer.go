package rollout

import (
	"errors"
	"fmt"
)

// Action is a user's command on a rollout.
type Action string

// Rollout commands (flotilla rollout pause|resume|approve|abort).
const (
	Pause   Action = "pause"
	Resume  Action = "resume"
	Approve Action = "approve"
	Abort   Action = "abort"
)

// ErrNotApplicable is a command the rollout's state does not allow.
var ErrNotApplicable = errors.New("not applicable")

// Steer applies a user's command; it does not change r.
func Steer(r Rollout, act Action) (Rollout, error) {
	n := r.clone()
	switch act {
	case Pause:
		if n.Phase != Progressing {
			return r, fmt.Errorf("rollout of %s is %s: only a progressing rollout can be paused: %w", r.Application, r.Phase, ErrNotApplicable)
		}
		n.Phase, n.PausedByUser, n.Message = Paused, true, "paused by user"
	case Resume:
		return resume(r, n)
	case Approve:
		st := n.Current() // nil once every step is done
		if n.Phase != Paused || st == nil || st.Phase != StepAwaitingApproval {
			return r, fmt.Errorf("rollout of %s is not waiting for approval (%s): %w", r.Application, r.Phase, ErrNotApplicable)
		}
		st.Phase = StepSucceeded
		n.Step++
		n.Phase, n.Message = Progressing, st.Name+" approved"
		if n.Step >= len(n.Steps) {
			n.Phase, n.Message = Completed, "every step succeeded"
		}
	case Abort:
		if !n.Active() && n.Phase != Halted {
			return r, fmt.Errorf("rollout of %s is %s: nothing to abort: %w", r.Application, r.Phase, ErrNotApplicable)
		}
		n.Phase, n.Message = Aborted, "aborted by user; targets keep what they run"
	default:
		return r, fmt.Errorf("unknown rollout action %q", act)
	}
	return n, nil
}

// resume continues a rollout the user paused, or retries the failed step
// of a halted one (its failed targets go again).
func resume(r, n Rollout) (Rollout, error) {
	switch st := n.Current(); {
	case n.Phase == Paused && n.PausedByUser:
		n.Phase, n.PausedByUser, n.Message = Progressing, false, "resumed"
	case n.Phase == Halted && st != nil:
		st.Phase = StepRunning
		for i := range st.Targets {
			if st.Targets[i].Phase == TargetFailed {
				st.Targets[i].Phase, st.Targets[i].Message = TargetPending, "retrying after resume"
			}
		}
		n.Phase, n.Message = Progressing, "resumed after a halt"
	default:
		return r, fmt.Errorf("rollout of %s is %s: nothing to resume: %w", r.Application, r.Phase, ErrNotApplicable)
	}
	return n, nil
}

func (p Phase) String() string {
	switch p {
	case Progressing:
		return "PROGRESSING"
	case Paused:
		return "PAUSED"
	case Halted:
		return "HALTED"
	case Completed:
		return "COMPLETED"
	case Aborted:
		return "ABORTED"
	case Superseded:
		return "SUPERSEDED"
	}
	return "UNSPECIFIED"
}
