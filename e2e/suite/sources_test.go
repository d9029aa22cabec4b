package suite

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scenario 2: a Kustomize application with an overlay per cluster and a
// Helm application with a values file per cluster ({{cluster.name}}); each
// cluster gets its own.
func TestKustomizeAndHelmPerCluster(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "sources")
	overlay := func(color string) string {
		return `resources:
- ../../base
labels:
- pairs:
    overlay: ` + color + `
patches:
- patch: |-
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
    data:
      color: ` + color + "\n"
	}
	r, _ := e.newRepo(t, map[string]string{
		"kust/base/kustomization.yaml":        "resources:\n- settings.yaml\n",
		"kust/base/settings.yaml":             configMapYAML("settings", map[string]string{"color": "base", "shape": "round"}, nil),
		"kust/overlays/c1/kustomization.yaml": overlay("red"),
		"kust/overlays/c2/kustomization.yaml": overlay("blue"),

		"chart/Chart.yaml":     "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"chart/values.yaml":    "color: default\nreplicas: 1\n",
		"chart/values-c1.yaml": "color: green\n",
		"chart/values-c2.yaml": "color: yellow\nreplicas: 2\n",
		"chart/templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-values
data:
  color: {{ .Values.color | quote }}
`,
		"chart/templates/pre.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-pre
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: example.invalid/pre:1
`,
		"chart/templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Release.Name }}-web}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}-web}
    spec:
      containers:
      - name: main
        image: example.invalid/web:1
`,
	})
	kust, helm := uniq("kust"), uniq("helm")
	e.createApp(t, kust, "--repo", r.url, "--revision", "main", "--path", "kust/overlays/{{cluster.name}}",
		"--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.createApp(t, helm, "--repo", r.url, "--revision", "main", "--path", "chart", "--values", "values-{{cluster.name}}.yaml",
		"--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, kust)
	e.appWait(t, helm)

	want := map[string]struct {
		overlay, chartColor string
		replicas            int32
	}{"c1": {"red", "green", 1}, "c2": {"blue", "yellow", 2}}
	for _, c := range e.clusters {
		w := want[c.Name]
		cm, ok := c.configMap(t, ns, "settings")
		if !ok {
			t.Fatalf("%s: Kustomize ConfigMap settings missing", c.Name)
		}
		if cm.Data["color"] != w.overlay || cm.Data["shape"] != "round" || cm.Labels["overlay"] != w.overlay {
			t.Errorf("%s: Kustomize overlay: data %v labels %v, want color %s from its overlay, shape from the base",
				c.Name, cm.Data, cm.Labels, w.overlay)
		}
		hv, ok := c.configMap(t, ns, helm+"-values")
		if !ok {
			t.Fatalf("%s: Helm ConfigMap %s-values missing", c.Name, helm)
		}
		if hv.Data["color"] != w.chartColor {
			t.Errorf("%s: Helm values: color %q, want %q from values-%s.yaml", c.Name, hv.Data["color"], w.chartColor, c.Name)
		}
		if j, err := c.kube.BatchV1().Jobs(ns).Get(ctxT(t), helm+"-pre", metav1.GetOptions{}); err != nil {
			t.Errorf("%s: Helm pre-install hook (a PreSync hook) not run: %v", c.Name, err)
		} else if j.Status.Succeeded != 1 {
			t.Errorf("%s: Helm pre-install hook (a PreSync hook) not finished: %+v", c.Name, j.Status)
		}
		d, err := c.kube.AppsV1().Deployments(ns).Get(ctxT(t), helm+"-web", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: Helm Deployment: %v", c.Name, err)
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != w.replicas || d.Status.AvailableReplicas != w.replicas {
			t.Errorf("%s: Helm Deployment: replicas %v (available %d), want %d", c.Name, d.Spec.Replicas, d.Status.AvailableReplicas, w.replicas)
		}
	}
}
