package server

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/pkg/object"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// FuzzConnectRequest feeds hostile spoke messages to what the hub does
// with them before and after the store: naming the report's target and
// size, and merging its resources into a target's status. Nothing panics,
// and the merged status never lists one object twice.
func FuzzConnectRequest(f *testing.F) {
	ref := &pb.ObjectRef{ApiVersion: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "web"}
	for _, m := range []*pb.ConnectRequest{
		{Msg: &pb.ConnectRequest_Hello{Hello: &pb.Hello{AgentVersion: "v1", CurrentPlans: map[string]string{"web": "abc"}}}},
		{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: "web", PlanHash: "abc",
			Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED},
			Results:   []*pb.ResourceResult{{Ref: ref, Action: pb.ActionType_ACTION_TYPE_APPLY, Health: pb.Health_HEALTH_HEALTHY}, {Ref: ref}}}}},
		{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: "web", Resources: []*pb.ResourceStatus{{Ref: ref}}}}},
		{Msg: &pb.ConnectRequest_Drift{Drift: &pb.DriftReport{Application: "web", Resources: []*pb.DriftedResource{{Ref: ref, Diff: "-a\n+b"}}}}},
		{Msg: &pb.ConnectRequest_Ack{Ack: &pb.PlanAck{Seq: 1, Application: "web", Error: "refused"}}},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := &pb.ConnectRequest{}
		if proto.Unmarshal(b, m) != nil {
			return
		}
		_, items, _ := reportTarget(m)
		if items < 0 {
			t.Fatalf("negative item count %d", items)
		}
		ts := &pb.TargetStatus{}
		mergeResults(ts, m.GetProgress().GetResults())
		mergeResults(ts, m.GetProgress().GetResults()) // a resend changes nothing
		seen := map[object.ID]bool{}
		for _, r := range ts.GetResources() {
			k := refKey(r.GetRef())
			if seen[k] {
				t.Fatalf("object %s listed twice after merging", k)
			}
			seen[k] = true
		}
		resultsHealth(m.GetProgress().GetResults())
	})
}
