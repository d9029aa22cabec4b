package suite

import (
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
)

// A chart from a Helm repository with basic auth, deployed from the CLI
// (--chart, a ~ constraint, --values-literal) and from Argo CD YAML
// (source.chart, valuesObject), and one from an OCI registry with basic
// auth: the chart version is each target's revision.
func TestChartFromHelmRepositoryOnClusters(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "chart")
	repo := helmtest.Serve(t, "bot", "s3cret")
	for _, v := range []string{"1.0.0", "1.1.0"} {
		repo.Add(t, "greeter", v, map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\n" +
			"data: {version: {{ .Chart.Version | quote }}, greeting: {{ .Values.greeting | quote }}}\n"}, "greeting: hello\n")
	}
	e.addChartRepo(t, repo.URL, "helm")
	cli := uniq("chart-cli")
	e.createApp(t, cli, "--repo", repo.URL, "--chart", "greeter", "--revision", "~1.0", "--values-literal", "greeting: hi",
		"--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, cli)
	for _, tv := range e.appGet(t, cli).Targets {
		if tv.Revision != "1.0.0" {
			t.Errorf("%s: revision %q, want the chart version 1.0.0 (~1.0)", tv.Cluster, tv.Revision)
		}
	}
	yamlApp := uniq("chart-yaml")
	res := e.applyFile(t, `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: `+yamlApp+`, namespace: argocd}
spec:
  project: default
  source:
    repoURL: `+repo.URL+`
    chart: greeter
    targetRevision: 1.1.0
    helm:
      valuesObject: {greeting: from-yaml}
  destination: {name: `+e.clusters[0].Name+`, namespace: `+ns+`}
  syncPolicy: {automated: {}}
`)
	if res.code != 0 || strings.Contains(res.stdout, "warning") {
		t.Fatalf("%s", res)
	}
	t.Cleanup(func() { e.flotilla(t, "app", "delete", yamlApp) })
	e.appWait(t, yamlApp)
	// The same chart from an OCI registry with basic auth.
	reg := helmtest.ServeOCI(t, "bot", "s3cret")
	reg.Push(t, "greeter", "2.0.0", map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\n" +
		"data: {version: {{ .Chart.Version | quote }}, greeting: {{ .Values.greeting | quote }}}\n"}, "greeting: from-oci\n")
	e.addChartRepo(t, reg.URL, "oci")
	oci := uniq("chart-oci")
	e.createApp(t, oci, "--repo", reg.URL, "--chart", "greeter", "--revision", ">=2", "--dest-cluster", e.clusters[0].Name,
		"--dest-namespace", ns, "--auto-sync")
	e.appWait(t, oci)
	for name, want := range map[string][2]string{cli: {"1.0.0", "hi"}, yamlApp: {"1.1.0", "from-yaml"}, oci: {"2.0.0", "from-oci"}} {
		cm, ok := e.clusters[0].configMap(t, ns, name)
		if !ok || cm.Data["version"] != want[0] || cm.Data["greeting"] != want[1] {
			t.Errorf("%s: ConfigMap %v, want version %s greeting %s", name, cm, want[0], want[1])
		}
	}
}
