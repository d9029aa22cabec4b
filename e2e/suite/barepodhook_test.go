package suite

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Argo CD's hook examples use bare Pods (`sleep`, `exit 0`, restartPolicy
// Never): a PreSync Pod with generateName and HookSucceeded, and a named
// PostSync Pod. The sync finishes, the PreSync Pod is deleted once it
// succeeded, the PostSync Pod is left Succeeded.
func TestBarePodHooks(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "podhooks")
	app := uniq("podhooks")
	pod := func(meta map[string]any) string {
		return toYAML(map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": map[string]any{
			"restartPolicy": "Never",
			"containers":    []any{map[string]any{"name": "sleep", "image": "alpine:latest", "command": []any{"sleep", "0"}}},
		}})
	}
	r, _ := e.newRepo(t, map[string]string{"app/all.yaml": docs(
		pod(map[string]any{"generateName": "before-", "annotations": map[string]any{
			"argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/hook-delete-policy": "HookSucceeded"}}),
		pod(map[string]any{"name": "after", "annotations": map[string]any{"argocd.argoproj.io/hook": "PostSync"}}),
		configMapYAML("settings", map[string]string{"k": "v"}, nil),
	)})
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, app)
	for _, c := range e.clusters {
		pods, err := c.kube.CoreV1().Pods(ns).List(ctxT(t), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var after *corev1.Pod
		for i, p := range pods.Items {
			if strings.HasPrefix(p.Name, "before-") && p.DeletionTimestamp == nil {
				t.Errorf("%s: PreSync Pod %s left behind (HookSucceeded): %s", c.Name, p.Name, p.Status.Phase)
			}
			if p.Name == "after" {
				after = &pods.Items[i]
			}
		}
		if after == nil || after.Status.Phase != corev1.PodSucceeded {
			t.Errorf("%s: PostSync Pod after: %v, want Succeeded", c.Name, after)
		}
		if _, ok := c.configMap(t, ns, "settings"); !ok {
			t.Errorf("%s: ConfigMap settings not applied", c.Name)
		}
	}
}
