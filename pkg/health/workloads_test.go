package health

import "testing"

func TestDeployment(t *testing.T) {
	runCases(t, map[string]testCase{
		"healthy":     {"deployment/healthy.yaml", Healthy, ""},
		"scaled to 0": {"deployment/scaled-to-zero.yaml", Healthy, ""},
		"observed gen ahead of generation": {
			"deployment/observed-ahead.yaml", Healthy, ""},
		"paused wins over an unfinished rollout": {
			"deployment/paused.yaml", Suspended, "Deployment is paused"},
		"generation not observed": {"deployment/generation-not-observed.yaml", Progressing,
			"Waiting for rollout to finish: observed deployment generation less than desired generation"},
		"no status yet": {"deployment/no-status.yaml", Progressing,
			"Waiting for rollout to finish: observed deployment generation less than desired generation"},
		"progress deadline exceeded": {"deployment/progress-deadline-exceeded.yaml", Degraded,
			`Deployment "web" exceeded its progress deadline`},
		"replicas being updated": {"deployment/updating-replicas.yaml", Progressing,
			"Waiting for rollout to finish: 1 out of 3 new replicas have been updated..."},
		"old replicas terminating": {"deployment/old-replicas-terminating.yaml", Progressing,
			"Waiting for rollout to finish: 1 old replicas are pending termination..."},
		"updated replicas not available": {"deployment/updated-not-available.yaml", Progressing,
			"Waiting for rollout to finish: 2 of 3 updated replicas are available..."},
	})
}

func TestStatefulSet(t *testing.T) {
	runCases(t, map[string]testCase{
		"healthy (partition 0, the API default)": {"statefulset/healthy.yaml", Healthy,
			"partitioned roll out complete: 3 new pods have been updated..."},
		"generation not observed": {"statefulset/not-observed.yaml", Progressing,
			"Waiting for statefulset spec update to be observed..."},
		"observed generation zero": {"statefulset/observed-generation-zero.yaml", Progressing,
			"Waiting for statefulset spec update to be observed..."},
		"pods not ready": {"statefulset/pods-not-ready.yaml", Progressing, "Waiting for 2 pods to be ready..."},
		"partitioned rollout in progress": {"statefulset/partition-progressing.yaml", Progressing,
			"Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated..."},
		"partitioned rollout complete": {"statefulset/partition-complete.yaml", Healthy,
			"partitioned roll out complete: 3 new pods have been updated..."},
		"rolling update pending": {"statefulset/rolling-update-pending.yaml", Progressing,
			"waiting for statefulset rolling update to complete 1 pods at revision db-84c7d6f9b..."},
		"rolling update complete": {"statefulset/rolling-update-complete.yaml", Healthy,
			"statefulset rolling update complete 3 pods at revision db-84c7d6f9b..."},
		"OnDelete ignores revisions": {"statefulset/ondelete.yaml", Healthy, "statefulset has 3 ready pods"},
	})
}

func TestDaemonSet(t *testing.T) {
	runCases(t, map[string]testCase{
		"healthy": {"daemonset/healthy.yaml", Healthy, ""},
		"generation not observed": {"daemonset/not-observed.yaml", Progressing,
			"Waiting for rollout to finish: observed daemon set generation less than desired generation"},
		"pods being updated": {"daemonset/updating.yaml", Progressing,
			`Waiting for daemon set "node-agent" rollout to finish: 1 out of 3 new pods have been updated...`},
		"updated pods not available": {"daemonset/updated-not-available.yaml", Progressing,
			`Waiting for daemon set "node-agent" rollout to finish: 2 of 3 updated pods are available...`},
		"OnDelete is healthy while pods are old": {"daemonset/ondelete.yaml", Healthy,
			"daemon set 1 out of 3 new pods have been updated"},
	})
}

func TestReplicaSet(t *testing.T) {
	runCases(t, map[string]testCase{
		"healthy": {"replicaset/healthy.yaml", Healthy, ""},
		"generation not observed": {"replicaset/not-observed.yaml", Progressing,
			"Waiting for rollout to finish: observed replica set generation less than desired generation"},
		"replicas unavailable": {"replicaset/unavailable.yaml", Progressing,
			"Waiting for rollout to finish: 1 out of 3 new replicas are available..."},
		"replica failure": {"replicaset/replica-failure.yaml", Degraded,
			`pods "web-5d8f7c9b6-x2k9p" is forbidden: exceeded quota: compute, requested: cpu=500m, used: cpu=2, limited: cpu=2`},
		"replica failure resolved": {"replicaset/replica-failure-resolved.yaml", Healthy, ""},
	})
}
