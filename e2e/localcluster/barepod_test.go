package localcluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

// A bare Pod that does not restart (Argo CD's hook Pods) runs to
// completion as on a real cluster, or fails with the failure label; a bare
// Pod that restarts keeps running.
func TestBarePods(t *testing.T) {
	c, ns := localcluster.NewNamespace(t)
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pod := func(name string, restart corev1.RestartPolicy, fail bool) {
		labels := map[string]string{"app": name}
		if fail {
			labels[localcluster.FailLabel] = "true"
		}
		p := corev1ac.Pod(name, ns).WithLabels(labels).WithSpec(corev1ac.PodSpec().WithRestartPolicy(restart).
			WithContainers(corev1ac.Container().WithName("main").WithImage("example.invalid/hook:1").WithCommand("sh", "-c", "exit 0")))
		if _, err := cs.CoreV1().Pods(ns).Apply(ctx, p, apply); err != nil {
			t.Fatalf("apply pod %s: %v", name, err)
		}
	}
	pod("hook", corev1.RestartPolicyNever, false)
	pod("retry", corev1.RestartPolicyOnFailure, false)
	pod("broken", corev1.RestartPolicyNever, true)
	pod("server", corev1.RestartPolicyAlways, false)
	for name, want := range map[string]corev1.PodPhase{"hook": corev1.PodSucceeded, "retry": corev1.PodSucceeded, "broken": corev1.PodFailed, "server": corev1.PodRunning} {
		waitFor(ctx, t, fmt.Sprintf("pod %s %s", name, want), func(ctx context.Context) (bool, string, error) {
			p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			return p.Status.Phase == want, fmt.Sprintf("phase %s", p.Status.Phase), nil
		})
	}
	// A restarting Pod stays Running: it is not completed later.
	p, err := cs.CoreV1().Pods(ns).Get(ctx, "server", metav1.GetOptions{})
	if err != nil || p.Status.Phase != corev1.PodRunning {
		t.Fatalf("pod server: %v %v, want Running", p.Status.Phase, err)
	}
}
