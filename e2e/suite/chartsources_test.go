package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
)

const versionedCM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-{{ .Chart.Name }}}\n" +
	"data: {version: {{ .Chart.Version | quote }}, greeting: {{ .Values.greeting | quote }}}\n"

// addChartRepo registers a Helm repository or OCI registry (typ) served
// with user bot, password s3cret, removed when the test ends.
func (e *env) addChartRepo(t *testing.T, url, typ string) {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.must(t, "repo", "add", url, "--type", typ, "--username", "bot", "--password-file", pw)
	t.Cleanup(func() { e.flotilla(t, "repo", "remove", url) })
}

// A chart from an OCI registry (auth) with its values from a Git
// repository (Argo CD's sources, ref, $values/...), and a chart kept in
// Git whose dependency comes from a Helm repository, not vendored: the
// hub fetches it. A new dependency version under the ~ constraint rolls
// out once; the multi-source application's revision names each source's.
func TestChartSourcesAndDependenciesOnClusters(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "chartsrc")
	reg := helmtest.ServeOCI(t, "bot", "s3cret")
	reg.Push(t, "greeter", "3.1.0", map[string]string{"cm.yaml": versionedCM}, "greeting: chart-default\n")
	e.addChartRepo(t, reg.URL, "oci")
	values, valSHA := e.newRepo(t, map[string]string{"greeter/prod.yaml": "greeting: from-git\n"})

	multi := uniq("chart-values")
	res := e.applyFile(t, `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: `+multi+`, namespace: argocd}
spec:
  project: default
  sources:
  - repoURL: `+reg.URL+`
    chart: greeter
    targetRevision: ~3.1
    helm:
      releaseName: `+multi+`
      valueFiles: [$values/greeter/prod.yaml]
  - repoURL: `+values.url+`
    targetRevision: main
    ref: values
  destination: {name: `+e.clusters[0].Name+`, namespace: `+ns+`}
  syncPolicy: {automated: {}}
`)
	if res.code != 0 || strings.Contains(res.stdout, "warning") {
		t.Fatalf("%s", res)
	}
	t.Cleanup(func() { e.flotilla(t, "app", "delete", multi) })
	e.appWait(t, multi)
	if cm, ok := e.clusters[0].configMap(t, ns, multi+"-greeter"); !ok || cm.Data["version"] != "3.1.0" || cm.Data["greeting"] != "from-git" {
		t.Errorf("chart with values from Git: ConfigMap %v, want 3.1.0 greeting from-git", cm)
	}
	if got := e.appGet(t, multi).Targets[0].Revision; got != "3.1.0:"+valSHA {
		t.Errorf("revision %q, want the chart version and the values commit %q", got, "3.1.0:"+valSHA)
	}

	charts := helmtest.Serve(t, "", "")
	charts.Add(t, "cache", "1.0.0", map[string]string{"cm.yaml": versionedCM}, "greeting: cache\n")
	chartRepo, _ := e.newRepo(t, map[string]string{
		"app/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- {name: cache, version: \"~1.0\", repository: \"" + charts.URL + "\"}\n",
		"app/values.yaml":       "greeting: app\n",
		"app/templates/cm.yaml": versionedCM,
	})
	deps := uniq("chart-deps")
	e.createApp(t, deps, "--repo", chartRepo.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, deps)
	check := func(want string) {
		t.Helper()
		for _, c := range e.clusters {
			if cm, ok := c.configMap(t, ns, deps+"-cache"); !ok || cm.Data["version"] != want || cm.Data["greeting"] != "cache" {
				t.Errorf("%s: dependency ConfigMap %v, want version %s", c.Name, cm, want)
			}
			if _, ok := c.configMap(t, ns, deps+"-app"); !ok {
				t.Errorf("%s: the chart's own ConfigMap is missing", c.Name)
			}
		}
	}
	check("1.0.0")
	before := len(e.history(t, deps))
	charts.Add(t, "cache", "1.0.1", map[string]string{"cm.yaml": versionedCM}, "greeting: cache\n")
	charts.Add(t, "cache", "2.0.0", map[string]string{"cm.yaml": versionedCM}, "greeting: cache\n")
	e.must(t, "app", "get", deps, "--refresh")
	e.appWait(t, deps)
	check("1.0.1")
	e.must(t, "app", "get", deps, "--refresh")
	e.appWait(t, deps)
	if after := len(e.history(t, deps)); after != before+len(e.clusters) {
		t.Errorf("history %d → %d entries: want one sync per cluster for the new dependency version", before, after)
	}
}

// Kustomize's helmCharts, opt-in (--kustomize-enable-helm): a chart of a
// Helm repository fetched by the hub and one kept in the chartHome,
// inflated and then transformed by the kustomization (namespace, labels);
// without the opt-in the application shows the refusal.
func TestKustomizeHelmChartsOnClusters(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "kzhelm")
	charts := helmtest.Serve(t, "", "")
	charts.Add(t, "greeter", "1.4.2", map[string]string{"cm.yaml": versionedCM}, "greeting: chart-default\n")
	r, _ := e.newRepo(t, map[string]string{
		"kz/kustomization.yaml": "namespace: " + ns + "\nlabels:\n- pairs: {team: blue}\nhelmCharts:\n" +
			"- {name: greeter, repo: " + charts.URL + ", version: ~1.4, releaseName: remote, valuesInline: {greeting: inline}}\n" +
			"- {name: local, releaseName: kept}\n",
		"kz/charts/local/Chart.yaml":        "apiVersion: v2\nname: local\nversion: 0.0.9\n",
		"kz/charts/local/values.yaml":       "greeting: local-default\n",
		"kz/charts/local/templates/cm.yaml": versionedCM,
	})
	off := uniq("kzhelm-off")
	e.createApp(t, off, "--repo", r.url, "--path", "kz", "--dest-cluster", e.clusters[0].Name, "--dest-namespace", ns)
	if got := e.appGet(t, off, "--refresh"); len(got.Targets) == 0 || !strings.Contains(got.Targets[0].Error, "enable it with kustomize.enableHelm") {
		t.Errorf("helmCharts without the opt-in: %+v", got.Targets)
	}
	app := uniq("kzhelm")
	e.createApp(t, app, "--repo", r.url, "--path", "kz", "--kustomize-enable-helm", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, app)
	for _, c := range e.clusters {
		for name, want := range map[string][2]string{"remote-greeter": {"1.4.2", "inline"}, "kept-local": {"0.0.9", "local-default"}} {
			cm, ok := c.configMap(t, ns, name)
			if !ok || cm.Data["version"] != want[0] || cm.Data["greeting"] != want[1] || cm.Labels["team"] != "blue" {
				t.Errorf("%s: %s: %v, want version %s greeting %s label team=blue", c.Name, name, cm, want[0], want[1])
			}
		}
	}
}
