package health

import "testing"

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
