package executor_test

import (
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A CRD deleted after the spoke discovered it (an application deleted and
// created again) does not wedge the next sync: discovery is refreshed and
// the CRD and its resources are applied anew.
func TestCRDDeletedSinceDiscovery(t *testing.T) {
	c, ns, ex, _, st := newExecutor(t)
	crd := `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.gone.example.com}
spec:
  group: gone.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: gone.example.com/v1
kind: Gadget
metadata: {name: g1}
spec: {size: 1}
`
	opts := &pb.PlanOptions{DefaultNamespace: ns}
	execute(t, ex, st, crd, opts, 1)

	dyn, err := dynamic.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	if err := crds.Delete(t.Context(), "gadgets.gone.example.com", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := crds.Get(t.Context(), "gadgets.gone.example.com", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRD not gone after 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() { _ = crds.Delete(t.Context(), "gadgets.gone.example.com", metav1.DeleteOptions{}) })

	execute(t, ex, st, crd, opts, 2) // fails the test unless Succeeded
	gadgets := dyn.Resource(schema.GroupVersionResource{Group: "gone.example.com", Version: "v1", Resource: "gadgets"}).Namespace(ns)
	if _, err := gadgets.Get(t.Context(), "g1", metav1.GetOptions{}); err != nil {
		t.Errorf("Gadget g1 after the second sync: %v", err)
	}
}
