package manifest

import "testing"

// Argo CD's Helm repository source: chart and a version constraint; an
// empty targetRevision stays empty (the latest), unlike Git's HEAD.
func TestArgoChartSource(t *testing.T) {
	for rev, want := range map[string]string{"targetRevision: '~1.0'": "~1.0", "": ""} {
		objs, errs := Parse("chart.yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: metrics}
spec:
  source:
    repoURL: https://charts.example.com/stable
    chart: metrics-server
    `+rev+`
    helm: {releaseName: ms, valuesObject: {replicas: 2}}
  destination: {name: east, namespace: kube-system}
`))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		s := objs[0].App.GetSource()
		if s.GetChart() != "metrics-server" || s.GetTargetRevision() != want || s.GetHelm().GetReleaseName() != "ms" || len(objs[0].Warnings) != 0 {
			t.Errorf("%q: source %v, warnings %v", rev, s, objs[0].Warnings)
		}
	}
}

// Argo CD's multiple sources: a chart with values from another Git
// repository (ref), read in order; spec.source beside them is reported
// ignored, and ref in a single source too.
func TestArgoMultipleSources(t *testing.T) {
	objs, errs := Parse("multi.yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: prom}
spec:
  source: {repoURL: https://git.example.com/old.git, path: old}
  sources:
  - repoURL: oci://registry.example.com/charts
    chart: exporter
    targetRevision: ~1.2
    helm:
      valueFiles: [$values/exporter/prod.yaml]
  - repoURL: https://git.example.com/values.git
    targetRevision: main
    ref: values
  destination: {name: east, namespace: monitoring}
`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	a := objs[0].App
	if a.GetSource() != nil || len(a.GetSources()) != 2 {
		t.Fatalf("source %v, sources %v", a.GetSource(), a.GetSources())
	}
	c, v := a.GetSources()[0], a.GetSources()[1]
	if c.GetChart() != "exporter" || c.GetTargetRevision() != "~1.2" || c.GetHelm().GetValueFiles()[0] != "$values/exporter/prod.yaml" || c.GetRef() != "" {
		t.Errorf("chart source %v", c)
	}
	if v.GetRef() != "values" || v.GetTargetRevision() != "main" || v.GetPath() != "" {
		t.Errorf("values source %v", v)
	}
	if w := objs[0].Warnings; len(w) != 1 || w[0] != "spec.source: ignored: spec.sources is set (as Argo CD)" {
		t.Errorf("warnings %q", w)
	}

	objs, errs = Parse("single.yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web}
spec:
  source: {repoURL: https://git.example.com/web.git, path: web, ref: values}
  destination: {name: east}
`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if w := objs[0].Warnings; len(w) != 1 || w[0] != "spec.source.ref: only meaningful in spec.sources, ignored" || objs[0].App.GetSource().GetRef() != "" {
		t.Errorf("warnings %q, source %v", w, objs[0].App.GetSource())
	}
}

// kustomize.enableHelm: Flotilla's per-application opt-in to Kustomize's
// helmCharts, read in Argo CD YAML too (Argo CD has it as a global build
// option).
func TestArgoKustomizeEnableHelm(t *testing.T) {
	objs, errs := Parse("kz.yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: kz}
spec:
  source: {repoURL: https://git.example.com/kz.git, path: kz, kustomize: {enableHelm: true, namePrefix: p-}}
  destination: {name: east}
`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if k := objs[0].App.GetSource().GetKustomize(); !k.GetEnableHelm() || k.GetNamePrefix() != "p-" || len(objs[0].Warnings) != 0 {
		t.Errorf("kustomize %v, warnings %v", k, objs[0].Warnings)
	}
}
