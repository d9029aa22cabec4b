package suite

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// appsChartTemplate is Argo CD's app-of-apps chart pattern (argocd-example-apps/apps):
// a Helm chart whose templates are Argo CD Applications, here one per
// entry of .Values.apps.
const appsChartTemplate = `{{- range .Values.apps }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ .name }}
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "{{ .wave }}"
  finalizers:
  - resources-finalizer.argocd.argoproj.io
spec:
  project: default
  source:
    repoURL: {{ $.Values.spec.source.repoURL }}
    targetRevision: {{ $.Values.spec.source.targetRevision }}
    path: {{ .path }}
  destination:
    server: {{ $.Values.spec.destination.server }}
    namespace: {{ $.Values.namespace }}
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
{{- end }}
`

type childApp struct{ name, path, wave string }

func appsValues(url, ns string, apps ...childApp) string {
	var list []map[string]any
	for _, a := range apps {
		list = append(list, map[string]any{"name": a.name, "path": a.path, "wave": a.wave})
	}
	return toYAML(map[string]any{"namespace": ns, "apps": list, "spec": map[string]any{
		"destination": map[string]any{"server": "https://kubernetes.default.svc"},
		"source":      map[string]any{"repoURL": url, "targetRevision": "HEAD"}}})
}

// applyFile writes content to a file and runs `flotilla apply -f` on it.
func (e *env) applyFile(t *testing.T, content string, extra ...string) result {
	t.Helper()
	f := filepath.Join(t.TempDir(), "apply.yaml")
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return e.flotilla(t, append([]string{"apply", "-f", f}, extra...)...)
}

// declaredView is what `app get -o json` says of where an application is declared.
type declaredView struct {
	Name     string   `json:"name"`
	Parent   string   `json:"parent"`
	Warnings []string `json:"warnings"`
}

func (e *env) declared(t *testing.T) map[string]declaredView {
	t.Helper()
	var list []declaredView
	if err := json.Unmarshal([]byte(e.must(t, "app", "list", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]declaredView{}
	for _, v := range list {
		out[v.Name] = v
	}
	return out
}

// Argo CD's app of apps: a Helm chart of Application manifests pointing at
// a local Git server. Every child is declared with its parent named and
// syncs to the parent's clusters (in-cluster); a child of a later sync wave
// waits for the previous wave to be Healthy; a child removed from the
// chart's values is deleted with its resources (resources finalizer);
// another child changing path moves.
func TestAppOfAppsHelmChart(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "aoa")
	parent := uniq("apps")
	alpha, beta := parent+".alpha", parent+".beta" // dotted names, as Argo CD users write them
	r, _ := e.newRepo(t, nil)
	r.commit(t, "the chart and its children", map[string]string{
		"apps/Chart.yaml":          "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
		"apps/values.yaml":         appsValues(r.url, ns, childApp{alpha, "alpha", "0"}, childApp{beta, "beta", "1"}),
		"apps/templates/apps.yaml": appsChartTemplate,
		"alpha/stuck.yaml":         stuckDeploymentYAML("alpha", nil),
		"beta/cm.yaml":             configMapYAML("beta", map[string]string{"k": "v"}, nil),
		"alpha-moved/cm.yaml":      configMapYAML("alpha-moved", map[string]string{"k": "v"}, nil),
		"alpha-ready/cm.yaml":      configMapYAML("alpha", map[string]string{"k": "ready"}, nil),
	})
	res := e.applyFile(t, toYAML(map[string]any{"apiVersion": "flotilla.dev/v1alpha1", "kind": "Application", "metadata": map[string]any{"name": parent},
		"spec": map[string]any{"source": map[string]any{"repoUrl": r.url, "path": "apps"},
			"destination": map[string]any{"clusterSelector": map[string]any{"suite": "e2e"}, "namespace": ns},
			"syncPolicy":  map[string]any{"automated": true, "prune": true}}}))
	if res.code != 0 || !strings.Contains(res.stdout, "application/"+parent+" created") {
		t.Fatalf("%s", res)
	}
	t.Cleanup(func() { // the test deletes it when it passes
		if r := e.flotilla(t, "app", "delete", parent); r.code != 0 && !strings.Contains(r.stderr, "NotFound") {
			t.Errorf("%s", r)
		}
	})
	eventually(t, time.Minute, "both children declared by "+parent, func() (bool, string) {
		d := e.declared(t)
		return d[alpha].Parent == parent && d[beta].Parent == parent, e.must(t, "app", "list")
	})
	// alpha (wave 0) never becomes Healthy: beta (wave 1) waits and deploys nothing.
	eventually(t, time.Minute, beta+" waits for wave 0", func() (bool, string) {
		v := e.appGet(t, beta)
		for _, tv := range v.Targets {
			if !strings.Contains(tv.Waiting, alpha) {
				return false, v.String()
			}
		}
		return len(v.Targets) == len(e.clusters), v.String()
	})
	for _, c := range e.clusters {
		if _, ok := c.configMap(t, ns, "beta"); ok {
			t.Fatalf("%s: beta deployed before wave 0 was Healthy", c.Name)
		}
	}
	// alpha becomes a ConfigMap (Healthy at once): beta follows.
	r.commit(t, "alpha ready", map[string]string{"apps/values.yaml": appsValues(r.url, ns, childApp{alpha, "alpha-ready", "0"}, childApp{beta, "beta", "1"})})
	r.webhook(t)
	for _, c := range e.clusters {
		eventually(t, 2*time.Minute, c.Name+": alpha then beta deployed", func() (bool, string) {
			_, a := c.configMap(t, ns, "alpha")
			_, b := c.configMap(t, ns, "beta")
			return a && b, e.appGet(t, beta).String()
		})
	}
	e.appWait(t, alpha)
	e.appWait(t, beta)

	// beta leaves the chart's values: deleted, and its ConfigMap with it
	// (resources finalizer). alpha moves to another path.
	r.commit(t, "drop beta, move alpha", map[string]string{"apps/values.yaml": appsValues(r.url, ns, childApp{alpha, "alpha-moved", "0"})})
	r.webhook(t)
	eventually(t, time.Minute, beta+" deleted", func() (bool, string) {
		_, ok := e.declared(t)[beta]
		return !ok, e.must(t, "app", "list")
	})
	for _, c := range e.clusters {
		eventually(t, time.Minute, c.Name+": beta's ConfigMap deleted, alpha moved", func() (bool, string) {
			_, b := c.configMap(t, ns, "beta")
			_, old := c.configMap(t, ns, "alpha")
			_, moved := c.configMap(t, ns, "alpha-moved")
			return !b && !old && moved, e.appGet(t, alpha).String()
		})
	}

	// `app get` says where a child is declared.
	if out := e.must(t, "app", "get", alpha); !strings.Contains(out, "Declared: application "+parent+" ("+r.url+"@") {
		t.Errorf("app get %s does not say where it is declared:\n%s", alpha, out)
	}
	// The CLI refuses to change what Git declares, unless forced.
	if res := e.flotilla(t, "app", "delete", alpha); res.code == 0 || !strings.Contains(res.stderr, "declared in Git by application "+parent) {
		t.Fatalf("deleting a child from the CLI: want a refusal naming its parent, got %s", res)
	}
	// A broken chart deletes nothing: alpha stays and the parent says why.
	r.commit(t, "break the chart", map[string]string{"apps/templates/apps.yaml": "{{ .Values.nope.nope }}\n"})
	r.webhook(t)
	eventually(t, time.Minute, parent+" shows the render error", func() (bool, string) {
		v := e.appGet(t, parent)
		for _, c := range v.Conditions {
			if strings.Contains(c.Message, "nope") {
				return true, ""
			}
		}
		return false, v.String()
	})
	if _, ok := e.declared(t)[alpha]; !ok {
		t.Fatalf("%s deleted because its parent's chart failed to render", alpha)
	}
	// Deleting the parent deletes its children and their resources.
	e.must(t, "app", "delete", parent)
	for _, c := range e.clusters {
		eventually(t, time.Minute, c.Name+": alpha's ConfigMap deleted with the parent", func() (bool, string) {
			_, moved := c.configMap(t, ns, "alpha-moved")
			return !moved, "alpha-moved still exists"
		})
	}
}
