package agent_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// A TerminateOperation stops a run waiting on a wave that never becomes
// healthy at once: the operation fails "terminated by WHO", the next
// wave is never applied, and neither a restarted spoke nor the same
// generation sent again runs it.
func TestTerminateStopsRunForGood(t *testing.T) {
	e := setup(t)
	stuck := strings.Replace(deployment("stuck", "0", 1), "containers:", "nodeSelector: {flotilla.dev/no-such-node: \"true\"}\n      containers:", 1)
	p := e.plan("term", stuck+cm("never", "1"), nil, "")
	rec := e.record(gvrDeploy)
	e.hub.Assign(p, 1)
	spoke := e.spokeProcess()
	rec.wait(t, "Deployment stuck applied (wave 0)", time.Minute, added("Deployment", "stuck"))
	// A TerminateOperation for another plan of the application is ignored.
	e.hub.Send(&pb.ConnectResponse{Msg: &pb.ConnectResponse_Terminate{Terminate: &pb.TerminateOperation{Application: "term", PlanHash: "other", InitiatedBy: "user:bob"}}})
	start := time.Now()
	e.hub.Send(&pb.ConnectResponse{Msg: &pb.ConnectResponse_Terminate{Terminate: &pb.TerminateOperation{Application: "term", PlanHash: p.GetHash(), InitiatedBy: "user:alice"}}})
	op := e.finished("term", p, 30*time.Second).GetOperation()
	if op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED || op.GetMessage() != "terminated by user:alice" {
		t.Fatalf("operation %v %q, want Failed, terminated by user:alice", op.GetPhase(), op.GetMessage())
	}
	t.Logf("terminated %s after the request", time.Since(start).Round(time.Millisecond))
	if e.exists(gvrCM, "never") {
		t.Fatal("wave 1 applied although the run was terminated in wave 0")
	}

	var before int
	e.hub.Read(func(v fakehub.View) { before = len(v.ProgressHistory("term")) })
	if err := spoke.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := spoke.Wait(); err == nil {
		t.Fatal("the spoke exited cleanly after SIGKILL")
	}
	e.spokeProcess()
	e.hub.Wait(t, "the restarted spoke says it enforces the terminated plan", time.Minute, func(v fakehub.View) bool {
		hs := v.Hellos()
		return len(hs) >= 2 && hs[len(hs)-1].GetCurrentPlans()["term"] == p.GetHash()
	})
	e.hub.Assign(p, 1) // the same generation again: acked, not run
	marker := e.plan("marker", cm("marker", "0"), nil, "")
	e.hub.Assign(marker, 1)
	e.succeeded("marker", marker, time.Minute)
	e.hub.Read(func(v fakehub.View) {
		for _, pr := range v.ProgressHistory("term")[before:] {
			if pr.GetOperation().GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED {
				t.Errorf("after the restart the terminated plan reported %v %q", pr.GetOperation().GetPhase(), pr.GetOperation().GetMessage())
			}
		}
	})
	if e.exists(gvrCM, "never") {
		t.Fatal("wave 1 applied after the restart")
	}
}
