package agent_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// A plan may create the namespace it deploys to (CreateNamespace) and the
// CRD of its custom resources: the dry-run passes over what cannot be
// checked yet, the CRD is established before its resources are applied.
// Run again with ApplyOutOfSyncOnly, nothing in sync is applied.
func TestNamespaceAndCRDBeforeUse(t *testing.T) {
	e := setup(t)
	target := e.ns + "-new"
	crdName := "widgets." + e.ns + ".flotilla.dev"
	t.Cleanup(func() {
		ctx := context.Background()
		if err := e.cs.CoreV1().Namespaces().Delete(ctx, target, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete namespace %s: %v", target, err)
		}
		crd := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
		if err := e.dyn.Resource(crd).Delete(ctx, crdName, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete CRD: %v", err)
		}
	})
	e.startSpoke("-allowed-namespaces", e.ns+"*")
	y := fmt.Sprintf(`---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: %[1]s}
spec:
  group: %[2]s.flotilla.dev
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: %[2]s.flotilla.dev/v1
kind: Widget
metadata: {name: w}
spec: {size: 3}
`, crdName, e.ns) + cm("cfg", "")
	p := fakehub.Plan(t, fakehub.PlanSpec{App: "crds", Cluster: cluster, Revision: "r1", YAML: y,
		Options: &pb.PlanOptions{CreateNamespace: true, ApplyOutOfSyncOnly: true, DefaultNamespace: target}})
	e.hub.Assign(p, 1)
	first := e.succeeded("crds", p, time.Minute)
	// The hub learns the kinds the cluster serves: all of them in the
	// Hello, and the new Widget once the run created its CRD.
	e.hub.Read(func(v fakehub.View) {
		if hs := v.Hellos(); len(hs) == 0 || !servesKind(hs[0].GetKinds(), "", "ConfigMap", true) || !servesKind(hs[0].GetKinds(), "rbac.authorization.k8s.io", "ClusterRole", false) {
			t.Errorf("Hello without the cluster's kinds: %v", hs)
		}
	})
	e.hub.Wait(t, "a DiscoveryReport with the new kind", 30*time.Second, func(v fakehub.View) bool {
		for _, d := range v.Discoveries() {
			if servesKind(d.GetKinds(), e.ns+".flotilla.dev", "Widget", true) {
				return true
			}
		}
		return false
	})
	widget := schema.GroupVersionResource{Group: e.ns + ".flotilla.dev", Version: "v1", Resource: "widgets"}
	w, err := e.dyn.Resource(widget).Namespace(target).Get(context.Background(), "w", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("widget: %v", err)
	}
	ns, err := e.cs.CoreV1().Namespaces().Get(context.Background(), target, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, tracked := ns.Annotations["flotilla.dev/tracking-id"]; tracked {
		t.Error("the CreateNamespace namespace is tracked")
	}

	e.hub.Assign(p, 2)
	var second *pb.SyncProgress
	e.hub.Wait(t, "second run", time.Minute, func(v fakehub.View) bool {
		second = v.Progress("crds")
		return second.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED &&
			second.GetOperation().GetStartedAt().AsTime().After(first.GetOperation().GetFinishedAt().AsTime())
	})
	for _, r := range second.GetResults() {
		if r.GetRef().GetKind() != "Namespace" && !strings.Contains(r.GetMessage(), "ApplyOutOfSyncOnly") {
			t.Errorf("second run: %s %s %q (%s), want skipped as in sync", r.GetRef().GetKind(), r.GetRef().GetName(), r.GetResult(), r.GetMessage())
		}
	}
	again, err := e.dyn.Resource(widget).Namespace(target).Get(context.Background(), "w", metav1.GetOptions{})
	if err != nil || again.GetResourceVersion() != w.GetResourceVersion() {
		t.Errorf("widget rewritten by an ApplyOutOfSyncOnly run: %v", err)
	}
}

func servesKind(kinds []*pb.ServedKind, group, kind string, namespaced bool) bool {
	for _, k := range kinds {
		if k.GetGroup() == group && k.GetKind() == kind {
			return k.GetNamespaced() == namespaced
		}
	}
	return false
}
