package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Argo CD's spec.source.kustomize: every override given to `app create`
// reaches each cluster, with cluster references expanded per cluster.
func TestKustomizeOverrides(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "kov")
	r, _ := e.newRepo(t, map[string]string{
		"app/kustomization.yaml": "resources: [deploy.yaml, settings.yaml]\nnamePrefix: git-\n",
		"app/deploy.yaml":        deploymentYAML("web", 1, nil),
		"app/settings.yaml":      configMapYAML("settings", map[string]string{"color": "blue"}, nil),
		"patches/settings.yaml":  configMapYAML("settings", map[string]string{"color": "red"}, nil),
	})
	patches := filepath.Join(t.TempDir(), "patches.yaml")
	err := os.WriteFile(patches, []byte(`- path: ../patches/settings.yaml
- target: {group: apps, kind: Deployment, name: web}
  patch: |
    - {op: add, path: /metadata/annotations/patched, value: "{{cluster.name}}"}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	app := uniq("kov")
	// No --dest-namespace: the objects are in ns only through the override.
	e.createApp(t, app, "--repo", r.url, "--revision", "main", "--path", "app", "--dest-selector", clusterLabel, "--auto-sync",
		"--nameprefix", "{{cluster.name}}-", "--namesuffix", "-v2", "--kustomize-namespace", ns,
		"--kustomize-image", "example.invalid/web=example.invalid/other:2", "--kustomize-replica", "web=2",
		"--kustomize-common-label", "team=blue", "--kustomize-common-annotation", "owner={{cluster.name}}",
		"--kustomize-patches", patches)
	e.appWait(t, app)

	for _, c := range e.clusters {
		name := c.Name + "-web-v2" // the override replaces the kustomization's namePrefix, as kustomize edit does
		d, err := c.kube.AppsV1().Deployments(ns).Get(ctxT(t), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: Deployment %s/%s: %v", c.Name, ns, name, err)
		}
		img := d.Spec.Template.Spec.Containers[0].Image
		switch {
		case img != "example.invalid/other:2":
			t.Errorf("%s: image %s, want example.invalid/other:2", c.Name, img)
		case d.Spec.Replicas == nil || *d.Spec.Replicas != 2 || d.Status.AvailableReplicas != 2:
			t.Errorf("%s: replicas %v (available %d), want 2", c.Name, d.Spec.Replicas, d.Status.AvailableReplicas)
		case d.Labels["team"] != "blue" || d.Spec.Selector.MatchLabels["team"] != "blue" || d.Spec.Template.Labels["team"] != "blue":
			t.Errorf("%s: common label team=blue missing: labels %v selector %v", c.Name, d.Labels, d.Spec.Selector.MatchLabels)
		case d.Annotations["owner"] != c.Name:
			t.Errorf("%s: common annotation owner=%s missing: %v", c.Name, c.Name, d.Annotations)
		case d.Annotations["patched"] != c.Name:
			t.Errorf("%s: inline patch not applied: annotations %v", c.Name, d.Annotations)
		}
		cm, ok := c.configMap(t, ns, c.Name+"-settings-v2")
		if !ok {
			t.Fatalf("%s: ConfigMap %s-settings-v2 missing", c.Name, c.Name)
		}
		if cm.Data["color"] != "red" || cm.Labels["team"] != "blue" {
			t.Errorf("%s: ConfigMap: data %v labels %v, want color red from the patch file and label team=blue", c.Name, cm.Data, cm.Labels)
		}
	}
}

// Overrides that could never render are refused when the application is
// created, naming the field; so are overrides of a non-Kustomize source.
func TestKustomizeOverridesRefused(t *testing.T) {
	e := suite(t)
	base := []string{"--repo", "http://git.invalid/x.git", "--path", "app", "--dest-selector", clusterLabel}
	for what, args := range map[string][]string{
		"source.kustomize.images[1]":                                      {"--kustomize-image", "nginx:1", "--kustomize-image", "nginx"},
		"source.kustomize.replicas[0].count -1":                           {"--kustomize-replica", "web=-1"},
		"source.kustomize.commonLabels[bad key]":                          {"--kustomize-common-label", "bad key=x"},
		"source.kustomize.namespace":                                      {"--kustomize-namespace", "Not_A_Namespace"},
		"source.kustomize: the overrides apply to Kustomize sources only": {"--kind", "Helm", "--nameprefix", "p-"},
	} {
		r := e.flotilla(t, append(append([]string{"app", "create", uniq("bad")}, base...), args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, what) {
			t.Errorf("%v: %s; want a refusal naming %s", args, r, what)
		}
	}
}
