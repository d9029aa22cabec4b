package agent_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// pvc stays Pending (Progressing) until a PersistentVolume is made for it:
// a wave gate the test opens when it wants.
func pvc(name, wave string) string {
	return fmt.Sprintf(`---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: %s
  annotations: {argocd.argoproj.io/sync-wave: %q}
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`, name, wave)
}

// openGate binds the claim by creating a PersistentVolume for it.
func (e *env) openGate(claim string) {
	e.t.Helper()
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "gate-"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/" + e.ns}},
			ClaimRef:               &corev1.ObjectReference{Namespace: e.ns, Name: claim},
			StorageClassName:       "",
		},
	}
	created, err := e.cs.CoreV1().PersistentVolumes().Create(context.Background(), pv, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if err := e.cs.CoreV1().PersistentVolumes().Delete(context.Background(), created.Name, metav1.DeleteOptions{}); err != nil {
			e.t.Logf("delete PV %s: %v", created.Name, err)
		}
	})
}

// A spoke killed (SIGKILL) in the middle of a wave resumes at that wave
// after a restart: hooks that already succeeded (a PreSync hook, and a
// hook of the interrupted wave) are not run again.
func TestResumeAfterKillMidWave(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM, gvrJob, gvrPVC)
	p := e.plan("resumed", job("", "pre-", "PreSync", "", "", false)+cm("w0", "0")+pvc("gate", "1")+
		job("", "mid-", "Sync", "", "1", false)+cm("w2", "2"), nil, "")
	e.hub.Assign(p, 1)
	spoke := e.spokeProcess()

	// Wait until the spoke is inside wave 1 (step 3 of 4) with the mid-
	// hook done and recorded: only the gate is left.
	e.hub.Wait(t, "the mid hook done while wave 1 waits for the gate", time.Minute, func(v fakehub.View) bool {
		pr := v.Progress("resumed")
		if pr.GetOperation().GetStep() != 2 || pr.GetOperation().GetPhase() != pb.OperationPhase_OPERATION_PHASE_RUNNING {
			return false
		}
		for _, r := range pr.GetResults() {
			if strings.HasPrefix(r.GetRef().GetName(), "mid-") && r.GetResult() == "succeeded" {
				return true
			}
		}
		return false
	})
	if err := spoke.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := spoke.Wait(); err == nil {
		t.Fatal("the spoke exited cleanly after SIGKILL")
	}
	if e.exists(gvrCM, "w2") {
		t.Fatal("wave 2 applied before the gate opened")
	}
	e.openGate("gate")
	e.spokeProcess()
	pr := e.succeeded("resumed", p, time.Minute)

	for _, prefix := range []string{"pre-", "mid-"} {
		if n := rec.count(addedPrefix("Job", prefix)); n != 1 {
			t.Errorf("%d %s* Jobs created, want 1: a hook that succeeded ran again", n, prefix)
		}
	}
	again := 0
	for _, r := range pr.GetResults() {
		if strings.Contains(r.GetMessage(), "not run again") {
			again++
		}
	}
	if again != 1 { // the resumed process ran wave 1 and 2 only: mid is reported, pre was before
		t.Errorf("results after resume %v: want the mid hook reported as not run again", pr.GetResults())
	}
	if !e.exists(gvrCM, "w2") {
		t.Fatal("wave 2 not applied after resume")
	}
}
