package server

import (
	"context"
	"fmt"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// SyncApplication syncs now (manual sync), with Argo CD's overrides; a
// dry run returns what each target's sync would change, assigning nothing.
func (s *Admin) SyncApplication(ctx context.Context, r *pb.SyncApplicationRequest) (*pb.SyncApplicationResponse, error) {
	req, err := syncRequest(r, who(ctx))
	if err != nil {
		return nil, err
	}
	planned, err := s.Ctrl.Sync(ctx, req)
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.SyncApplicationResponse{}
	for _, p := range planned {
		var ts *pb.TargetStatus
		if r.GetDryRun() {
			ts = s.dryRun(ctx, r.GetName(), p)
		} else if ts, err = s.Core.Store.GetTarget(r.GetName(), p.Cluster); err != nil {
			return nil, grpcErr(err)
		}
		out.Targets = append(out.Targets, ts)
	}
	return out, nil
}

// syncRequest checks a sync request's overrides, naming the bad field.
func syncRequest(r *pb.SyncApplicationRequest, by string) (controller.SyncRequest, error) {
	req := controller.SyncRequest{App: r.GetName(), By: by, Clusters: r.GetClusters(), Revision: r.GetRevision(), Prune: r.GetPrune(),
		DryRun: r.GetDryRun(), Options: r.GetOptions(), ConfirmPrune: r.GetConfirmPrune()}
	var check plan.Options
	for k, v := range r.GetOptions() {
		if err := check.SetSyncOption(k + "=" + v); err != nil {
			return req, invalid("options: %v", err)
		}
	}
	for i, res := range r.GetResources() {
		if res.GetKind() == "" || res.GetName() == "" {
			return req, invalid("resources[%d]: kind and name are required (GROUP:KIND:NAME, or GROUP:KIND:NAMESPACE/NAME)", i)
		}
		req.Only = append(req.Only, plan.Selector{Group: res.GetGroup(), Kind: res.GetKind(), Namespace: res.GetNamespace(), Name: res.GetName()})
	}
	return req, nil
}

// dryRun asks the target's spoke what the plan would change; the
// answer comes back as the target's resources, the stored status
// untouched.
func (s *Admin) dryRun(ctx context.Context, app string, p controller.Planned) *pb.TargetStatus {
	ts := &pb.TargetStatus{Application: app, Cluster: p.Cluster, Revision: p.Plan.GetRevision(),
		Operation: &pb.Operation{PlanHash: p.Plan.GetHash(), Revision: p.Plan.GetRevision(), TotalSteps: int32(len(p.Plan.GetSteps()))}}
	lctx, cancel := context.WithTimeout(ctx, liveDiffTimeout)
	defer cancel()
	live, err := s.Core.Spokes.LiveDiff(lctx, p.Cluster, p.Plan)
	if err != nil {
		ts.Error = "dry run: " + err.Error()
		return ts
	}
	prunes := 0
	for _, st := range p.Plan.GetSteps() {
		for _, a := range st.GetActions() {
			if a.GetAction() == pb.ActionType_ACTION_TYPE_PRUNE {
				prunes++
			}
		}
	}
	for _, d := range live {
		ts.Resources = append(ts.Resources, &pb.ResourceStatus{Ref: d.GetRef(), Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, Diff: d.GetDiff()})
	}
	ts.Operation.Message = fmt.Sprintf("dry run of plan %s: %d objects would change, %d would be pruned; nothing was assigned", shortHash(p.Plan.GetHash()), len(live), prunes)
	return ts
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
