package localcluster_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

// Two clusters side by side are independent: each has its own server, its
// own nodes and its own objects, and each runs workloads.
func TestTwoClustersSideBySide(t *testing.T) {
	clusters := localcluster.StartForTest(t, 2)
	a, b := clusters[0], clusters[1]
	if a.Server == b.Server || a.Kubeconfig == b.Kubeconfig {
		t.Fatalf("clusters share an endpoint: %s %s / %s %s", a.Server, a.Kubeconfig, b.Server, b.Kubeconfig)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	csA, err := a.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	csB, err := b.Clientset()
	if err != nil {
		t.Fatal(err)
	}

	nsA := a.NewNamespace(t)
	if _, err := csA.CoreV1().ConfigMaps(nsA).Apply(ctx,
		corev1ac.ConfigMap("only-in-a", nsA).WithData(map[string]string{"k": "v"}), apply); err != nil {
		t.Fatalf("apply in %s: %v", a.Name, err)
	}
	if _, err := csB.CoreV1().Namespaces().Get(ctx, nsA, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace %s of %s visible in %s: %v", nsA, a.Name, b.Name, err)
	}

	for _, c := range clusters {
		cs, err := c.Clientset()
		if err != nil {
			t.Fatal(err)
		}
		ns := c.NewNamespace(t)
		if _, err := cs.BatchV1().Jobs(ns).Apply(ctx, job(ns, "hello", false), apply); err != nil {
			t.Fatalf("%s: apply job: %v", c.Name, err)
		}
		waitJob(ctx, t, cs, ns, "hello", "Complete")
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("%s: list nodes: %v", c.Name, err)
		}
		for _, n := range nodes.Items {
			if n.Annotations[localcluster.FakeNodeAnnotation] != "fake" || len(n.Spec.Taints) != 0 {
				t.Errorf("%s: node %s: annotations %v taints %v", c.Name, n.Name, n.Annotations, n.Spec.Taints)
			}
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status != corev1.ConditionTrue {
					t.Errorf("%s: node %s not Ready", c.Name, n.Name)
				}
			}
		}
	}
}
