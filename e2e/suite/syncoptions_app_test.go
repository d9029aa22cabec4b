package suite

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Validate=false and ClientSideApplyMigration=false set on the
// application act on every object, as the same options in an object's
// annotation do: a replaced object with a field its kind does not have is
// written, the field dropped, and fields kubectl's client-side apply owns
// stay its own.
func TestAppWideValidateAndMigrationOff(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "appopts")
	for _, c := range e.clusters {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept", Namespace: ns}, Data: map[string]string{"a": "1", "old": "2"}}
		if _, err := c.kube.CoreV1().ConfigMaps(ns).Create(ctxT(t), cm, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"}); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	app := uniq("appopts")
	r, _ := e.newRepo(t, map[string]string{
		// Neither object says Validate=false or ClientSideApplyMigration=false.
		"app/loose.yaml": configMapYAML("loose", map[string]string{"k": "v"}, map[string]string{annSyncOptions: "Replace=true"}) + "bogusField: 1\n",
		"app/kept.yaml":  configMapYAML("kept", map[string]string{"a": "1"}, nil),
	})
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync",
		"--sync-option", "Validate=false", "--sync-option", "ClientSideApplyMigration=false")
	e.waitPhase(t, app, "Succeeded")
	for _, c := range e.clusters {
		if cm, ok := c.configMap(t, ns, "loose"); !ok || cm.Data["k"] != "v" {
			t.Errorf("%s: ConfigMap loose (application Validate=false): %v", c.Name, cm)
		}
		k, ok := c.configMap(t, ns, "kept")
		if !ok {
			t.Fatalf("%s: ConfigMap kept is gone", c.Name)
		}
		if k.Data["old"] != "2" || !managedBy(k, "kubectl-client-side-apply") {
			t.Errorf("%s: kept (application ClientSideApplyMigration=false): data %v, managers %s; want old kept, owned by kubectl",
				c.Name, k.Data, managers(k))
		}
	}
}
