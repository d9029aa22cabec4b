package controller

import (
	"testing"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A rollout step counts a target OutOfSync only by objects requiring
// pruning (kept by Prune=false or pruning off: only pruning them would
// change it) as done once it is Healthy; any other drift still holds it.
func TestTargetStateWithObjectsRequiringPruning(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutApplication(&pb.Application{Name: "web"}, false); err != nil {
		t.Fatal(err)
	}
	c := &Controller{store: st}
	synced := &pb.ResourceStatus{Ref: &pb.ObjectRef{Kind: "Deployment", Name: "web"}, Sync: pb.SyncStatus_SYNC_STATUS_SYNCED}
	drifted := &pb.ResourceStatus{Ref: &pb.ObjectRef{Kind: "Service", Name: "web"}, Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC}
	kept := &pb.ResourceStatus{Ref: &pb.ObjectRef{Kind: "ConfigMap", Name: "kept"}, Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC,
		RequiresPruning: true, Message: "requires pruning (Prune=false)"}
	tests := map[string]struct {
		health    pb.Health
		resources []*pb.ResourceStatus
		reverted  bool
		want      bool
	}{
		"only requiring pruning":           {pb.Health_HEALTH_HEALTHY, []*pb.ResourceStatus{synced, kept}, false, true},
		"reverted, only requiring prune":   {pb.Health_HEALTH_HEALTHY, []*pb.ResourceStatus{synced, kept}, true, true},
		"requiring pruning and drift":      {pb.Health_HEALTH_HEALTHY, []*pb.ResourceStatus{kept, drifted}, false, false},
		"requiring pruning, progressing":   {pb.Health_HEALTH_PROGRESSING, []*pb.ResourceStatus{synced, kept}, false, false},
		"out of sync with no resource out": {pb.Health_HEALTH_HEALTHY, []*pb.ResourceStatus{synced}, false, false},
	}
	for name, tc := range tests {
		if _, err := st.UpdateTarget("web", "c1", func(ts *pb.TargetStatus) {
			ts.Sync, ts.Health, ts.Resources = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, tc.health, tc.resources
			ts.Operation = &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, PlanHash: "p1"}
		}); err != nil {
			t.Fatal(err)
		}
		if ok, failed, why := c.targetState("web", "c1", "p1", tc.reverted); ok != tc.want || failed {
			t.Errorf("%s: ok %v, failed %v (%s); want ok %v", name, ok, failed, why, tc.want)
		}
	}
}
