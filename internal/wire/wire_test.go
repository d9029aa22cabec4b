package wire

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
)

const manifests = `apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: ns}
data: {a: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: ns, annotations: {argocd.argoproj.io/sync-wave: "2"}}
spec: {replicas: 3, template: {spec: {containers: [{name: x, image: "x:1", ports: [{containerPort: 8080}]}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {generateName: j-, namespace: ns, annotations: {argocd.argoproj.io/hook: PostSync, argocd.argoproj.io/hook-delete-policy: HookSucceeded}}
`

func TestPlanRoundTrip(t *testing.T) {
	desired, err := object.Decode("m.yaml", []byte(manifests), object.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	live, _ := object.Decode("l.yaml", []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: old, namespace: ns}\n"), object.DefaultLimits())
	p, err := plan.Compute(desired, live, plan.Options{Prune: true})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := PlanToProto(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := PlanFromProto(msg)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash != p.Hash || len(back.Steps) != len(p.Steps) {
		t.Fatalf("round trip changed the plan: %d vs %d steps", len(back.Steps), len(p.Steps))
	}
	for i, a := range p.Actions() {
		b := back.Actions()[i]
		if a.Action != b.Action || a.Name != b.Name || a.Hash != b.Hash || len(a.DeletePolicies) != len(b.DeletePolicies) {
			t.Errorf("action %d: %+v vs %+v", i, a, b)
		}
		if a.Action != plan.Prune {
			h, err := object.Hash(b.Object)
			if err != nil || h != a.Hash {
				t.Errorf("action %d: object hash %s, want %s (%v)", i, h, a.Hash, err)
			}
			if r, _, _ := unstructured.NestedInt64(b.Object.Object, "spec", "replicas"); a.Kind == "Deployment" && r != 3 {
				t.Errorf("replicas decoded as %v", r)
			}
		}
	}
	// A tampered object is refused.
	for h := range msg.Objects {
		msg.Objects[h] = []byte(strings.Replace(string(msg.Objects[h]), `"ns"`, `"kube-system"`, 1))
	}
	if _, err := PlanFromProto(msg); err == nil || !strings.Contains(err.Error(), "content hash mismatch") {
		t.Errorf("tampered plan accepted: %v", err)
	}
}
