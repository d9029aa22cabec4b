package agent_test

import (
	"strings"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Objects dropped from Git are pruned last-wave-first (the reverse of how
// they were created), waiting for each wave to be gone; Prune=false objects
// are kept.
func TestPruneInReverseWaveOrder(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM)
	e.startSpoke()
	keep := strings.Replace(cm("keep", "0"), "argocd.argoproj.io/sync-wave: \"0\"", "argocd.argoproj.io/sync-wave: \"0\"\n    argocd.argoproj.io/sync-options: Prune=false", 1)
	first := cm("base", "-1") + cm("p0", "0") + cm("p1", "1") + cm("p2", "2") + keep
	opts := &pb.PlanOptions{Prune: true, PrunePropagationPolicy: "foreground"}
	p1 := e.plan("pruned", first, opts, "")
	e.hub.Assign(p1, 1)
	e.succeeded("pruned", p1, time.Minute)

	// The hub's inventory (with the annotations that decide pruning) is
	// the previous plan's objects.
	p2 := e.plan("pruned", cm("base", "-1")+cm("other", "0"), opts, first)
	e.hub.Assign(p2, 2)
	pr := e.succeeded("pruned", p2, time.Minute)

	d2 := rec.mustFirst(t, "deletion of p2", deleted("ConfigMap", "p2"))
	d1 := rec.mustFirst(t, "deletion of p1", deleted("ConfigMap", "p1"))
	d0 := rec.mustFirst(t, "deletion of p0", deleted("ConfigMap", "p0"))
	if !(d2 < d1 && d1 < d0) {
		t.Fatalf("deletions by resourceVersion: p2 %d, p1 %d, p0 %d; want p2 < p1 < p0", d2, d1, d0)
	}
	if !e.exists(gvrCM, "keep") || !e.exists(gvrCM, "other") {
		t.Fatalf("keep (Prune=false) or other missing")
	}
	if _, ok := rec.first(deleted("ConfigMap", "keep")); ok {
		t.Fatal("the Prune=false ConfigMap was deleted")
	}
	for _, r := range pr.GetResults() {
		if r.GetRef().GetName() == "keep" && !strings.Contains(r.GetMessage(), "Prune=false") {
			t.Errorf("keep: %v", r)
		}
	}

	// Removing the target with prune deletes what is left of it, last
	// applied first (other, keep, base), but still not the Prune=false
	// object: once base, the first applied, is gone, keep was passed over.
	e.hub.Remove("pruned", true)
	rec.wait(t, "deletion of other", 30*time.Second, deleted("ConfigMap", "other"))
	rec.wait(t, "deletion of base", 30*time.Second, deleted("ConfigMap", "base"))
	if !e.exists(gvrCM, "keep") {
		t.Fatal("target removal deleted the Prune=false ConfigMap")
	}
}

// An object marked Delete=false (Argo CD) outlives its application: the
// target removed with prune deletes the rest and leaves it.
func TestDeleteFalseOutlivesTheApplication(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM)
	e.startSpoke()
	stays := "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stays\n  annotations: {argocd.argoproj.io/sync-options: Delete=false}\n"
	p := e.plan("leaving", stays+cm("goes", ""), nil, "")
	e.hub.Assign(p, 1)
	e.succeeded("leaving", p, 30*time.Second)
	e.hub.Remove("leaving", true)
	rec.wait(t, "deletion of goes", 30*time.Second, deleted("ConfigMap", "goes"))
	if _, ok := rec.first(deleted("ConfigMap", "stays")); ok || !e.exists(gvrCM, "stays") {
		t.Fatal("the Delete=false ConfigMap was deleted with its application")
	}
}
