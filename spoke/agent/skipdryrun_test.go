package agent_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// A custom resource whose CRD someone else creates during the sync (an
// operator deployed by an earlier wave) fails the dry-run, unless it says
// SkipDryRunOnMissingResource=true: then it is passed over, and applied
// in its wave once the kind is served.
func TestSkipDryRunOnMissingResource(t *testing.T) {
	e := setup(t)
	group := e.ns + ".skip.flotilla.dev"
	gadget := func(ann string) string {
		return fmt.Sprintf("---\napiVersion: %s/v1\nkind: Gadget\nmetadata:\n  name: g\n  annotations: {argocd.argoproj.io/sync-wave: \"1\"%s}\nspec: {size: 1}\n", group, ann)
	}
	e.startSpoke()
	strict := e.plan("strict", pvc("gate", "0")+gadget(""), nil, "")
	e.hub.Assign(strict, 1)
	pr := e.finished("strict", strict, 30*time.Second)
	if pr.GetOperation().GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED || !strings.Contains(pr.GetOperation().GetMessage(), "Gadget "+e.ns+"/g: unknown kind") {
		t.Fatalf("without the option: %v %q, want the dry-run to fail naming the kind", pr.GetOperation().GetPhase(), pr.GetOperation().GetMessage())
	}

	lenient := e.plan("lenient", pvc("gate2", "0")+gadget(", argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true"), nil, "")
	e.hub.Assign(lenient, 1)
	e.hub.Wait(t, "the lenient sync in wave 0", 30*time.Second, func(v fakehub.View) bool {
		pr := v.Progress("lenient")
		return pr.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_RUNNING && pr.GetOperation().GetStep() == 0 && e.exists(gvrPVC, "gate2")
	})
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "gadgets." + group},
		"spec": map[string]any{"group": group, "scope": "Namespaced",
			"names":    map[string]any{"kind": "Gadget", "plural": "gadgets", "singular": "gadget"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true, "schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}}}
	crds := e.dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	if _, err := crds.Create(context.Background(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := crds.Delete(context.Background(), "gadgets."+group, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete CRD: %v", err)
		}
	})
	e.openGate("gate2")
	e.succeeded("lenient", lenient, time.Minute)
	gvr := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "gadgets"}
	if _, err := e.dyn.Resource(gvr).Namespace(e.ns).Get(context.Background(), "g", metav1.GetOptions{}); err != nil {
		t.Errorf("Gadget g after the sync: %v", err)
	}
}
