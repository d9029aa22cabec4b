package health

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func TestJob(t *testing.T) {
	runCases(t, map[string]testCase{
		"running":   {"job/running.yaml", Progressing, ""},
		"complete":  {"job/complete.yaml", Healthy, "Reached expected number of succeeded pods"},
		"failed":    {"job/failed.yaml", Degraded, "Job has reached the specified backoff limit"},
		"suspended": {"job/suspended.yaml", Suspended, "Job suspended"},
		// Argo CD quirk kept on purpose: any Suspended condition, even
		// False after a resume, ends the Progressing phase.
		"resumed and running": {"job/resumed.yaml", Healthy, "Job resumed"},
	})
}

func TestCronJob(t *testing.T) {
	runCases(t, map[string]testCase{
		"last run succeeded": {"cronjob/healthy.yaml", Healthy, "CronJob has completed its last execution successfully"},
		"never scheduled":    {"cronjob/never-scheduled.yaml", Healthy, "CronJob has not been scheduled yet"},
		"no status":          {"cronjob/no-status.yaml", Progressing, "Waiting for CronJob"},
		"last run failed":    {"cronjob/failed-last-run.yaml", Degraded, "CronJob has not completed its last execution successfully"},
		"never succeeded":    {"cronjob/never-succeeded.yaml", Healthy, "The CronJob never completed successfully. It may not be healthy"},
		"job running":        {"cronjob/running.yaml", Healthy, "The job is running. Its last execution may not have been successful"},
		// Current Argo CD reports Healthy, not Suspended (argo-cd#24428).
		"suspended": {"cronjob/suspended.yaml", Healthy, "CronJob is Suspended"},
	})
}

func TestCollectedWhenFinished(t *testing.T) {
	job := func(y string) *unstructured.Unstructured {
		t.Helper()
		var u unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
			t.Fatal(err)
		}
		return &u
	}
	for y, want := range map[string]bool{
		"apiVersion: batch/v1\nkind: Job\nspec: {ttlSecondsAfterFinished: 0}":       true,
		"apiVersion: batch/v1\nkind: Job\nspec: {ttlSecondsAfterFinished: 300}":     true,
		"apiVersion: batch/v1\nkind: Job\nspec: {backoffLimit: 1}":                  false,
		"apiVersion: example.com/v1\nkind: Job\nspec: {ttlSecondsAfterFinished: 0}": false,
	} {
		if got := CollectedWhenFinished(job(y)); got != want {
			t.Errorf("%s: %v, want %v", y, got, want)
		}
	}
	if CollectedWhenFinished(nil) {
		t.Error("nil")
	}
}
