package agent_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// editCM changes a ConfigMap's data as `kubectl edit` would (a patch by
// another field manager) and returns the new resourceVersion.
func (e *env) editCM(name, key, value string) int64 {
	e.t.Helper()
	patch, err := json.Marshal(map[string]any{"data": map[string]string{key: value}})
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.dyn.Resource(gvrCM).Namespace(e.ns).Patch(context.Background(), name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: "kubectl-edit"})
	if err != nil {
		e.t.Fatalf("edit %s: %v", name, err)
	}
	return rvOf(out)
}

func rvOf(u *unstructured.Unstructured) int64 {
	var rv int64
	for _, c := range u.GetResourceVersion() {
		rv = rv*10 + int64(c-'0')
	}
	return rv
}

// reverted matches the first event after rv where the ConfigMap's key has
// value again.
func reverted(name, key, value string, after int64) func(event) bool {
	return func(ev event) bool {
		if ev.kind != "ConfigMap" || ev.name != name || ev.rv <= after || ev.typ == watch.Deleted {
			return false
		}
		v, _, _ := unstructured.NestedString(ev.obj.Object, "data", key)
		return v == value
	}
}

// selfHealWithin is the most a heal may take (the issue: within a second).
const selfHealWithin = time.Second

// Self-heal reverts a manual edit and recreates a deleted object within a
// second, records who changed it as an Event, and tells the hub.
func TestSelfHealRevertsEditAndDelete(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM, gvrEvent)
	e.startSpoke()
	p := e.plan("healed", cm("settings", "", "original"), &pb.PlanOptions{SelfHeal: true}, "")
	e.hub.Assign(p, 1)
	e.succeeded("healed", p, time.Minute)

	start := time.Now()
	rv := e.editCM("settings", "v", "edited")
	rec.wait(t, "revert of the edit", 30*time.Second, reverted("settings", "v", "original", rv))
	editHeal := time.Since(start)

	start = time.Now()
	if err := e.dyn.Resource(gvrCM).Namespace(e.ns).Delete(context.Background(), "settings", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	del := rec.wait(t, "deletion", 30*time.Second, deleted("ConfigMap", "settings"))
	rec.wait(t, "recreation", 30*time.Second, func(ev event) bool {
		return ev.typ == watch.Added && ev.name == "settings" && ev.rv > del.rv
	})
	deleteHeal := time.Since(start)
	t.Logf("self-heal latency (API write to reverted object seen by a watch): edit %s, delete %s",
		editHeal.Round(time.Millisecond), deleteHeal.Round(time.Millisecond))
	if editHeal > selfHealWithin || deleteHeal > selfHealWithin {
		t.Errorf("self-heal took %s (edit) and %s (delete), want within %s", editHeal, deleteHeal, selfHealWithin)
	}

	e.hub.Wait(t, "a drift report saying the spoke self-healed", 30*time.Second, func(v fakehub.View) bool {
		for _, d := range v.DriftHistory("healed") {
			if d.GetSelfHealed() {
				return true
			}
		}
		return false
	})
	for _, want := range []string{"self-heal reverted a change by kubectl-edit (Update)", "self-heal reverted a deletion"} {
		rec.wait(t, "Event "+want, 30*time.Second, func(ev event) bool {
			msg, _, _ := unstructured.NestedString(ev.obj.Object, "message")
			reason, _, _ := unstructured.NestedString(ev.obj.Object, "reason")
			return ev.kind == "Event" && reason == "SelfHealed" && strings.HasPrefix(msg, want)
		})
	}
}

// Without self-heal, an edit is reported as drift with a unified diff and
// left in place.
func TestDriftReportedWithoutSelfHeal(t *testing.T) {
	e := setup(t)
	e.startSpoke()
	p := e.plan("drifty", cm("settings", "", "original"), nil, "")
	e.hub.Assign(p, 1)
	e.succeeded("drifty", p, time.Minute)
	e.editCM("settings", "v", "edited")
	var d *pb.DriftReport
	e.hub.Wait(t, "an OutOfSync drift report", 30*time.Second, func(v fakehub.View) bool {
		d = v.Drift("drifty")
		return d.GetSync() == pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC && len(d.GetResources()) == 1
	})
	diff := d.GetResources()[0].GetDiff()
	for _, want := range []string{"--- live/ConfigMap/" + e.ns + "/settings", "-  v: edited", "+  v: original"} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff does not hold %q:\n%s", want, diff)
		}
	}
	if got, _, _ := unstructured.NestedString(e.get(gvrCM, "settings").Object, "data", "v"); got != "edited" {
		t.Errorf("value %q: the edit was reverted without self-heal", got)
	}

	// A manual sync (the hub's SyncCommand) runs the plan again. The
	// edited field now belongs to kubectl-edit: without Force the apply
	// fails on the conflict and says who owns it.
	finished := time.Now()
	e.hub.SyncNow("drifty", p.GetHash())
	var op *pb.Operation
	e.hub.Wait(t, "the manual sync", 30*time.Second, func(v fakehub.View) bool {
		op = v.Progress("drifty").GetOperation()
		return op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_FAILED && op.GetStartedAt().AsTime().After(finished)
	})
	if !strings.Contains(op.GetMessage(), "conflict with \"kubectl-edit\"") {
		t.Errorf("manual sync: %q, want a conflict naming kubectl-edit", op.GetMessage())
	}
	// With Force (sync option Force=true) the plan takes the field back.
	forced := e.plan("drifty", cm("settings", "", "original"), &pb.PlanOptions{ForceConflicts: true}, "")
	e.hub.Assign(forced, 2)
	e.succeeded("drifty", forced, time.Minute)
	e.hub.Wait(t, "Synced after a forced sync", 30*time.Second, func(v fakehub.View) bool {
		return v.Drift("drifty").GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED
	})
	if got, _, _ := unstructured.NestedString(e.get(gvrCM, "settings").Object, "data", "v"); got != "original" {
		t.Errorf("value %q after a forced sync, want original", got)
	}
}
