package health

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func podHealth(obj *unstructured.Unstructured) (Result, error) {
	var pod corev1.Pod
	if err := toTyped(obj, &pod, "v1"); err != nil {
		return Result{}, err
	}
	// A pod with restartPolicy OnFailure or Never is usually a hook: it is
	// only judged like a long-running pod when annotated to be, and never
	// when it actually is a hook.
	longRunning := pod.Spec.RestartPolicy == corev1.RestartPolicyAlways ||
		(pod.Annotations[annotationIgnoreRestart] == "true" && !isHook(obj))
	msg := pod.Status.Message

	if longRunning {
		var degraded bool
		var messages []string
		for _, cs := range pod.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && isWaitingError(w.Reason) {
				degraded = true
				messages = append(messages, w.Message)
			}
		}
		if degraded {
			return Result{Status: Degraded, Message: strings.Join(messages, ", ")}, nil
		}
	}

	switch pod.Status.Phase {
	case corev1.PodPending:
		return Result{Status: Progressing, Message: msg}, nil
	case corev1.PodSucceeded:
		return Result{Status: Healthy, Message: msg}, nil
	case corev1.PodFailed:
		if msg != "" {
			return Result{Status: Degraded, Message: msg}, nil
		}
		all := slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses)
		for i := range all {
			if m := containerFailure(&all[i]); m != "" {
				return Result{Status: Degraded, Message: m}, nil
			}
		}
		return Result{Status: Degraded}, nil
	case corev1.PodRunning:
		switch {
		case longRunning:
			if podReady(&pod) {
				return Result{Status: Healthy, Message: msg}, nil
			}
			for _, cs := range pod.Status.ContainerStatuses {
				if cs.LastTerminationState.Terminated != nil {
					return Result{Status: Degraded, Message: msg}, nil
				}
			}
			return Result{Status: Progressing, Message: msg}, nil
		case pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure || pod.Spec.RestartPolicy == corev1.RestartPolicyNever:
			// Finite pods (typically hooks) are still working while running.
			return Result{Status: Progressing, Message: msg}, nil
		}
	}
	return Result{Status: Unknown, Message: msg}, nil
}

// isWaitingError reports whether a waiting reason is an error such as
// CrashLoopBackOff, ImagePullBackOff, ErrImagePull or CreateContainerConfigError.
func isWaitingError(reason string) bool {
	return strings.HasPrefix(reason, "Err") || strings.HasSuffix(reason, "Error") || strings.HasSuffix(reason, "BackOff")
}

// containerFailure explains why a terminated container failed, or returns "".
func containerFailure(cs *corev1.ContainerStatus) string {
	t := cs.State.Terminated
	switch {
	case t == nil:
		return ""
	case t.Message != "":
		return t.Message
	case t.Reason == "OOMKilled":
		return t.Reason
	case t.ExitCode != 0:
		return fmt.Sprintf("container %q failed with exit code %d", cs.Name, t.ExitCode)
	}
	return ""
}

// podReady reports whether the pod's Ready condition is True.
func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// isHook reports whether obj is an Argo CD or Helm hook, as Argo CD decides:
// an Argo CD hook annotation makes it a hook unless its only hook type is
// Skip; otherwise a helm.sh/hook annotation other than crd-install does.
func isHook(obj *unstructured.Unstructured) bool {
	ann := obj.GetAnnotations()
	if v, ok := ann[annotationHook]; ok {
		var types []string
		for t := range strings.SplitSeq(v, ",") {
			t = strings.TrimSpace(t)
			switch t {
			case "PreSync", "Sync", "PostSync", "SyncFail", "Skip":
				if !slices.Contains(types, t) {
					types = append(types, t)
				}
			}
		}
		return !(len(types) == 1 && types[0] == "Skip")
	}
	v, ok := ann[annotationHelmHook]
	return ok && v != "crd-install"
}
