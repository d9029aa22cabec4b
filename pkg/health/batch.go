package health

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func jobHealth(obj *unstructured.Unstructured) (Result, error) {
	var job batchv1.Job
	if err := toTyped(obj, &job, "v1"); err != nil {
		return Result{}, err
	}
	// As in Argo CD, the presence of a Failed, Complete or Suspended
	// condition ends the Progressing phase whatever the condition's status:
	// a resumed Job (Suspended=False) counts as Healthy.
	var failed, done, suspended bool
	var message, failMessage string
	for _, c := range job.Status.Conditions {
		switch c.Type {
		case batchv1.JobFailed:
			failed, done = true, true
			failMessage = c.Message
		case batchv1.JobComplete:
			done = true
			message = c.Message
		case batchv1.JobSuspended:
			done = true
			message = c.Message
			if c.Status == corev1.ConditionTrue {
				suspended = true
			}
		}
	}
	switch {
	case !done:
		return Result{Status: Progressing, Message: message}, nil
	case failed:
		return Result{Status: Degraded, Message: failMessage}, nil
	case suspended:
		return Result{Status: Suspended, Message: message}, nil
	}
	return Result{Status: Healthy, Message: message}, nil
}

// cronJobHealth follows Argo CD's Lua check for batch/CronJob (any version).
// Argo CD reports a suspended CronJob as Healthy, not Suspended, so that it
// does not suspend the whole application (argo-cd issues 24428 and 19126).
func cronJobHealth(obj *unstructured.Unstructured) (Result, error) {
	if suspend, _, _ := unstructured.NestedBool(obj.Object, "spec", "suspend"); suspend {
		return Result{Status: Healthy, Message: "CronJob is Suspended"}, nil
	}
	status, ok := obj.Object["status"].(map[string]any)
	if !ok {
		return Result{Status: Progressing, Message: "Waiting for CronJob"}, nil
	}
	if status["lastScheduleTime"] == nil {
		// A missed schedule cannot be told from the status.
		return Result{Status: Healthy, Message: "CronJob has not been scheduled yet"}, nil
	}
	if status["lastSuccessfulTime"] == nil {
		return Result{Status: Healthy, Message: "The CronJob never completed successfully. It may not be healthy"}, nil
	}
	if active, _ := status["active"].([]any); len(active) > 0 {
		return Result{Status: Healthy, Message: "The job is running. Its last execution may not have been successful"}, nil
	}
	// RFC 3339 times in UTC compare as strings, which is what the Lua does.
	lastSchedule, _ := status["lastScheduleTime"].(string)
	lastSuccess, _ := status["lastSuccessfulTime"].(string)
	if lastSuccess < lastSchedule {
		return Result{Status: Degraded, Message: "CronJob has not completed its last execution successfully"}, nil
	}
	return Result{Status: Healthy, Message: "CronJob has completed its last execution successfully"}, nil
}

// CollectedWhenFinished reports whether obj is a Job the TTL controller
// deletes once it finishes (spec.ttlSecondsAfterFinished is set): such a
// Job being gone after it was created means it finished, not drift
// (ingress-nginx's admission Jobs use ttlSecondsAfterFinished: 0).
func CollectedWhenFinished(obj *unstructured.Unstructured) bool {
	if obj == nil || obj.GetKind() != "Job" || obj.GroupVersionKind().Group != "batch" {
		return false
	}
	_, set, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "ttlSecondsAfterFinished")
	return set
}

// Collected is the health of a Job CollectedWhenFinished removed.
var Collected = Result{Status: Healthy, Message: "finished and deleted after ttlSecondsAfterFinished"}
