package wire

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// The API shows step and target states as words; decisions use enums.
var (
	targetStates = map[rollout.TargetPhase]string{rollout.TargetPending: "Pending", rollout.TargetUpdating: "Updating",
		rollout.TargetBaking: "Baking", rollout.TargetDone: "Done", rollout.TargetFailed: "Failed",
		rollout.TargetReverting: "Reverting", rollout.TargetReverted: "Reverted"}
	stepStates = map[rollout.StepPhase]string{rollout.StepPending: "Pending", rollout.StepRunning: "Running",
		rollout.StepAwaitingApproval: "AwaitingApproval", rollout.StepSucceeded: "Succeeded", rollout.StepFailed: "Failed"}
	rolloutPhases = map[rollout.Phase]pb.RolloutPhase{rollout.Progressing: pb.RolloutPhase_ROLLOUT_PHASE_PROGRESSING,
		rollout.Paused: pb.RolloutPhase_ROLLOUT_PHASE_PAUSED, rollout.Halted: pb.RolloutPhase_ROLLOUT_PHASE_HALTED,
		rollout.Completed: pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, rollout.Aborted: pb.RolloutPhase_ROLLOUT_PHASE_ABORTED,
		rollout.Superseded: pb.RolloutPhase_ROLLOUT_PHASE_SUPERSEDED}
)

var (
	targetStateOf  = reverse(targetStates)
	stepStateOf    = reverse(stepStates)
	rolloutPhaseOf = reverse(rolloutPhases)
)

// RolloutFromPB reads a stored rollout for the decisions of pkg/rollout.
func RolloutFromPB(r *pb.Rollout) rollout.Rollout {
	out := rollout.Rollout{Application: r.GetApplication(), Phase: rolloutPhaseOf[r.GetPhase()], Message: r.GetMessage(),
		Step: int(r.GetStep()), PausedByUser: r.GetPausedByUser()}
	for _, s := range r.GetSteps() {
		st := rollout.Step{Name: s.GetName(), Phase: stepStateOf[s.GetState()], FinishedAt: timeOf(s.GetFinishedAt())}
		for _, t := range s.GetTargets() {
			st.Targets = append(st.Targets, rollout.Target{Cluster: t.GetCluster(), Phase: targetStateOf[t.GetState()], Plan: t.GetPlanHash(),
				PreviousPlan: t.GetPreviousPlanHash(), Message: t.GetMessage(), UpdatedAt: timeOf(t.GetUpdatedAt()), HealthySince: timeOf(t.GetHealthySince())})
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// RolloutToPB writes a decided rollout over the stored one (revision and
// start time kept).
func RolloutToPB(r rollout.Rollout, into *pb.Rollout) *pb.Rollout {
	out := &pb.Rollout{Application: r.Application, Revision: into.GetRevision(), Phase: rolloutPhases[r.Phase], Message: r.Message,
		Step: int32(r.Step), PausedByUser: r.PausedByUser, StartedAt: into.GetStartedAt(), UpdatedAt: into.GetUpdatedAt()}
	for _, s := range r.Steps {
		st := &pb.RolloutStepStatus{Name: s.Name, State: stepStates[s.Phase], FinishedAt: stamp(s.FinishedAt)}
		for _, t := range s.Targets {
			st.Targets = append(st.Targets, &pb.RolloutTarget{Cluster: t.Cluster, State: targetStates[t.Phase], PlanHash: t.Plan,
				PreviousPlanHash: t.PreviousPlan, Message: t.Message, UpdatedAt: stamp(t.UpdatedAt), HealthySince: stamp(t.HealthySince)})
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func stamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
