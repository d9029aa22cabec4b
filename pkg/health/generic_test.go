package health

import "testing"

func TestGenericFallback(t *testing.T) {
	runCases(t, map[string]testCase{
		"no status at all":            {"generic/configmap.yaml", Healthy, ""},
		"built-in kind without check": {"generic/namespace.yaml", Healthy, ""},
		"Ready True":                  {"generic/ready-true.yaml", Healthy, "Certificate is up to date and has not expired"},
		"Ready False":                 {"generic/ready-false.yaml", Degraded, "Issuing certificate as Secret does not exist"},
		"Ready False, reason only":    {"generic/ready-false-no-message.yaml", Degraded, "BackendUnreachable"},
		"Ready Unknown":               {"generic/ready-unknown.yaml", Progressing, "building artifact"},
		"generation not observed": {"generic/generation-behind.yaml", Progressing,
			"Kustomization generation is 3, but latest observed generation is 2"},
		"observed generation ahead":          {"generic/generation-ahead.yaml", Healthy, ""},
		"observed generation, no generation": {"generic/observed-without-generation.yaml", Healthy, ""},
		"Reconciling True wins over Ready False": {"generic/reconciling.yaml", Progressing,
			"Detecting drift for revision main@sha1:1a2b3c with a timeout of 5m0s"},
		"Stalled True": {"generic/stalled.yaml", Degraded,
			"kustomize build failed: accumulating resources: missing.yaml not found"},
		"Stalled False is ignored":     {"generic/stalled-false.yaml", Healthy, ""},
		"Available True":               {"generic/available-true.yaml", Healthy, "all gateway replicas are available"},
		"Available False":              {"generic/available-false.yaml", Degraded, "no gateway replica is available"},
		"Ready decides over Available": {"generic/ready-over-available.yaml", Healthy, "serving through the fallback"},
		"only unrelated conditions":    {"generic/other-conditions.yaml", Healthy, ""},
		"malformed fields are ignored": {"generic/malformed-conditions.yaml", Healthy, ""},
		"conditions not a list":        {"generic/conditions-not-a-list.yaml", Healthy, ""},
	})
}

func TestArgoWorkflow(t *testing.T) {
	runCases(t, map[string]testCase{
		"running":       {"workflow/running.yaml", Progressing, "step 2 of 3 running"},
		"no status":     {"workflow/no-status.yaml", Progressing, ""},
		"succeeded":     {"workflow/succeeded.yaml", Healthy, ""},
		"failed":        {"workflow/failed.yaml", Degraded, "child 'build-x7k2p-12345' failed"},
		"error":         {"workflow/error.yaml", Degraded, "pod deleted"},
		"unknown phase": {"workflow/unknown-phase.yaml", Unknown, ""},
	})
}
