package controller

import (
	"testing"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A target reverted to an earlier plan is OutOfSync with Git by design:
// it passes on health and on no drift from that plan; a target rolled
// forward still needs Synced.
func TestTargetStateOfRevertedTarget(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutApplication(&pb.Application{Name: "web"}, false); err != nil {
		t.Fatal(err)
	}
	c := &Controller{store: st}
	set := func(sync pb.SyncStatus, health pb.Health, drifted bool) {
		t.Helper()
		rs := &pb.ResourceStatus{Ref: &pb.ObjectRef{Kind: "Deployment", Name: "web"}, Sync: pb.SyncStatus_SYNC_STATUS_SYNCED}
		if drifted {
			rs.Sync = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC
		}
		if _, err := st.UpdateTarget("web", "c1", func(ts *pb.TargetStatus) {
			ts.Sync, ts.Health, ts.Resources = sync, health, []*pb.ResourceStatus{rs}
			ts.Operation = &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, PlanHash: "p1"}
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		sync     pb.SyncStatus
		health   pb.Health
		drifted  bool
		reverted bool
		want     bool
	}{
		{pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, pb.Health_HEALTH_HEALTHY, false, true, true},
		{pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, pb.Health_HEALTH_HEALTHY, true, true, false},
		{pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, pb.Health_HEALTH_PROGRESSING, false, true, false},
		{pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, pb.Health_HEALTH_HEALTHY, false, false, false},
		{pb.SyncStatus_SYNC_STATUS_SYNCED, pb.Health_HEALTH_HEALTHY, false, false, true},
	} {
		set(tc.sync, tc.health, tc.drifted)
		if ok, _, why := c.targetState("web", "c1", "p1", tc.reverted); ok != tc.want {
			t.Errorf("%+v: ok %v (%s), want %v", tc, ok, why, tc.want)
		}
	}
}
