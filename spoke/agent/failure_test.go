package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// A wave that does not become healthy fails at the wave timeout, naming
// the object and its health; a Degraded object fails the wave at once.
func TestWaveTimeoutAndDegraded(t *testing.T) {
	e := setup(t)
	e.startSpoke()
	stuck := strings.Replace(deployment("stuck", "0", 1), "containers:", "nodeSelector: {flotilla.dev/no-such-node: \"true\"}\n      containers:", 1)
	p := e.plan("slow", stuck+cm("never", "1"), &pb.PlanOptions{WaveTimeoutSeconds: 2}, "")
	start := time.Now()
	e.hub.Assign(p, 1)
	op := e.finished("slow", p, time.Minute).GetOperation()
	took := time.Since(start)
	if op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED || !strings.Contains(op.GetMessage(), "Deployment "+e.ns+"/stuck: still Progressing after the wave timed out (2s)") {
		t.Fatalf("%v: %q", op.GetPhase(), op.GetMessage())
	}
	if took < 2*time.Second || e.exists(gvrCM, "never") {
		t.Fatalf("failed after %s (want the 2s timeout); next wave applied: %v", took, e.exists(gvrCM, "never"))
	}

	crashing := strings.Replace(deployment("crashing", "0", 1), "labels: {app: crashing}}", "labels: {app: crashing, "+localcluster.FailLabel+": \"true\"}}", 1)
	crashing = strings.Replace(crashing, "replicas: 1", "replicas: 1\n  progressDeadlineSeconds: 2", 1)
	p = e.plan("crash", crashing+cm("never2", "1"), nil, "")
	e.hub.Assign(p, 1)
	op = e.finished("crash", p, time.Minute).GetOperation()
	if op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED || !strings.Contains(op.GetMessage(), "Deployment "+e.ns+"/crashing: degraded") {
		t.Fatalf("%v: %q", op.GetPhase(), op.GetMessage())
	}
	if e.exists(gvrCM, "never2") {
		t.Fatal("the wave after a Degraded object was applied")
	}
}

// A plan whose objects do not match their content hashes is refused.
func TestTamperedPlanRefused(t *testing.T) {
	e := setup(t)
	e.startSpoke()
	p := e.plan("tampered", cm("cfg", "", "good"), nil, "")
	for h, b := range p.GetObjects() {
		p.Objects[h] = []byte(strings.Replace(string(b), "good", "evil", 1))
	}
	e.hub.Assign(p, 1)
	e.hub.Wait(t, "a refusal", 30*time.Second, func(v fakehub.View) bool {
		for _, a := range v.Acks() {
			if strings.Contains(a.GetError(), "content hash mismatch") {
				return true
			}
		}
		return false
	})
	if e.exists(gvrCM, "cfg") {
		t.Fatal("a tampered plan was applied")
	}
}
