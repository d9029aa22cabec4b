package server

import (
	"context"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// DiffApplication returns the drift the spokes reported.
func (s *Admin) DiffApplication(_ context.Context, r *pb.DiffApplicationRequest) (*pb.DiffApplicationResponse, error) {
	v, err := s.appView(r.GetName())
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, c := range r.GetClusters() {
		want[c] = true
	}
	out := &pb.DiffApplicationResponse{}
	for _, t := range v.GetTargets() {
		if len(want) > 0 && !want[t.GetCluster()] {
			continue
		}
		for _, rs := range t.GetResources() {
			out.Diffs = append(out.Diffs, &pb.ObjectDiff{Cluster: t.GetCluster(), Ref: rs.GetRef(), Sync: rs.GetSync(), Diff: rs.GetDiff()})
		}
	}
	return out, nil
}

// GetPlan computes the plan of one target at a revision, without assigning.
func (s *Admin) GetPlan(ctx context.Context, r *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	p, err := s.Ctrl.PlanAt(ctx, r.GetName(), r.GetCluster(), r.GetRevision())
	if err != nil {
		return nil, grpcErr(err)
	}
	diffs, cur, err := s.planDiffs(ctx, r.GetName(), r.GetCluster(), p)
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.GetPlanResponse{Plan: maskedPlan(p), Diffs: diffs, CurrentPlanHash: cur}
	// The cluster's spoke compares the plan with the live objects; without
	// an answer, the diff from the current plan stands, with the reason.
	lctx, cancel := context.WithTimeout(ctx, liveDiffTimeout)
	defer cancel()
	live, err := s.Core.Spokes.LiveDiff(lctx, r.GetCluster(), p)
	if err != nil {
		out.LiveError = err.Error()
		return out, nil
	}
	out.Live, out.Diffs = true, nil
	for _, d := range live {
		out.Diffs = append(out.Diffs, &pb.ObjectDiff{Cluster: r.GetCluster(), Ref: d.GetRef(), Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, Diff: d.GetDiff()})
	}
	return out, nil
}

// liveDiffTimeout bounds the wait for a spoke's live comparison.
const liveDiffTimeout = 30 * time.Second

// ListHistory lists sync history.
func (s *Admin) ListHistory(_ context.Context, r *pb.ListHistoryRequest) (*pb.ListHistoryResponse, error) {
	if _, err := s.Core.Store.GetApplication(r.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	h, err := s.Core.Store.ListHistory(r.GetName(), r.GetCluster())
	if err != nil {
		return nil, grpcErr(err)
	}
	sort.SliceStable(h, func(i, j int) bool { return h[i].GetStartedAt().AsTime().Before(h[j].GetStartedAt().AsTime()) })
	return &pb.ListHistoryResponse{Entries: h}, nil
}

// RollbackApplication re-assigns the plan of a history entry.
func (s *Admin) RollbackApplication(ctx context.Context, r *pb.RollbackApplicationRequest) (*pb.RollbackApplicationResponse, error) {
	if err := s.Ctrl.Rollback(ctx, r.GetName(), r.GetHistoryId(), r.GetClusters(), who(ctx)); err != nil {
		return nil, grpcErr(err)
	}
	v, err := s.appView(r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.RollbackApplicationResponse{Targets: v.GetTargets()}, nil
}

// maskedPlan is a copy of p whose Secrets hold masks, not values: a plan
// shown to whoever may get the application (role:readonly) must not
// hand out what its Secrets hold. The spoke gets the plan itself.
func maskedPlan(p *pb.Plan) *pb.Plan {
	out := proto.Clone(p).(*pb.Plan)
	for h, raw := range out.GetObjects() {
		out.Objects[h] = diff.MaskSecret(raw)
	}
	return out
}
