package rollout

import "time"

// Phase is a rollout's phase.
type Phase int

// Rollout phases.
const (
	Progressing Phase = iota + 1
	Paused
	Halted
	Completed
	Aborted
	Superseded
)

// StepPhase is a step's state.
type StepPhase int

// Step states.
const (
	StepPending StepPhase = iota + 1
	StepRunning
	StepAwaitingApproval
	StepSucceeded
	StepFailed
)

// TargetPhase is a target's state within its step.
type TargetPhase int

// Target states.
const (
	TargetPending TargetPhase = iota + 1
	TargetUpdating
	TargetBaking
	TargetDone
	TargetFailed
	TargetReverting
	TargetReverted
)

// Target is one cluster's progress in a rollout.
type Target struct {
	Cluster      string
	Phase        TargetPhase
	Plan         string // the plan the rollout assigned
	PreviousPlan string // what ran before (what a revert returns to)
	Message      string
	UpdatedAt    time.Time
	HealthySince time.Time
}

// Step is a group of targets that move together.
type Step struct {
	Name       string
	Phase      StepPhase
	Targets    []Target
	FinishedAt time.Time
}

// Rollout is the progress of one revision across an application's
// targets.
type Rollout struct {
	Application  string
	Phase        Phase
	Message      string
	Step         int // index of the current step; len(Steps) when past the last
	Steps        []Step
	PausedByUser bool
}

// Active says whether the rollout still moves targets forward.
func (r *Rollout) Active() bool { return r.Phase == Progressing || r.Phase == Paused }

// Current is the step the rollout is at, nil past the last.
func (r *Rollout) Current() *Step {
	if r.Step < 0 || r.Step >= len(r.Steps) {
		return nil
	}
	return &r.Steps[r.Step]
}

// Reverting says whether any target is being reverted.
func (r *Rollout) Reverting() bool {
	for _, s := range r.Steps {
		for _, t := range s.Targets {
			if t.Phase == TargetReverting {
				return true
			}
		}
	}
	return false
}

// StepSpec is what the strategy says of one step.
type StepSpec struct {
	Bake  time.Duration // every target stays healthy this long before the step is done
	Pause bool          // wait for an approval after the step
}

// Strategy is how a revision moves across the targets.
type Strategy struct {
	Steps            []StepSpec // one per defined step; the implicit last step has none
	MaxUnavailable   int        // targets updating at once (0: 1)
	ProgressDeadline time.Duration
	Revert           bool // on failure, return the updated targets to their previous plans
}

// DefaultProgressDeadline is a target's time to become ready when the
// strategy sets none.
const DefaultProgressDeadline = 10 * time.Minute

func (s Strategy) deadline() time.Duration {
	if s.ProgressDeadline <= 0 {
		return DefaultProgressDeadline
	}
	return s.ProgressDeadline
}

func (s Strategy) maxUnavailable() int { return max(s.MaxUnavailable, 1) }

func (s Strategy) step(i int) StepSpec {
	if i < len(s.Steps) {
		return s.Steps[i]
	}
	return StepSpec{}
}

// Observed is what the hub sees of a target now. For a target updating or
// baking, Ready/Failed/Why describe it at the rollout's plan; for one
// reverting, at its previous plan; for one pending, PendingPlan and Hold
// describe the plan waiting for it.
type Observed struct {
	Ready  bool
	Failed bool
	Why    string
	// PendingPlan is the plan waiting for the target ("" when none: it
	// already runs this revision; a target resumed after a failure waits
	// for the plan it failed with); Hold says why it may not go now
	// (approval, a sync window, a dependency), "" when it may.
	PendingPlan string
	Hold        string
}

// Launch asks the hub to assign a target its pending plan.
type Launch struct {
	Cluster string
	Plan    string
}

// RevertRequest asks the hub to assign a target its previous plan again;
// the hub answers with Reverted or NotReverted.
type RevertRequest struct {
	Cluster string
	Plan    string
}

// Decision is what Advance decided: the new state (as if every launch
// succeeds), the launches and reverts to carry out, and when time alone
// changes the answer (zero: only new observations do).
type Decision struct {
	Rollout Rollout
	Launch  []Launch
	Revert  []RevertRequest
	Wake    time.Time
}
