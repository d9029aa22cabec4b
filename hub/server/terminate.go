package server

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// featureTerminate is the Hello feature of spokes that act on
// TerminateOperation (an older spoke would ignore it and sync on).
const featureTerminate = "terminate"

// TerminateOperation stops the running syncs of an application's targets
// (the clusters named, or every target with one running): each spoke
// cancels the run at once and reports it Failed, "terminated by WHO";
// the hub does not retry it (controller.Terminated). A named target with
// no running operation fails the call with FailedPrecondition, naming
// it, and so does an application with none at all; a spoke that is not
// connected fails it with Unavailable. Nothing is sent unless every
// chosen spoke can take it.
func (s *Admin) TerminateOperation(ctx context.Context, r *pb.TerminateOperationRequest) (*pb.TerminateOperationResponse, error) {
	if _, err := s.Core.Store.GetApplication(r.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	running, err := s.runningTargets(r)
	if err != nil {
		return nil, err
	}
	for _, t := range running {
		if err := s.Core.Spokes.canTerminate(t.GetCluster()); err != nil {
			return nil, status.Errorf(codes.Unavailable, "application %s on cluster %s: %v", r.GetName(), t.GetCluster(), err)
		}
	}
	out := &pb.TerminateOperationResponse{}
	by := who(ctx)
	for _, t := range running {
		m := &pb.TerminateOperation{Application: r.GetName(), PlanHash: t.GetOperation().GetPlanHash(), InitiatedBy: by}
		if err := s.Core.Spokes.terminate(t.GetCluster(), m); err != nil {
			return nil, status.Errorf(codes.Unavailable, "application %s on cluster %s: %v", r.GetName(), t.GetCluster(), err)
		}
		s.Core.log.Info("terminate requested", "app", r.GetName(), "cluster", t.GetCluster(), "plan", shortHash(m.GetPlanHash()), "by", by)
		out.Targets = append(out.Targets, t)
	}
	return out, nil
}

// runningTargets returns the targets whose operation TerminateOperation
// stops, refusing a named cluster that is not a target or runs none.
func (s *Admin) runningTargets(r *pb.TerminateOperationRequest) ([]*pb.TargetStatus, error) {
	ts, err := s.Core.Store.ListTargets(r.GetName())
	if err != nil {
		return nil, grpcErr(err)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].GetCluster() < ts[j].GetCluster() })
	isRunning := func(t *pb.TargetStatus) bool {
		return t.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_RUNNING
	}
	var out []*pb.TargetStatus
	if len(r.GetClusters()) == 0 {
		for _, t := range ts {
			if isRunning(t) {
				out = append(out, t)
			}
		}
		if len(out) == 0 {
			return nil, status.Errorf(codes.FailedPrecondition, "application %s: no operation is running on any target", r.GetName())
		}
		return out, nil
	}
	for _, c := range r.GetClusters() {
		i := slices.IndexFunc(ts, func(t *pb.TargetStatus) bool { return t.GetCluster() == c })
		switch {
		case i < 0:
			return nil, status.Errorf(codes.NotFound, "application %s has no target on cluster %s", r.GetName(), c)
		case !isRunning(ts[i]):
			return nil, status.Errorf(codes.FailedPrecondition, "application %s on cluster %s: no operation is running (last: %s)",
				r.GetName(), c, lastPhase(ts[i].GetOperation()))
		}
		out = append(out, ts[i])
	}
	return out, nil
}

func lastPhase(op *pb.Operation) string {
	if op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_UNSPECIFIED {
		return "none"
	}
	return fmt.Sprintf("%s %s", op.GetPhase(), op.GetMessage())
}

// canTerminate says why the cluster's spoke cannot take a
// TerminateOperation now (nil when it can).
func (s *Spokes) canTerminate(cluster string) error {
	s.mu.Lock()
	c := s.conns[cluster]
	s.mu.Unlock()
	return terminable(c)
}

// terminate queues a TerminateOperation for the cluster's spoke.
func (s *Spokes) terminate(cluster string, m *pb.TerminateOperation) error {
	s.mu.Lock()
	c := s.conns[cluster]
	s.mu.Unlock()
	if err := terminable(c); err != nil {
		return err
	}
	c.queue("terminate/"+m.GetApplication(), &pb.ConnectResponse{Msg: &pb.ConnectResponse_Terminate{Terminate: m}})
	return nil
}

func terminable(c *conn) error {
	switch {
	case c == nil:
		return ErrNotConnected
	case !slices.Contains(c.hello.GetFeatures(), featureTerminate):
		return fmt.Errorf("spoke %s cannot terminate a sync (upgrade it)", c.hello.GetAgentVersion())
	}
	return nil
}
