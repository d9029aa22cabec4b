package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// job is a hook Job; fail makes its pod fail (kwok chaos label).
func job(name, generateName, hook, policy, wave string, fail bool) string {
	meta := "name: " + name
	if generateName != "" {
		meta = "generateName: " + generateName
	}
	ann := fmt.Sprintf("argocd.argoproj.io/hook: %s", hook)
	if policy != "" {
		ann += "\n    argocd.argoproj.io/hook-delete-policy: " + policy
	}
	if wave != "" {
		ann += fmt.Sprintf("\n    argocd.argoproj.io/sync-wave: %q", wave)
	}
	labels := "{app: hook}"
	if fail {
		labels = fmt.Sprintf("{app: hook, %s: \"true\"}", localcluster.FailLabel)
	}
	return fmt.Sprintf(`---
apiVersion: batch/v1
kind: Job
metadata:
  %s
  annotations:
    %s
spec:
  backoffLimit: 0
  template:
    metadata: {labels: %s}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: example.invalid/hook:1}]
`, meta, ann, labels)
}

func jobDone(name, cond string) func(event) bool {
	return func(ev event) bool {
		if ev.kind != "Job" || (ev.name != name && !(strings.HasSuffix(name, "-") && strings.HasPrefix(ev.name, name))) {
			return false
		}
		conds, _, _ := unstructured.NestedSlice(ev.obj.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == cond && m["status"] == "True" {
				return true
			}
		}
		return false
	}
}

func addedPrefix(kind, prefix string) func(event) bool {
	return func(ev event) bool {
		return ev.typ == watch.Added && ev.kind == kind && strings.HasPrefix(ev.name, prefix)
	}
}

// A PreSync Job completes before the Sync wave is applied, and a PostSync
// Job (generateName, HookSucceeded) starts only after it and is deleted
// once it succeeded. Running the plan again replaces the PreSync Job
// (BeforeHookCreation, the default).
func TestPreSyncAndPostSyncHooks(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM, gvrJob)
	e.startSpoke()
	p := e.plan("hooks", job("migrate", "", "PreSync", "", "", false)+cm("cfg", "")+job("", "smoke-", "PostSync", "HookSucceeded", "", false), nil, "")
	e.hub.Assign(p, 1)
	pr := e.succeeded("hooks", p, time.Minute)

	migrated := rec.mustFirst(t, "migrate Complete", jobDone("migrate", "Complete"))
	cfg := rec.mustFirst(t, "creation of cfg", added("ConfigMap", "cfg"))
	smoke := rec.mustFirst(t, "creation of smoke-*", addedPrefix("Job", "smoke-"))
	if !(migrated < cfg && cfg < smoke) {
		t.Fatalf("order by resourceVersion: migrate complete %d, cfg created %d, smoke created %d", migrated, cfg, smoke)
	}
	var smokeName string
	for _, r := range pr.GetResults() {
		if strings.HasPrefix(r.GetRef().GetName(), "smoke-") {
			smokeName = r.GetRef().GetName()
			if r.GetResult() != "succeeded" || r.GetAction() != pb.ActionType_ACTION_TYPE_HOOK {
				t.Errorf("smoke result %v", r)
			}
		}
	}
	rec.wait(t, "deletion of "+smokeName+" (HookSucceeded)", 30*time.Second, deleted("Job", smokeName))
	first := e.get(gvrJob, "migrate").GetUID()

	e.hub.Assign(p, 2)
	e.hub.Wait(t, "second run", time.Minute, func(v fakehub.View) bool {
		last := v.Progress("hooks")
		return last.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED &&
			last.GetOperation().GetStartedAt().AsTime().After(pr.GetOperation().GetFinishedAt().AsTime())
	})
	if second := e.get(gvrJob, "migrate").GetUID(); second == first {
		t.Fatalf("PreSync Job not recreated on the second run (uid %s)", first)
	}
	rec.mustFirst(t, "deletion of the first migrate Job", func(ev event) bool {
		return ev.typ == watch.Deleted && ev.name == "migrate" && ev.obj.GetUID() == first
	})
}

// A failing Sync hook fails the sync: the SyncFail hook runs, nothing of
// the later waves is applied, and the error names the Job and why.
func TestSyncFailOnFailingHook(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM, gvrJob)
	e.startSpoke()
	p := e.plan("fails", cm("before", "0")+job("breaks", "", "Sync", "", "1", true)+cm("after", "2")+
		job("cleanup", "", "SyncFail", "", "", false), nil, "")
	e.hub.Assign(p, 1)
	pr := e.finished("fails", p, time.Minute)
	op := pr.GetOperation()
	if op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED {
		t.Fatalf("phase %v (%s), want Failed", op.GetPhase(), op.GetMessage())
	}
	for _, want := range []string{"Sync wave 1", "Job " + e.ns + "/breaks", "hook failed", "BackoffLimitExceeded"} {
		if !strings.Contains(op.GetMessage(), want) {
			t.Errorf("message %q does not say %q", op.GetMessage(), want)
		}
	}
	if e.exists(gvrCM, "after") {
		t.Error("ConfigMap after (wave 2) was applied after the failure")
	}
	if _, ok := rec.first(added("ConfigMap", "after")); ok {
		t.Error("the API server saw ConfigMap after created")
	}
	failed := rec.mustFirst(t, "breaks Failed", jobDone("breaks", "Failed"))
	cleanup := rec.mustFirst(t, "creation of cleanup", added("Job", "cleanup"))
	rec.mustFirst(t, "cleanup Complete", jobDone("cleanup", "Complete"))
	if !(rec.mustFirst(t, "creation of before", added("ConfigMap", "before")) < failed && failed < cleanup) {
		t.Fatalf("SyncFail hook created (%d) before the hook failed (%d)", cleanup, failed)
	}
}

// A manifest the API server refuses fails the sync at the dry-run, before
// anything is applied; the error names the object and the server's reason.
func TestDryRunFailureLeavesClusterUnchanged(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM, gvrSvc, gvrJob)
	e.startSpoke()
	bad := "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: bad\n  annotations: {argocd.argoproj.io/sync-wave: \"1\"}\nspec:\n  ports: [{port: 99999}]\n"
	p := e.plan("invalid", job("pre", "", "PreSync", "", "", false)+cm("good", "0")+bad+cm("late", "2"), nil, "")
	e.hub.Assign(p, 1)
	op := e.finished("invalid", p, time.Minute).GetOperation()
	if op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED {
		t.Fatalf("phase %v, want Failed", op.GetPhase())
	}
	for _, want := range []string{"dry-run failed (nothing applied)", "Service " + e.ns + "/bad", "Invalid value: 99999"} {
		if !strings.Contains(op.GetMessage(), want) {
			t.Errorf("message %q does not say %q", op.GetMessage(), want)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, ev := range rec.events {
		if ev.typ == watch.Added {
			t.Errorf("%s %s created despite the failed dry-run", ev.kind, ev.name)
		}
	}
}
