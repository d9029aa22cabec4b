package hub

import (
	"testing"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A target whose plan has not caught up with Git is OutOfSync, even when
// the spoke reports no drift from the plan it runs (a manual sync not
// yet made); a sync to Git's revision makes it Synced.
func TestOutOfSyncWhileBehindGit(t *testing.T) {
	e := start(t)
	token, apps := e.webOnEast(t, nil)
	sp, err := e.connect(token, &pb.Hello{})
	if err != nil {
		t.Fatal(err)
	}
	sync := func() pb.SyncStatus {
		got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web"})
		if err != nil || len(got.GetTargets()) != 1 {
			return pb.SyncStatus_SYNC_STATUS_UNSPECIFIED
		}
		return got.GetTargets()[0].GetSync()
	}
	// run acknowledges the next plan, reports it Succeeded and without drift.
	run := func() {
		t.Helper()
		p := sp.nextPlan().GetPlan()
		for _, m := range []*pb.ConnectRequest{
			{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: "web", PlanHash: p.GetHash(),
				Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, PlanHash: p.GetHash()}}}},
			{Msg: &pb.ConnectRequest_Drift{Drift: &pb.DriftReport{Application: "web", Sync: pb.SyncStatus_SYNC_STATUS_SYNCED}}},
		} {
			if err := sp.stream.Send(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := apps.SyncApplication(e.admin, &pb.SyncApplicationRequest{Name: "web"}); err != nil {
		t.Fatal(err)
	}
	run()
	waitFor(t, func() bool { return sync() == pb.SyncStatus_SYNC_STATUS_SYNCED }, "Synced after the first sync")

	e.commit("second", map[string]string{"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: '2'}\n"})
	if _, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return sync() == pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC }, "OutOfSync once Git moved")
	// The spoke still sees no drift from the plan it runs: Git is ahead.
	// (The health report after it marks when the hub has handled both.)
	for _, m := range []*pb.ConnectRequest{
		{Msg: &pb.ConnectRequest_Drift{Drift: &pb.DriftReport{Application: "web", Sync: pb.SyncStatus_SYNC_STATUS_SYNCED}}},
		{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: "web", Health: pb.Health_HEALTH_SUSPENDED}}},
	} {
		if err := sp.stream.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool {
		h, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web"})
		return err == nil && len(h.GetTargets()) == 1 && h.GetTargets()[0].GetHealth() == pb.Health_HEALTH_SUSPENDED
	}, "the reports handled")
	if got := sync(); got != pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC {
		t.Errorf("after a no-drift report with Git ahead: %v, want OutOfSync", got)
	}

	if _, err := apps.SyncApplication(e.admin, &pb.SyncApplicationRequest{Name: "web"}); err != nil {
		t.Fatal(err)
	}
	run()
	waitFor(t, func() bool { return sync() == pb.SyncStatus_SYNC_STATUS_SYNCED }, "Synced after syncing Git's revision")
}
