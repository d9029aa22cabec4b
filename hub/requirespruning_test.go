package hub

import (
	"testing"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A run of a plan that keeps objects Git no longer has does not make the
// target Synced: the spoke's drift report, which follows, says whether
// they exist. An object requiring pruning keeps its flag and OutOfSync
// through the health and drift reports, and the target follows the
// spoke's sync: OutOfSync, unless all such objects are IgnoreExtraneous.
func TestRequiresPruningSurvivesReports(t *testing.T) {
	e := start(t)
	e.commit("kept", map[string]string{"web/kept.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept}\n"})
	token, apps := e.webOnEast(t, nil) // pruning off
	sp, err := e.connect(token, &pb.Hello{})
	if err != nil {
		t.Fatal(err)
	}
	send := func(msgs ...*pb.ConnectRequest) {
		t.Helper()
		for _, m := range msgs {
			if err := sp.stream.Send(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	succeeded := func(p *pb.Plan) *pb.ConnectRequest {
		return &pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: "web", PlanHash: p.GetHash(),
			Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, PlanHash: p.GetHash()}}}}
	}
	health := func(h pb.Health, rs ...*pb.ResourceStatus) *pb.ConnectRequest {
		return &pb.ConnectRequest{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: "web", Health: h, Resources: rs}}}
	}
	drift := func(sync pb.SyncStatus, refs ...*pb.ObjectRef) *pb.ConnectRequest {
		d := &pb.DriftReport{Application: "web", Sync: sync}
		for _, r := range refs {
			d.Resources = append(d.Resources, &pb.DriftedResource{Ref: r})
		}
		return &pb.ConnectRequest{Msg: &pb.ConnectRequest_Drift{Drift: d}}
	}
	// target waits until the target has health mark (and sync, unless
	// unspecified): a spoke's messages are handled in order.
	target := func(mark pb.Health, sync pb.SyncStatus) *pb.TargetStatus {
		t.Helper()
		var ts *pb.TargetStatus
		waitFor(t, func() bool {
			got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web"})
			if err != nil || len(got.GetTargets()) != 1 {
				return false
			}
			ts = got.GetTargets()[0]
			return ts.GetHealth() == mark && (sync == pb.SyncStatus_SYNC_STATUS_UNSPECIFIED || ts.GetSync() == sync)
		}, "target "+mark.String()+" "+sync.String())
		return ts
	}
	if _, err := apps.SyncApplication(e.admin, &pb.SyncApplicationRequest{Name: "web"}); err != nil {
		t.Fatal(err)
	}
	send(succeeded(sp.nextPlan().GetPlan()), health(pb.Health_HEALTH_MISSING))
	if ts := target(pb.Health_HEALTH_MISSING, 0); ts.GetSync() != pb.SyncStatus_SYNC_STATUS_SYNCED {
		t.Fatalf("after the first run: %v, want Synced", ts.GetSync())
	}

	e.commit("kept removed", map[string]string{"web/kept.yaml": ""})
	if _, err := apps.SyncApplication(e.admin, &pb.SyncApplicationRequest{Name: "web"}); err != nil {
		t.Fatal(err)
	}
	p := sp.nextPlan().GetPlan()
	if x := p.GetExtraneous(); len(x) != 1 || x[0].GetRef().GetName() != "kept" || x[0].GetReason() != "pruning disabled" {
		t.Fatalf("plan keeps %v: want kept, pruning disabled", x)
	}
	send(succeeded(p), health(pb.Health_HEALTH_UNKNOWN))
	if ts := target(pb.Health_HEALTH_UNKNOWN, 0); ts.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED {
		t.Errorf("a run of a plan keeping kept made the target Synced before the spoke said whether kept exists")
	}

	web := &pb.ObjectRef{ApiVersion: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "web"}
	kept := &pb.ObjectRef{ApiVersion: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "kept"}
	resources := []*pb.ResourceStatus{
		{Ref: web, Sync: pb.SyncStatus_SYNC_STATUS_SYNCED, Health: pb.Health_HEALTH_HEALTHY},
		{Ref: kept, Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, Health: pb.Health_HEALTH_HEALTHY,
			Message: "requires pruning (pruning disabled)", RequiresPruning: true},
	}
	check := func(ts *pb.TargetStatus) {
		t.Helper()
		for _, rs := range ts.GetResources() {
			if rs.GetRef().GetName() == "kept" && (!rs.GetRequiresPruning() || rs.GetSync() != pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC) {
				t.Errorf("kept: %v; want OutOfSync, requiring pruning", rs)
			}
			if rs.GetRef().GetName() == "web" && (rs.GetRequiresPruning() || rs.GetSync() != pb.SyncStatus_SYNC_STATUS_SYNCED) {
				t.Errorf("web: %v; want Synced", rs)
			}
		}
	}
	send(health(pb.Health_HEALTH_PROGRESSING, resources...), drift(pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, kept))
	check(target(pb.Health_HEALTH_PROGRESSING, pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC))
	// IgnoreExtraneous: kept still shown OutOfSync, the target Synced
	// (a spoke may leave it out of the drift list).
	send(health(pb.Health_HEALTH_SUSPENDED, resources...), drift(pb.SyncStatus_SYNC_STATUS_SYNCED))
	check(target(pb.Health_HEALTH_SUSPENDED, pb.SyncStatus_SYNC_STATUS_SYNCED))
}
