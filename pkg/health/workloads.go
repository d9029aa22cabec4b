package health

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The workload checks mirror gitops-engine, which borrows them from
// kubectl's rollout status.

func deploymentHealth(obj *unstructured.Unstructured) (Result, error) {
	var d appsv1.Deployment
	if err := toTyped(obj, &d, "v1"); err != nil {
		return Result{}, err
	}
	if d.Spec.Paused {
		return Result{Status: Suspended, Message: "Deployment is paused"}, nil
	}
	if d.Generation > d.Status.ObservedGeneration {
		return Result{Status: Progressing, Message: "Waiting for rollout to finish: observed deployment generation less than desired generation"}, nil
	}
	st := d.Status
	switch {
	case deploymentProgressDeadlineExceeded(st):
		return Result{Status: Degraded, Message: fmt.Sprintf("Deployment %q exceeded its progress deadline", d.Name)}, nil
	case d.Spec.Replicas != nil && st.UpdatedReplicas < *d.Spec.Replicas:
		return Result{Status: Progressing, Message: fmt.Sprintf("Waiting for rollout to finish: %d out of %d new replicas have been updated...", st.UpdatedReplicas, *d.Spec.Replicas)}, nil
	case st.Replicas > st.UpdatedReplicas:
		return Result{Status: Progressing, Message: fmt.Sprintf("Waiting for rollout to finish: %d old replicas are pending termination...", st.Replicas-st.UpdatedReplicas)}, nil
	case st.AvailableReplicas < st.UpdatedReplicas:
		return Result{Status: Progressing, Message: fmt.Sprintf("Waiting for rollout to finish: %d of %d updated replicas are available...", st.AvailableReplicas, st.UpdatedReplicas)}, nil
	}
	return Result{Status: Healthy}, nil
}

// deploymentProgressDeadlineExceeded reports whether the first Progressing
// condition has reason ProgressDeadlineExceeded (whatever its status, as in
// Argo CD).
func deploymentProgressDeadlineExceeded(st appsv1.DeploymentStatus) bool {
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			return c.Reason == "ProgressDeadlineExceeded"
		}
	}
	return false
}

func statefulSetHealth(obj *unstructured.Unstructured) (Result, error) {
	var s appsv1.StatefulSet
	if err := toTyped(obj, &s, "v1"); err != nil {
		return Result{}, err
	}
	st := s.Status
	if st.ObservedGeneration == 0 || s.Generation > st.ObservedGeneration {
		return Result{Status: Progressing, Message: "Waiting for statefulset spec update to be observed..."}, nil
	}
	if s.Spec.Replicas != nil && st.ReadyReplicas < *s.Spec.Replicas {
		return Result{Status: Progressing, Message: fmt.Sprintf("Waiting for %d pods to be ready...", *s.Spec.Replicas-st.ReadyReplicas)}, nil
	}
	strategy := s.Spec.UpdateStrategy
	if strategy.Type == appsv1.RollingUpdateStatefulSetStrategyType && strategy.RollingUpdate != nil {
		if s.Spec.Replicas != nil && strategy.RollingUpdate.Partition != nil {
			want := *s.Spec.Replicas - *strategy.RollingUpdate.Partition
			if st.UpdatedReplicas < want {
				return Result{Status: Progressing, Message: fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...", st.UpdatedReplicas, want)}, nil
			}
		}
		return Result{Status: Healthy, Message: fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...", st.UpdatedReplicas)}, nil
	}
	if strategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return Result{Status: Healthy, Message: fmt.Sprintf("statefulset has %d ready pods", st.ReadyReplicas)}, nil
	}
	if st.UpdateRevision != st.CurrentRevision {
		return Result{Status: Progressing, Message: fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...", st.UpdatedReplicas, st.UpdateRevision)}, nil
	}
	return Result{Status: Healthy, Message: fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...", st.CurrentReplicas, st.CurrentRevision)}, nil
}

func daemonSetHealth(obj *unstructured.Unstructured) (Result, error) {
	var d appsv1.DaemonSet
	if err := toTyped(obj, &d, "v1"); err != nil {
		return Result{}, err
	}
	st := d.Status
	switch {
	case d.Generation > st.ObservedGeneration:
		return Result{Status: Progressing, Message: "Waiting for rollout to finish: observed daemon set generation less than desired generation"}, nil
	case d.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType:
		return Result{Status: Healthy, Message: fmt.Sprintf("daemon set %d out of %d new pods have been updated", st.UpdatedNumberScheduled, st.DesiredNumberScheduled)}, nil
	case st.UpdatedNumberScheduled < st.DesiredNumberScheduled:
		return Result{Status: Progressing, Message: fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...", d.Name, st.UpdatedNumberScheduled, st.DesiredNumberScheduled)}, nil
	case st.NumberAvailable < st.DesiredNumberScheduled:
		return Result{Status: Progressing, Message: fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...", d.Name, st.NumberAvailable, st.DesiredNumberScheduled)}, nil
	}
	return Result{Status: Healthy}, nil
}

func replicaSetHealth(obj *unstructured.Unstructured) (Result, error) {
	var rs appsv1.ReplicaSet
	if err := toTyped(obj, &rs, "v1"); err != nil {
		return Result{}, err
	}
	if rs.Generation > rs.Status.ObservedGeneration {
		return Result{Status: Progressing, Message: "Waiting for rollout to finish: observed replica set generation less than desired generation"}, nil
	}
	for _, c := range rs.Status.Conditions {
		if c.Type != appsv1.ReplicaSetReplicaFailure {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			return Result{Status: Degraded, Message: c.Message}, nil
		}
		break
	}
	if rs.Spec.Replicas != nil && rs.Status.AvailableReplicas < *rs.Spec.Replicas {
		return Result{Status: Progressing, Message: fmt.Sprintf("Waiting for rollout to finish: %d out of %d new replicas are available...", rs.Status.AvailableReplicas, *rs.Spec.Replicas)}, nil
	}
	return Result{Status: Healthy}, nil
}
