package localcluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// pollInterval is how often start-up conditions are checked. Every wait
// is bounded by the context's deadline.
const pollInterval = 50 * time.Millisecond

// poll calls check until it reports done, returns an error, ctx ends or a
// cluster process exits. what names the condition in errors; the last
// check error is included to say why it was not met.
func (c *Cluster) poll(ctx context.Context, what string, check func(context.Context) (bool, error)) error {
	var last error
	for {
		if err := c.exited(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		done, err := check(ctx)
		if done && err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// waitAPIServer waits for GET /readyz to answer "ok".
func (c *Cluster) waitAPIServer(ctx context.Context, cs kubernetes.Interface) error {
	return c.poll(ctx, "kube-apiserver /readyz", func(ctx context.Context) (bool, error) {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Raw()
		if err != nil {
			return false, err
		}
		return string(body) == "ok", nil
	})
}

// bootstrap creates the fake Nodes and waits until the cluster can run
// workloads: Nodes Ready and untainted (kwok), the default ServiceAccount
// (controller-manager).
func (c *Cluster) bootstrap(ctx context.Context, cs kubernetes.Interface, nodes int) error {
	for i := range nodes {
		if err := createNode(ctx, cs, fmt.Sprintf("kwok-node-%d", i)); err != nil {
			return err
		}
	}
	err := c.poll(ctx, "fake nodes Ready", func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		ready := 0
		for _, n := range list.Items {
			if nodeReady(&n) && len(n.Spec.Taints) == 0 {
				ready++
			}
		}
		if ready < nodes {
			return false, fmt.Errorf("%d of %d nodes ready and untainted", ready, nodes)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	return waitServiceAccount(ctx, c, cs, metav1.NamespaceDefault)
}

// waitServiceAccount waits for the controller-manager to create the
// default ServiceAccount of ns: without it Pods are rejected.
func waitServiceAccount(ctx context.Context, c *Cluster, cs kubernetes.Interface, ns string) error {
	return c.poll(ctx, "ServiceAccount "+ns+"/default", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
}

func createNode(ctx context.Context, cs kubernetes.Interface, name string) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{FakeNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	_, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create node %s: %w", name, err)
	}
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}
