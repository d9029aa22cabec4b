package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/health"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

func cm(name, wave string, data ...string) string {
	ann := ""
	if wave != "" {
		ann = fmt.Sprintf("\n  annotations:\n    argocd.argoproj.io/sync-wave: %q", wave)
	}
	v := "x"
	if len(data) > 0 {
		v = data[0]
	}
	return fmt.Sprintf("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s%s\ndata:\n  v: %q\n", name, ann, v)
}

func deployment(name, wave string, replicas int) string {
	return fmt.Sprintf(`---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  annotations:
    argocd.argoproj.io/sync-wave: %[2]q
spec:
  replicas: %[3]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers: [{name: main, image: example.invalid/%[1]s:1}]
`, name, wave, replicas)
}

// deploymentHealthy matches the event where the Deployment became healthy
// by pkg/health (observedGeneration current, replicas available).
func deploymentHealthy(name string) func(event) bool {
	return func(ev event) bool {
		if ev.kind != "Deployment" || ev.name != name {
			return false
		}
		h, err := health.Compute(ev.obj)
		return err == nil && h.Status == health.Healthy
	}
}

// Waves run in order, each gated on the health of the previous one:
// checked from the API server's own resourceVersions, not from the spoke.
func TestWavesAppliedInOrder(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM, gvrDeploy, gvrSvc)
	e.startSpoke()
	svc := "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n  annotations: {argocd.argoproj.io/sync-wave: \"2\"}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
	p := e.plan("web", cm("early", "-1")+cm("a", "0")+cm("b", "0")+deployment("web", "1", 2)+cm("late", "2")+svc, nil, "")
	start := time.Now()
	e.hub.Assign(p, 1)
	pr := e.succeeded("web", p, time.Minute)
	t.Logf("sync of 6 objects in 4 waves (a 2-replica Deployment gating wave 2): %s", time.Since(start).Round(time.Millisecond))

	early := rec.mustFirst(t, "creation of early", added("ConfigMap", "early"))
	a := rec.mustFirst(t, "creation of a", added("ConfigMap", "a"))
	b := rec.mustFirst(t, "creation of b", added("ConfigMap", "b"))
	web := rec.mustFirst(t, "creation of web", added("Deployment", "web"))
	webHealthy := rec.mustFirst(t, "healthy web", deploymentHealthy("web"))
	late := rec.mustFirst(t, "creation of late", added("ConfigMap", "late"))
	svcRV := rec.mustFirst(t, "creation of svc", added("Service", "svc"))
	if !(early < a && early < b && max(a, b) < web && web < webHealthy && webHealthy < min(late, svcRV)) {
		t.Fatalf("order by resourceVersion: early %d, a %d, b %d, web created %d, web healthy %d, late %d, svc %d",
			early, a, b, web, webHealthy, late, svcRV)
	}

	for _, r := range pr.GetResults() {
		if r.GetResult() != "created" {
			t.Errorf("result of %s: %q, want created", r.GetRef().GetName(), r.GetResult())
		}
	}
	for _, obj := range []*unstructured.Unstructured{e.get(gvrCM, "a"), e.get(gvrDeploy, "web"), e.get(gvrSvc, "svc")} {
		want := "web:" + obj.GroupVersionKind().Group + "/" + obj.GetKind() + ":" + e.ns + "/" + obj.GetName()
		if got := obj.GetAnnotations()[apply.AnnotationTracking]; got != want {
			t.Errorf("%s tracking id %q, want %q", obj.GetName(), got, want)
		}
		managers := []string{}
		for _, mf := range obj.GetManagedFields() {
			managers = append(managers, mf.Manager+"/"+string(mf.Operation))
		}
		if !strings.Contains(strings.Join(managers, ","), apply.FieldManager+"/Apply") {
			t.Errorf("%s managed by %v, want %s (Apply)", obj.GetName(), managers, apply.FieldManager)
		}
	}
	e.hub.Wait(t, "healthy, synced status", 30*time.Second, func(v fakehub.View) bool {
		h, d := v.Health("web"), v.Drift("web")
		return h.GetHealth() == pb.Health_HEALTH_HEALTHY && len(h.GetResources()) == 6 && d.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED
	})

	// The same plan at a higher generation runs again; nothing changes.
	e.hub.Assign(p, 2)
	e.hub.Wait(t, "second run", time.Minute, func(v fakehub.View) bool {
		hist := v.ProgressHistory("web")
		last := hist[len(hist)-1]
		return len(hist) > len(pr.GetResults()) && last.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED &&
			last.GetOperation().GetStartedAt().AsTime().After(pr.GetOperation().GetFinishedAt().AsTime())
	})
	e.hub.Read(func(v fakehub.View) {
		for _, r := range v.Progress("web").GetResults() {
			if r.GetResult() != "unchanged" {
				t.Errorf("rerun: %s %q, want unchanged", r.GetRef().GetName(), r.GetResult())
			}
		}
	})
}

// A LoadBalancer Service no controller serves stays Progressing. As the
// last step of a sync it does not hold the sync (Argo CD: the sync is done
// once the last wave is applied; health is reported on its own); as an
// earlier wave it holds the next one until the wave timeout.
func TestLastWaveIsNotAwaited(t *testing.T) {
	e := setup(t)
	e.startSpoke()
	lb := func(name, wave string) string {
		return "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  annotations: {argocd.argoproj.io/sync-wave: \"" + wave + "\"}\n" +
			"spec:\n  type: LoadBalancer\n  selector: {app: web}\n  ports: [{port: 80}]\n"
	}
	last := e.plan("last", lb("lb", "0")+cm("before", "-1"), nil, "")
	e.hub.Assign(last, 1)
	e.succeeded("last", last, 30*time.Second)
	e.hub.Wait(t, "the Service reported Progressing", 30*time.Second, func(v fakehub.View) bool {
		return v.Health("last").GetHealth() == pb.Health_HEALTH_PROGRESSING
	})

	gated := e.plan("gated", lb("lb2", "0")+cm("after", "1"), &pb.PlanOptions{WaveTimeoutSeconds: 2}, "")
	e.hub.Assign(gated, 1)
	pr := e.finished("gated", gated, 30*time.Second)
	if pr.GetOperation().GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED || !strings.Contains(pr.GetOperation().GetMessage(), "Service "+e.ns+"/lb2: still Progressing after the wave timed out (2s): waiting for the load balancer's address") {
		t.Errorf("a wave after a Service that never gets an address: %v %q, want Failed on the wave timeout",
			pr.GetOperation().GetPhase(), pr.GetOperation().GetMessage())
	}
	if e.exists(gvrCM, "after") {
		t.Error("the wave after the unhealthy Service was applied")
	}
}

// A Job with ttlSecondsAfterFinished (ingress-nginx's admission Jobs) is
// deleted by the TTL controller once it finishes: that is neither a
// failure of its wave nor drift, and self-heal does not run it again.
func TestJobCollectedAfterTTL(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrJob)
	e.startSpoke()
	ttlJob := `---
apiVersion: batch/v1
kind: Job
metadata: {name: certgen}
spec:
  ttlSecondsAfterFinished: 0
  template:
    metadata: {labels: {app: certgen}}
    spec:
      restartPolicy: OnFailure
      containers: [{name: main, image: example.invalid/certgen:1}]
`
	p := e.plan("ttl", ttlJob+cm("after", "1"), &pb.PlanOptions{SelfHeal: true}, "")
	e.hub.Assign(p, 1)
	e.succeeded("ttl", p, time.Minute)
	rec.wait(t, "the TTL controller deleting the Job", 30*time.Second, deleted("Job", "certgen"))
	if !e.exists(gvrCM, "after") {
		t.Error("the wave after the Job was not applied")
	}
	e.hub.Wait(t, "Synced and Healthy with the Job gone", 30*time.Second, func(v fakehub.View) bool {
		h, d := v.Health("ttl"), v.Drift("ttl")
		return h.GetHealth() == pb.Health_HEALTH_HEALTHY && d.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED && len(h.GetResources()) == 2
	})
	time.Sleep(2 * time.Second) // self-heal would act within milliseconds
	if n := rec.count(added("Job", "certgen")); n != 1 {
		t.Errorf("the Job was created %d times, want once (no self-heal of a collected Job)", n)
	}
}
