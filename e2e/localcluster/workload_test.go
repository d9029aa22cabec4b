package localcluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

const fieldManager = "flotilla-e2e"

var apply = metav1.ApplyOptions{FieldManager: fieldManager, Force: true}

// The cluster behaves as a real one for what Flotilla relies on: server-side
// apply, Deployments becoming Available, Jobs Completing, and workloads
// failing on purpose through localcluster.FailLabel.
func TestWorkloads(t *testing.T) {
	c, ns := localcluster.NewNamespace(t)
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	cm, err := cs.CoreV1().ConfigMaps(ns).Apply(ctx,
		corev1ac.ConfigMap("settings", ns).WithData(map[string]string{"mode": "blue"}), apply)
	if err != nil {
		t.Fatalf("apply configmap: %v", err)
	}
	if cm.Data["mode"] != "blue" || len(cm.ManagedFields) == 0 || cm.ManagedFields[0].Manager != fieldManager {
		t.Fatalf("configmap after apply: data %v, managed fields %v", cm.Data, cm.ManagedFields)
	}

	t.Run("deployment becomes Available", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := cs.AppsV1().Deployments(ns).Apply(ctx, deployment(ns, "web", 3, false), apply); err != nil {
			t.Fatalf("apply deployment: %v", err)
		}
		waitFor(ctx, t, "deployment web Available", func(ctx context.Context) (bool, string, error) {
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			ok := d.Status.ObservedGeneration == d.Generation && d.Status.AvailableReplicas == 3 &&
				deploymentCondition(d, appsv1.DeploymentAvailable) == corev1.ConditionTrue
			return ok, fmt.Sprintf("status %+v", d.Status), nil
		})
	})

	t.Run("job Completes", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := cs.BatchV1().Jobs(ns).Apply(ctx, job(ns, "migrate", false), apply); err != nil {
			t.Fatalf("apply job: %v", err)
		}
		waitJob(ctx, t, cs, ns, "migrate", batchv1.JobComplete)
	})

	t.Run("failing job becomes Failed", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := cs.BatchV1().Jobs(ns).Apply(ctx, job(ns, "broken", true), apply); err != nil {
			t.Fatalf("apply job: %v", err)
		}
		waitJob(ctx, t, cs, ns, "broken", batchv1.JobFailed)
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=broken"})
		if err != nil || len(pods.Items) != 1 {
			t.Fatalf("pods of job broken: %v (%v)", pods, err)
		}
		pod := pods.Items[0]
		if pod.Status.Phase != corev1.PodFailed || len(pod.Status.ContainerStatuses) != 1 ||
			pod.Status.ContainerStatuses[0].State.Terminated == nil ||
			pod.Status.ContainerStatuses[0].State.Terminated.ExitCode != 1 {
			t.Errorf("pod %s: want Failed with exit code 1, got %+v", pod.Name, pod.Status)
		}
	})

	t.Run("failing deployment exceeds its progress deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := cs.AppsV1().Deployments(ns).Apply(ctx, deployment(ns, "crashing", 1, true), apply); err != nil {
			t.Fatalf("apply deployment: %v", err)
		}
		waitFor(ctx, t, "deployment crashing ProgressDeadlineExceeded", func(ctx context.Context) (bool, string, error) {
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, "crashing", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			for _, cond := range d.Status.Conditions {
				if cond.Type == appsv1.DeploymentProgressing && cond.Reason == "ProgressDeadlineExceeded" {
					return d.Status.AvailableReplicas == 0, fmt.Sprintf("status %+v", d.Status), nil
				}
			}
			return false, fmt.Sprintf("status %+v", d.Status), nil
		})
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=crashing"})
		if err != nil || len(pods.Items) != 1 {
			t.Fatalf("pods of deployment crashing: %v (%v)", pods, err)
		}
		pod := pods.Items[0]
		st := pod.Status.ContainerStatuses
		if pod.Status.Phase != corev1.PodRunning || len(st) != 1 || st[0].Ready ||
			st[0].State.Waiting == nil || st[0].State.Waiting.Reason != "CrashLoopBackOff" || st[0].RestartCount == 0 {
			t.Errorf("pod %s: want Running in CrashLoopBackOff, got %+v", pod.Name, pod.Status)
		}
	})

	t.Run("delete", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		bg := metav1.DeletePropagationForeground
		del := metav1.DeleteOptions{PropagationPolicy: &bg}
		for _, name := range []string{"web", "crashing"} {
			if err := cs.AppsV1().Deployments(ns).Delete(ctx, name, del); err != nil {
				t.Fatalf("delete deployment %s: %v", name, err)
			}
		}
		for _, name := range []string{"migrate", "broken"} {
			if err := cs.BatchV1().Jobs(ns).Delete(ctx, name, del); err != nil {
				t.Fatalf("delete job %s: %v", name, err)
			}
		}
		if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, "settings", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete configmap: %v", err)
		}
		// Foreground deletion: the owners go only after the garbage
		// collector removed their pods, which kwok then lets go.
		waitFor(ctx, t, "everything deleted", func(ctx context.Context) (bool, string, error) {
			deps, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, "", err
			}
			jobs, err := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, "", err
			}
			pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, "", err
			}
			_, err = cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
			left := fmt.Sprintf("%d deployments, %d jobs, %d pods, configmap: %v",
				len(deps.Items), len(jobs.Items), len(pods.Items), err)
			return len(deps.Items)+len(jobs.Items)+len(pods.Items) == 0 && apierrors.IsNotFound(err), left, nil
		})
	})
}

func deployment(ns, name string, replicas int32, fail bool) *appsv1ac.DeploymentApplyConfiguration {
	d := appsv1ac.Deployment(name, ns).WithSpec(appsv1ac.DeploymentSpec().
		WithReplicas(replicas).
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": name})).
		WithTemplate(podTemplate(name, fail)))
	if fail {
		d.Spec.WithProgressDeadlineSeconds(3)
	}
	return d
}

func job(ns, name string, fail bool) *batchv1ac.JobApplyConfiguration {
	tmpl := podTemplate(name, fail)
	tmpl.Spec.WithRestartPolicy(corev1.RestartPolicyNever)
	return batchv1ac.Job(name, ns).WithSpec(batchv1ac.JobSpec().WithBackoffLimit(0).WithTemplate(tmpl))
}

func podTemplate(name string, fail bool) *corev1ac.PodTemplateSpecApplyConfiguration {
	labels := map[string]string{"app": name}
	if fail {
		labels[localcluster.FailLabel] = "true"
	}
	return corev1ac.PodTemplateSpec().
		WithLabels(labels).
		WithSpec(corev1ac.PodSpec().WithContainers(
			corev1ac.Container().WithName("main").WithImage("example.invalid/" + name + ":1")))
}

func deploymentCondition(d *appsv1.Deployment, typ appsv1.DeploymentConditionType) corev1.ConditionStatus {
	for _, c := range d.Status.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

func waitJob(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns, name string, want batchv1.JobConditionType) {
	t.Helper()
	waitFor(ctx, t, fmt.Sprintf("job %s %s", name, want), func(ctx context.Context) (bool, string, error) {
		j, err := cs.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		for _, c := range j.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			if c.Type == want {
				return true, "", nil
			}
			if c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed {
				t.Fatalf("job %s: %s, want %s: %+v", name, c.Type, want, j.Status)
			}
		}
		return false, fmt.Sprintf("status %+v", j.Status), nil
	})
}

// waitFor polls check until it is true, failing the test when ctx ends with
// the last state check described.
func waitFor(ctx context.Context, t *testing.T, what string, check func(context.Context) (bool, string, error)) {
	t.Helper()
	start := time.Now()
	var last string
	for {
		ok, state, err := check(ctx)
		if err != nil {
			last = err.Error()
		} else {
			last = state
		}
		if ok && err == nil {
			t.Logf("%s after %s", what, time.Since(start).Round(time.Millisecond))
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not reached: %v; last: %s", what, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
