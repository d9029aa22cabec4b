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
