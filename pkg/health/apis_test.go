package health

import "testing"

func TestAPIService(t *testing.T) {
	runCases(t, map[string]testCase{
		"v1 available": {"apiservice/v1-available.yaml", Healthy, "Passed: all checks passed"},
		"local":        {"apiservice/local.yaml", Healthy, "Local: Local APIServices are always available"},
		"v1 unavailable": {"apiservice/v1-unavailable.yaml", Progressing,
			"FailedDiscoveryCheck: failing or missing response from https://10.96.0.20:443/apis/metrics.k8s.io/v1beta1: bad status from https://10.96.0.20:443/apis/metrics.k8s.io/v1beta1: 503"},
		"v1 not processed yet": {"apiservice/v1-no-conditions.yaml", Progressing, "Waiting to be processed"},
		"v1beta1 available":    {"apiservice/v1beta1-available.yaml", Healthy, "Passed: all checks passed"},
		"v1beta1 unavailable": {"apiservice/v1beta1-unavailable.yaml", Progressing,
			`ServiceNotFound: service/metrics-server in "kube-system" is not present`},
	})
}

func TestCustomResourceDefinition(t *testing.T) {
	runCases(t, map[string]testCase{
		"established": {"crd/healthy.yaml", Healthy, "CRD is healthy"},
		"names not accepted": {"crd/names-not-accepted.yaml", Degraded,
			`CRD names have not been accepted: "widgets" is already in use`},
		"non-structural schema": {"crd/non-structural.yaml", Degraded,
			"Schema violations found: spec.preserveUnknownFields: Invalid value: true: must be false"},
		"not established": {"crd/not-established.yaml", Degraded, "CRD is not established"},
		"installing":      {"crd/installing.yaml", Progressing, "CRD is being installed"},
		"terminating condition": {"crd/terminating-condition.yaml", Progressing,
			"CRD is terminating: CustomResource deletion is in progress"},
		"no conditions":    {"crd/no-conditions.yaml", Progressing, "Status conditions not found"},
		"empty conditions": {"crd/empty-conditions.yaml", Progressing, "Status conditions not found"},
		"no status":        {"crd/no-status.yaml", Progressing, "Status conditions not found"},
	})
}
