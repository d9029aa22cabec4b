package apply_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

func TestMain(m *testing.M) { localcluster.Main(m) }

func decode(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	objs, err := object.Decode("test.yaml", []byte(y), object.DefaultLimits())
	if err != nil || len(objs) != 1 {
		t.Fatalf("decode: %v (%d objects)", err, len(objs))
	}
	return objs[0]
}

func manager(t *testing.T) (*apply.Manager, string) {
	t.Helper()
	c, ns := localcluster.NewNamespace(t)
	m, err := apply.New(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	return m, ns
}

// A dry-run validates without storing; an apply stores with the flotilla
// field manager; errors name the object and carry the API server's reason.
func TestApplyAndDryRun(t *testing.T) {
	m, ns := manager(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u := decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: "+ns+"}\ndata: {k: v}\n")
	tracked := apply.Track("web", u)
	if _, err := m.Apply(ctx, tracked, apply.ApplyOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if live, err := m.Get(ctx, apply.RefOf(u)); err != nil || live != nil {
		t.Fatalf("after a dry-run: %v, %v; want nothing stored", live, err)
	}
	out, err := m.Apply(ctx, tracked, apply.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if app, ok := apply.TrackedBy(out); !ok || app != "web" {
		t.Fatalf("tracked by %q (%v), want web", app, ok)
	}
	if mf := out.GetManagedFields(); len(mf) != 1 || mf[0].Manager != apply.FieldManager || mf[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Fatalf("managed fields %+v", mf)
	}
	// A copy under another name is not taken for ours.
	moved := out.DeepCopy()
	moved.SetName("copy")
	if _, ok := apply.TrackedBy(moved); ok {
		t.Fatal("a renamed copy counts as tracked")
	}

	bad := decode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: "+ns+"}\nspec: {ports: [{port: 0}]}\n")
	_, err = m.Apply(ctx, bad, apply.ApplyOptions{DryRun: true})
	if err == nil || !strings.Contains(err.Error(), "Service "+ns+"/bad: dry-run apply: ") || !strings.Contains(err.Error(), "spec.ports[0].port") {
		t.Fatalf("error %v: want the object and the server's reason", err)
	}

	if err := m.Delete(ctx, apply.RefOf(u), metav1.DeletePropagationForeground, out.GetUID()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Wait(ctx, apply.RefOf(u), func(l *unstructured.Unstructured) (bool, error) { return l == nil, nil }); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, apply.RefOf(u), metav1.DeletePropagationBackground, ""); err != nil {
		t.Fatalf("deleting what is gone: %v", err)
	}
}

// A kind whose CRD appears after discovery was cached is found without a
// restart.
func TestDiscoveryRefreshedForNewKind(t *testing.T) {
	m, ns := manager(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gvk := schema.GroupVersionKind{Group: "apply.e2e.flotilla.dev", Version: "v1", Kind: "Gadget"}
	if _, known, err := m.Namespaced(ctx, gvk); err != nil || known {
		t.Fatalf("before the CRD: known %v, %v", known, err)
	}
	crd := decode(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.apply.e2e.flotilla.dev}
spec:
  group: apply.e2e.flotilla.dev
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`)
	if _, err := m.Apply(ctx, crd, apply.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Delete(context.Background(), apply.RefOf(crd), metav1.DeletePropagationBackground, ""); err != nil {
			t.Error(err)
		}
	})
	_, err := m.Wait(ctx, apply.RefOf(crd), func(u *unstructured.Unstructured) (bool, error) {
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if c, _ := c.(map[string]any); c["type"] == "Established" && c["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	namespaced, known, err := m.Namespaced(ctx, gvk)
	if err != nil || !known || !namespaced {
		t.Fatalf("after the CRD: namespaced %v known %v, %v", namespaced, known, err)
	}
	cr := decode(t, "apiVersion: apply.e2e.flotilla.dev/v1\nkind: Gadget\nmetadata: {name: g, namespace: "+ns+"}\nspec: {size: 3}\n")
	if _, err := m.Apply(ctx, cr, apply.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	noNS := cr.DeepCopy()
	noNS.SetNamespace("")
	if _, err := m.Apply(ctx, noNS, apply.ApplyOptions{}); !errors.Is(err, apply.ErrNoNamespace) {
		t.Fatalf("namespaced object without namespace: %v", err)
	}
}

func TestPropagation(t *testing.T) {
	for in, want := range map[string]metav1.DeletionPropagation{"": metav1.DeletePropagationForeground, "background": metav1.DeletePropagationBackground,
		"foreground": metav1.DeletePropagationForeground, "orphan": metav1.DeletePropagationOrphan} {
		if got, err := apply.Propagation(in); err != nil || got != want {
			t.Errorf("Propagation(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := apply.Propagation("sideways"); err == nil {
		t.Error("unknown policy accepted")
	}
}
