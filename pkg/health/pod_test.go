package health

import "testing"

func TestPod(t *testing.T) {
	runCases(t, map[string]testCase{
		"running and ready":                 {"pod/running-ready.yaml", Healthy, ""},
		"running, not ready":                {"pod/running-not-ready.yaml", Progressing, ""},
		"running, not ready, has restarted": {"pod/running-not-ready-restarted.yaml", Degraded, ""},
		"crash loop":                        {"pod/crashloop.yaml", Degraded, "back-off 2m40s restarting failed container=app pod=web-0_shop"},
		"image pull back-off while pending": {"pod/imagepullbackoff.yaml", Degraded, `Back-off pulling image "shop/web:1.4"`},
		"failing containers are all listed": {"pod/two-containers-failing.yaml", Degraded, `secret "web-db" not found, manifest unknown`},
		"pending, unschedulable":            {"pod/pending.yaml", Progressing, ""},
		// Like Argo CD, waiting init containers are not inspected.
		"init container crash loop while pending": {"pod/pending-init-crashloop.yaml", Progressing, ""},
		"succeeded":                         {"pod/succeeded.yaml", Healthy, ""},
		"failed with a pod message":         {"pod/failed-evicted.yaml", Degraded, "The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi."},
		"failed init container comes first": {"pod/failed-init-container.yaml", Degraded, `container "migrate" failed with exit code 2`},
		"failed with a termination message": {"pod/failed-termination-message.yaml", Degraded, "panic: database unreachable"},
		"failed, OOM killed":                {"pod/failed-oomkilled.yaml", Degraded, "OOMKilled"},
		"failed without detail":             {"pod/failed-no-detail.yaml", Degraded, ""},
		"unknown phase":                     {"pod/unknown-phase.yaml", Unknown, "node unreachable"},
		"running without restart policy":    {"pod/running-no-restart-policy.yaml", Unknown, ""},

		// Finite pods (hooks) are never Healthy while running and never
		// Degraded by a waiting error.
		"restartPolicy Never, running":          {"pod/running-never.yaml", Progressing, ""},
		"restartPolicy OnFailure, running":      {"pod/running-onfailure.yaml", Progressing, ""},
		"restartPolicy Never, image pull error": {"pod/never-errimagepull.yaml", Progressing, ""},

		// argocd.argoproj.io/ignore-restart-policy: "true"
		"ignore-restart-policy, running":        {"pod/never-ignore-restart-policy.yaml", Healthy, ""},
		"ignore-restart-policy, crash loop":     {"pod/never-ignore-restart-policy-backoff.yaml", Degraded, "back-off 40s restarting failed container=app pod=web-0_shop"},
		"ignore-restart-policy on an Argo hook": {"pod/never-ignore-restart-policy-hook.yaml", Progressing, ""},
		"ignore-restart-policy on a Helm hook":  {"pod/never-ignore-restart-policy-helm-hook.yaml", Progressing, ""},
		"ignore-restart-policy, hook Skip only": {"pod/never-ignore-restart-policy-skip.yaml", Healthy, ""},
	})
}
