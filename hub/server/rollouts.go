package server

import (
	"context"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Rollouts serves RolloutService.
type Rollouts struct {
	pb.UnimplementedRolloutServiceServer
	Core *Core
	Ctrl *controller.Controller
}

// GetRollout returns an application's current (or last) rollout.
func (s *Rollouts) GetRollout(_ context.Context, r *pb.GetRolloutRequest) (*pb.GetRolloutResponse, error) {
	ro, err := s.Core.Store.GetRollout(r.GetName())
	return &pb.GetRolloutResponse{Rollout: ro}, grpcErr(err)
}

func (s *Rollouts) steer(name string, act rollout.Action) (*pb.Rollout, error) {
	ro, err := s.Ctrl.SteerRollout(name, act)
	return ro, grpcErr(err)
}

// PauseRollout pauses a progressing rollout.
func (s *Rollouts) PauseRollout(_ context.Context, r *pb.PauseRolloutRequest) (*pb.PauseRolloutResponse, error) {
	ro, err := s.steer(r.GetName(), rollout.Pause)
	return &pb.PauseRolloutResponse{Rollout: ro}, err
}

// ResumeRollout resumes a paused rollout or retries a halted step.
func (s *Rollouts) ResumeRollout(_ context.Context, r *pb.ResumeRolloutRequest) (*pb.ResumeRolloutResponse, error) {
	ro, err := s.steer(r.GetName(), rollout.Resume)
	return &pb.ResumeRolloutResponse{Rollout: ro}, err
}

// ApproveRollout lets a rollout waiting after a pause step go on.
func (s *Rollouts) ApproveRollout(_ context.Context, r *pb.ApproveRolloutRequest) (*pb.ApproveRolloutResponse, error) {
	ro, err := s.steer(r.GetName(), rollout.Approve)
	return &pb.ApproveRolloutResponse{Rollout: ro}, err
}

// AbortRollout stops a rollout; targets keep what they run.
func (s *Rollouts) AbortRollout(_ context.Context, r *pb.AbortRolloutRequest) (*pb.AbortRolloutResponse, error) {
	ro, err := s.steer(r.GetName(), rollout.Abort)
	return &pb.AbortRolloutResponse{Rollout: ro}, err
}

// ApproveApplication approves pending plans (syncPolicy.approval: required).
func (s *Admin) ApproveApplication(_ context.Context, r *pb.ApproveApplicationRequest) (*pb.ApproveApplicationResponse, error) {
	if !r.GetAll() && len(r.GetPlanHashes()) == 0 {
		return nil, invalid("name the plan hashes to approve, or set all")
	}
	ts, err := s.Ctrl.Approve(r.GetName(), r.GetPlanHashes(), r.GetAll())
	return &pb.ApproveApplicationResponse{Targets: ts}, grpcErr(err)
}

// checkDeps rejects dependsOn cycles.
func (s *Admin) checkDeps(a *pb.Application) error {
	apps, err := s.Core.Store.ListApplications()
	if err != nil {
		return grpcErr(err)
	}
	if err := declare.CheckDependencies(a, apps); err != nil {
		return invalid("application %s: %v", a.GetName(), err)
	}
	return nil
}
