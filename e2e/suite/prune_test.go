package suite

import (
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scenario 6: objects removed from Git are pruned; one annotated
// argocd.argoproj.io/sync-options: Prune=false is kept.
func TestPruneKeepsPruneFalse(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "prune")
	app := uniq("prune")
	data := map[string]string{"k": "v"}
	r, _ := e.newRepo(t, map[string]string{
		"app/stays.yaml": configMapYAML("stays", data, nil),
		"app/gone.yaml":  docs(configMapYAML("gone", data, nil), deploymentYAML("gone-web", 1, nil)),
		"app/kept.yaml":  configMapYAML("kept", data, map[string]string{annSyncOptions: "Prune=false"}),
	})
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns,
		"--auto-sync", "--prune")
	e.appWait(t, app)
	uids := map[string]string{}
	for _, c := range e.clusters {
		kept, ok := c.configMap(t, ns, "kept")
		if !ok {
			t.Fatalf("%s: ConfigMap kept not applied", c.Name)
		}
		uids[c.Name] = string(kept.UID)
	}

	sha := r.commit(t, "remove gone and kept", map[string]string{"app/gone.yaml": "", "app/kept.yaml": ""})
	r.webhook(t)
	eventually(t, time.Minute, "sync of the removal finished", func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			if tv.Revision != sha || tv.phase() != "Succeeded" {
				return false, v.String()
			}
		}
		return len(v.Targets) == len(e.clusters), v.String()
	})
	for _, c := range e.clusters {
		eventually(t, 30*time.Second, c.Name+": gone and gone-web pruned", func() (bool, string) {
			_, cmErr := c.kube.CoreV1().ConfigMaps(ns).Get(ctxT(t), "gone", metav1.GetOptions{})
			_, depErr := c.kube.AppsV1().Deployments(ns).Get(ctxT(t), "gone-web", metav1.GetOptions{})
			return apierrors.IsNotFound(cmErr) && apierrors.IsNotFound(depErr), fmt.Sprintf("configmap: %v, deployment: %v", cmErr, depErr)
		})
		if kept, ok := c.configMap(t, ns, "kept"); !ok || string(kept.UID) != uids[c.Name] {
			t.Errorf("%s: ConfigMap kept (Prune=false) was pruned or replaced: %v", c.Name, kept)
		}
		if _, ok := c.configMap(t, ns, "stays"); !ok {
			t.Errorf("%s: ConfigMap stays is gone", c.Name)
		}
	}
	eventually(t, 10*time.Second, "pruned objects leave the status", func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			_, cm := tv.resource("ConfigMap", "gone")
			_, dep := tv.resource("Deployment", "gone-web")
			if tv.Health != "Healthy" || cm || dep {
				return false, v.String()
			}
		}
		return true, ""
	})
}
