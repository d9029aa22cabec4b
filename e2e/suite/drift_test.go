package suite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// editAndDelete changes data.mode of ConfigMap edit (a field the spoke
// manages, with an update as `kubectl edit` does) and deletes ConfigMap
// gone, on cluster c. It returns gone's UID.
func editAndDelete(t *testing.T, c *cluster, ns, edit, gone string) string {
	t.Helper()
	cm, ok := c.configMap(t, ns, edit)
	if !ok {
		t.Fatalf("%s: ConfigMap %s missing", c.Name, edit)
	}
	cm.Data["mode"] = "edited-by-hand"
	if _, err := c.kube.CoreV1().ConfigMaps(ns).Update(ctxT(t), cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatalf("%s: edit ConfigMap %s: %v", c.Name, edit, err)
	}
	old, ok := c.configMap(t, ns, gone)
	if !ok {
		t.Fatalf("%s: ConfigMap %s missing", c.Name, gone)
	}
	if err := c.kube.CoreV1().ConfigMaps(ns).Delete(ctxT(t), gone, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("%s: delete ConfigMap %s: %v", c.Name, gone, err)
	}
	return string(old.UID)
}

// Scenario 4: with selfHeal, an edit of a managed field and a deletion are
// reverted; without it, they show as drift (OutOfSync, `app diff` exit 1)
// and stay until the next sync.
func TestSelfHealAndDrift(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "drift")
	git := map[string]string{"mode": "from-git"}
	r, _ := e.newRepo(t, map[string]string{
		"heal/cms.yaml":  docs(configMapYAML("heal-edit", git, nil), configMapYAML("heal-gone", git, nil)),
		"drift/cms.yaml": docs(configMapYAML("drift-edit", git, nil), configMapYAML("drift-gone", git, nil)),
		// stringData: the API server stores it as data, which is no drift.
		"drift/secret.yaml": toYAML(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db"},
			"stringData": map[string]any{"password": "hunter2"}}),
	})
	healing, drifting := uniq("heal"), uniq("drift")
	e.createApp(t, healing, "--repo", r.url, "--path", "heal", "--dest-selector", clusterLabel, "--dest-namespace", ns,
		"--auto-sync", "--self-heal")
	e.createApp(t, drifting, "--repo", r.url, "--path", "drift", "--dest-selector", clusterLabel, "--dest-namespace", ns,
		"--auto-sync")
	e.appWait(t, healing)
	e.appWait(t, drifting)

	for _, c := range e.clusters {
		uid := editAndDelete(t, c, ns, "heal-edit", "heal-gone")
		eventually(t, 30*time.Second, c.Name+": edit and deletion self-healed", func() (bool, string) {
			edited, ok1 := c.configMap(t, ns, "heal-edit")
			gone, ok2 := c.configMap(t, ns, "heal-gone")
			if !ok1 || !ok2 {
				return false, fmt.Sprintf("heal-edit exists %v, heal-gone exists %v", ok1, ok2)
			}
			return edited.Data["mode"] == "from-git" && string(gone.UID) != uid,
				fmt.Sprintf("heal-edit mode %q, heal-gone uid %s (deleted %s)", edited.Data["mode"], gone.UID, uid)
		})
	}
	e.appWait(t, healing)

	// Without selfHeal: drift on c1 only.
	c1 := e.clusters[0]
	editAndDelete(t, c1, ns, "drift-edit", "drift-gone")
	sec, err := c1.kube.CoreV1().Secrets(ns).Get(ctxT(t), "db", metav1.GetOptions{})
	if err != nil || string(sec.Data["password"]) != "hunter2" {
		t.Fatalf("c1: Secret db: %v %v", sec, err)
	}
	sec.Data["password"] = []byte("changed-by-hand")
	if _, err := c1.kube.CoreV1().Secrets(ns).Update(ctxT(t), sec, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "drift reported on c1", func() (bool, string) {
		v := e.appGet(t, drifting)
		t1, _ := v.target("c1")
		t2, _ := v.target("c2")
		edit, _ := t1.resource("ConfigMap", "drift-edit")
		gone, _ := t1.resource("ConfigMap", "drift-gone")
		secret, _ := t1.resource("Secret", "db")
		return t1.Sync == "OutOfSync" && edit.Sync == "OutOfSync" && gone.Sync == "OutOfSync" && secret.Sync == "OutOfSync" && t2.Sync == "Synced", v.String()
	})
	d := e.flotilla(t, "app", "diff", drifting, "--color", "never")
	if d.code != 1 {
		t.Errorf("app diff with drift: want exit 1\n%s", d)
	}
	for _, want := range []string{"===== c1: ConfigMap " + ns + "/drift-edit", "edited-by-hand", "from-git", "===== c1: ConfigMap " + ns + "/drift-gone"} {
		if !strings.Contains(d.stdout, want) {
			t.Errorf("app diff output lacks %q:\n%s", want, d.stdout)
		}
	}
	// The Secret's change shows, its values never do.
	if !strings.Contains(d.stdout, "===== c1: Secret "+ns+"/db") || !strings.Contains(d.stdout, "password: +++") {
		t.Errorf("app diff lacks the Secret's masked change:\n%s", d.stdout)
	}
	for _, v := range []string{"hunter2", "changed-by-hand", "aHVudGVyMg", "Y2hhbmdlZC1ieS1oYW5k"} {
		if strings.Contains(d.stdout, v) {
			t.Errorf("app diff shows a Secret value (%s):\n%s", v, d.stdout)
		}
	}
	if strings.Contains(d.stdout, "===== c2") {
		t.Errorf("app diff shows drift on c2, which was not touched:\n%s", d.stdout)
	}
	// Not healed: the edit and the deletion are still there.
	if cm, _ := c1.configMap(t, ns, "drift-edit"); cm == nil || cm.Data["mode"] != "edited-by-hand" {
		t.Errorf("c1: drift-edit reverted without selfHeal: %v", cm)
	}
	if _, err := c1.kube.CoreV1().ConfigMaps(ns).Get(ctxT(t), "drift-gone", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("c1: drift-gone recreated without selfHeal (err %v)", err)
	}

}

// A sync takes back the fields Git sets, also after a hand edit by another
// field manager (Argo CD: client-side apply overwrites, its server-side
// apply forces conflicts): with selfHeal off, the next revision must still
// roll out, and a manual sync must still repair drift.
func TestSyncTakesBackHandEditedFields(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "takeback")
	app := uniq("takeback")
	files := func(version string) map[string]string {
		return map[string]string{"app/cm.yaml": configMapYAML("settings", map[string]string{"mode": "from-git", "version": version}, nil)}
	}
	r, _ := e.newRepo(t, files("v1"))
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, app)
	c1 := e.clusters[0]
	cm, ok := c1.configMap(t, ns, "settings")
	if !ok {
		t.Fatal("c1: ConfigMap settings missing")
	}
	cm.Data["mode"] = "edited-by-hand"
	if _, err := c1.kube.CoreV1().ConfigMaps(ns).Update(ctxT(t), cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	second := r.commit(t, "v2", files("v2"))
	r.webhook(t)
	e.waitRevision(t, app, second)
	for _, c := range e.clusters {
		if cm, ok := c.configMap(t, ns, "settings"); !ok || cm.Data["mode"] != "from-git" || cm.Data["version"] != "v2" {
			t.Errorf("%s: ConfigMap settings %v after the sync of v2, want mode from-git, version v2", c.Name, cm.Data)
		}
	}
}
