package health

import "testing"

func TestPersistentVolumeClaim(t *testing.T) {
	runCases(t, map[string]testCase{
		"bound":    {"pvc/bound.yaml", Healthy, ""},
		"pending":  {"pvc/pending.yaml", Progressing, ""},
		"lost":     {"pvc/lost.yaml", Degraded, ""},
		"no phase": {"pvc/no-phase.yaml", Unknown, ""},
	})
}

func TestPodDisruptionBudget(t *testing.T) {
	runCases(t, map[string]testCase{
		"sufficient pods": {"pdb/healthy.yaml", Healthy, "PodDisruptionBudget has SufficientPods"},
		// InsufficientPods is a valid steady state (argo-cd#20171).
		"insufficient pods": {"pdb/insufficient-pods.yaml", Healthy, "PodDisruptionBudget has InsufficientPods"},
		"sync failed":       {"pdb/sync-failed.yaml", Degraded, "PodDisruptionBudget has SyncFailed"},
		"no status":         {"pdb/no-status.yaml", Progressing, "Waiting for status"},
		"policy/v1beta1":    {"pdb/v1beta1-healthy.yaml", Healthy, "PodDisruptionBudget has SufficientPods"},
	})
}

func TestHorizontalPodAutoscaler(t *testing.T) {
	runCases(t, map[string]testCase{
		"v1 without conditions annotation": {"hpa/v1-no-annotation.yaml", Progressing, "Waiting to Autoscale"},
		"v1 with no conditions":            {"hpa/v1-empty-conditions.yaml", Progressing, "Waiting to Autoscale"},
		"v1 able to scale":                 {"hpa/v1-healthy.yaml", Healthy, "recommended size matches current size"},
		"v1 limited by min replicas": {"hpa/v1-too-few.yaml", Healthy,
			"the desired replica count is less than the minimum replica count"},
		"v1 metric failure": {"hpa/v1-degraded.yaml", Degraded,
			"the HPA was unable to compute the replica count: failed to get cpu utilization"},
		"v1 backing off":   {"hpa/v1-progressing.yaml", Progressing, "Waiting to Autoscale"},
		"v2 able to scale": {"hpa/v2-healthy.yaml", Healthy, "recommended size matches current size"},
		"v2 no conditions": {"hpa/v2-no-conditions.yaml", Progressing, "Waiting to Autoscale"},
		"v2 external metric failure wins over AbleToScale": {"hpa/v2-failed-external-metric.yaml", Degraded,
			"the HPA was unable to compute the replica count: unable to get external metric shop/queue_depth"},
		"v2 failed to update scale": {"hpa/v2-failed-update-scale.yaml", Degraded,
			`the HPA controller was unable to update the target scale: deployments.apps "web" not found`},
		"v2 scaling disabled":  {"hpa/v2-scaling-disabled.yaml", Progressing, "Waiting to Autoscale"},
		"v2beta2 read like v2": {"hpa/v2beta2-healthy.yaml", Healthy, "recommended size matches current size"},
	})
}
