package agent_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// spec.replicas owned by another field manager (an HPA) and ignored with
// ignoreDifferences + RespectIgnoreDifferences is never fought over: not by
// self-heal, not by the next sync, and it is not reported as drift.
func TestIgnoredReplicasLeftAlone(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrDeploy)
	e.startSpoke()
	opts := &pb.PlanOptions{SelfHeal: true, RespectIgnoreDifferences: true}
	ignore := &pb.IgnoreDifference{Group: "apps", Kind: "Deployment", JsonPointers: []string{"/spec/replicas"}}
	p := e.plan("scaled", deployment("api", "0", 2), opts, "", ignore)
	e.hub.Assign(p, 1)
	e.succeeded("scaled", p, time.Minute)

	ctx := context.Background()
	ri := e.dyn.Resource(gvrDeploy).Namespace(e.ns)
	scale := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api"},"spec":{"replicas":5}}`)
	force := true
	if _, err := ri.Patch(ctx, "api", types.ApplyPatchType, scale, metav1.PatchOptions{FieldManager: "hpa-controller", Force: &force}); err != nil {
		t.Fatal(err)
	}
	// A barrier: an edit the spoke does revert. Once reverted, the spoke
	// has seen the replicas change too (events of one object are ordered).
	tamper := []byte(`{"metadata":{"labels":{"flotilla.dev/managed":"tampered"}}}`)
	edited, err := ri.Patch(ctx, "api", types.MergePatchType, tamper, metav1.PatchOptions{FieldManager: "kubectl-edit"})
	if err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "revert of the label edit", 30*time.Second, func(ev event) bool {
		return ev.name == "api" && ev.rv > rvOf(edited) && ev.obj.GetLabels()["flotilla.dev/managed"] == "true"
	})
	if r := replicas(e.get(gvrDeploy, "api")); r != 5 {
		t.Fatalf("replicas %d after self-heal, want the HPA's 5", r)
	}

	// The next sync leaves them alone too.
	e.hub.Assign(p, 2)
	e.hub.Wait(t, "second sync", time.Minute, func(v fakehub.View) bool {
		pr := v.Progress("scaled")
		return len(v.ProgressHistory("scaled")) > 3 && pr.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED
	})
	if r := replicas(e.get(gvrDeploy, "api")); r != 5 {
		t.Fatalf("replicas %d after a sync, want the HPA's 5", r)
	}
	e.hub.Wait(t, "Synced drift report", 30*time.Second, func(v fakehub.View) bool {
		return v.Drift("scaled").GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED
	})
}

func replicas(u *unstructured.Unstructured) int64 {
	r, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
	return r
}
