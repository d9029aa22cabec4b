package health

import (
	"encoding/json"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func pvcHealth(obj *unstructured.Unstructured) (Result, error) {
	var pvc corev1.PersistentVolumeClaim
	if err := toTyped(obj, &pvc, "v1"); err != nil {
		return Result{}, err
	}
	switch pvc.Status.Phase {
	case corev1.ClaimBound:
		return Result{Status: Healthy}, nil
	case corev1.ClaimPending:
		return Result{Status: Progressing}, nil
	case corev1.ClaimLost:
		return Result{Status: Degraded}, nil
	}
	return Result{Status: Unknown}, nil
}

// pdbHealth follows Argo CD's Lua check for policy/PodDisruptionBudget (any
// version): the conditions decide, in order; a False one other than
// InsufficientPods is Degraded, otherwise the last one seen is Healthy.
func pdbHealth(obj *unstructured.Unstructured) (Result, error) {
	conds, err := readConditions(obj)
	if err != nil {
		return Result{}, err
	}
	res := Result{Status: Progressing, Message: "Waiting for status"}
	for _, c := range conds {
		res.Message = "PodDisruptionBudget has " + c.Reason
		if c.Status == "False" && c.Reason != "InsufficientPods" {
			res.Status = Degraded
			return res, nil
		}
		res.Status = Healthy
	}
	return res, nil
}

const hpaConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"

var hpaWaiting = Result{Status: Progressing, Message: "Waiting to Autoscale"}

// hpaHealth: autoscaling/v1 keeps the conditions in an annotation, later
// versions in status.conditions.
func hpaHealth(obj *unstructured.Unstructured) (Result, error) {
	var conds []condition
	switch obj.GroupVersionKind().Version {
	case "v1":
		var hpa autoscalingv1.HorizontalPodAutoscaler
		if err := toTyped(obj, &hpa, "v1"); err != nil {
			return Result{}, err
		}
		raw, ok := hpa.Annotations[hpaConditionsAnnotation]
		if !ok {
			return hpaWaiting, nil
		}
		if err := json.Unmarshal([]byte(raw), &conds); err != nil {
			return Result{}, objectError(obj, fmt.Errorf("parsing annotation %s: %w", hpaConditionsAnnotation, err))
		}
	case "v2":
		var hpa autoscalingv2.HorizontalPodAutoscaler
		if err := toTyped(obj, &hpa, "v2"); err != nil {
			return Result{}, err
		}
		for _, c := range hpa.Status.Conditions {
			conds = append(conds, condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message})
		}
	case "v2beta1", "v2beta2":
		// No longer served by Kubernetes nor assessed by current Argo CD;
		// their conditions have the v2 shape, as older Argo CD read them.
		var err error
		if conds, err = readConditions(obj); err != nil {
			return Result{}, err
		}
	default:
		return Result{}, objectError(obj, fmt.Errorf("unsupported apiVersion %q for HorizontalPodAutoscaler", obj.GetAPIVersion()))
	}
	return hpaFromConditions(conds), nil
}

// hpaFailureReasons are the (type, reason) pairs that make an HPA Degraded.
var hpaFailureReasons = map[[2]string]bool{
	{"AbleToScale", "FailedGetScale"}:                 true,
	{"AbleToScale", "FailedUpdateScale"}:              true,
	{"ScalingActive", "FailedGetResourceMetric"}:      true,
	{"ScalingActive", "FailedGetObjectMetric"}:        true,
	{"ScalingActive", "FailedGetPodsMetric"}:          true,
	{"ScalingActive", "FailedGetExternalMetric"}:      true,
	{"ScalingActive", "FailedComputeMetricsReplicas"}: true,
	{"ScalingActive", "InvalidSelector"}:              true,
}

func hpaFromConditions(conds []condition) Result {
	for _, c := range conds {
		if hpaFailureReasons[[2]string{c.Type, c.Reason}] {
			return Result{Status: Degraded, Message: c.Message}
		}
	}
	for _, c := range conds {
		if (c.Type == "AbleToScale" || c.Type == "ScalingLimited") && c.Status == "True" {
			return Result{Status: Healthy, Message: c.Message}
		}
	}
	return hpaWaiting
}
