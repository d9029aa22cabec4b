package suite

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// replicasOwner returns the field managers of a Deployment's spec.replicas.
func replicasOwner(d *appsv1.Deployment) []string {
	var out []string
	for _, mf := range d.ManagedFields {
		var fields struct {
			Spec map[string]any `json:"f:spec"`
		}
		if mf.FieldsV1 == nil || json.Unmarshal(mf.FieldsV1.Raw, &fields) != nil {
			continue
		}
		if _, ok := fields.Spec["f:replicas"]; ok {
			out = append(out, mf.Manager+"/"+string(mf.Operation))
		}
	}
	return out
}

// Scenario 5: ignoreDifferences on Deployment spec.replicas while another
// field manager scales it with server-side apply: the scale is not
// reverted (not by self-heal of another field, not by a sync with
// RespectIgnoreDifferences) and the application stays Synced.
func TestIgnoreReplicasScaledByAnotherManager(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "ignore")
	app := uniq("ignore")
	r, _ := e.newRepo(t, map[string]string{
		"app/web.yaml": deploymentYAML("web", 1, map[string]string{"team": "from-git"}),
	})
	rules := filepath.Join(t.TempDir(), "ignore.yaml")
	if err := os.WriteFile(rules, []byte("- group: apps\n  kind: Deployment\n  jsonPointers:\n  - /spec/replicas\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns,
		"--auto-sync", "--self-heal", "--sync-option", "RespectIgnoreDifferences=true", "--ignore-differences", rules)
	e.appWait(t, app)

	scale := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}}`)
	force := true
	for _, c := range e.clusters {
		deps := c.kube.AppsV1().Deployments(ns)
		if _, err := deps.Patch(ctxT(t), "web", types.ApplyPatchType, scale, metav1.PatchOptions{FieldManager: "e2e-autoscaler", Force: &force}); err != nil {
			t.Fatalf("%s: scale with server-side apply: %v", c.Name, err)
		}
		eventually(t, 30*time.Second, c.Name+": scaled to 3 available replicas", func() (bool, string) {
			d, err := deps.Get(ctxT(t), "web", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return *d.Spec.Replicas == 3 && d.Status.AvailableReplicas == 3, fmt.Sprintf("replicas %d, available %d", *d.Spec.Replicas, d.Status.AvailableReplicas)
		})
		// Drift in a field that is not ignored makes self-heal apply the
		// Deployment again: that apply must leave replicas alone.
		d, err := deps.Get(ctxT(t), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.Annotations["team"] = "edited-by-hand"
		if _, err := deps.Update(ctxT(t), d, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatalf("%s: edit annotation: %v", c.Name, err)
		}
		eventually(t, 30*time.Second, c.Name+": annotation self-healed", func() (bool, string) {
			d, err := deps.Get(ctxT(t), "web", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return d.Annotations["team"] == "from-git", fmt.Sprintf("annotation team=%q replicas %d", d.Annotations["team"], *d.Spec.Replicas)
		})
	}
	check := func(when string) {
		t.Helper()
		for _, c := range e.clusters {
			d, err := c.kube.AppsV1().Deployments(ns).Get(ctxT(t), "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *d.Spec.Replicas != 3 {
				t.Errorf("%s %s: replicas %d, want 3 (the other manager's; spec.replicas is ignored); managers of replicas: %v",
					c.Name, when, *d.Spec.Replicas, replicasOwner(d))
			}
		}
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			if tv.Sync != "Synced" {
				t.Errorf("%s %s: sync %s, want Synced (replicas differ only where ignored)\n%s", tv.Cluster, when, tv.Sync, v)
			}
		}
	}
	e.appWait(t, app)
	check("after self-heal of another field")

	e.must(t, "app", "sync", app)
	e.appWait(t, app)
	check("after a sync with RespectIgnoreDifferences=true")
}
