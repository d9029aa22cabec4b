package render

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const greeterTemplate = `apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-{{ .Chart.Name }}}
data: {version: "{{ .Chart.Version }}", greeting: {{ .Values.greeting | quote }}, color: {{ .Values.color | quote }}, ns: {{ .Release.Namespace }}}
`

// helmCharts of a kustomization and of its base, inflated as kustomize
// build --enable-helm: a chart from the chartHome and one the caller
// fetched, values merged as Kustomize merges them, and the overlay's
// transformers applied to what the charts render.
func TestKustomizeHelmCharts(t *testing.T) {
	repo, fetched := t.TempDir(), t.TempDir()
	writeFiles(t, repo, map[string]string{
		"base/kustomization.yaml": `helmCharts:
- name: local
  releaseName: base
  valuesInline: {greeting: from-base}
`,
		"base/charts/local/Chart.yaml":        "apiVersion: v2\nname: local\nversion: 0.3.0\n",
		"base/charts/local/values.yaml":       "greeting: default\ncolor: grey\n",
		"base/charts/local/templates/cm.yaml": greeterTemplate,
		"overlay/kustomization.yaml": `namespace: team
namePrefix: p-
resources: [../base]
helmCharts:
- name: remote
  repo: https://charts.example.com
  version: ~1.2
  releaseName: rel
  namespace: inner
  valuesFile: values/prod.yaml
  valuesInline: {greeting: inline}
`,
		"overlay/values/prod.yaml":      "greeting: file\ncolor: blue\n",
		"off/kustomization.yaml":        "helmCharts:\n- {name: local}\n",
		"bad/kustomization.yaml":        "helmCharts:\n- {name: local, nameTemplate: x}\n",
		"remotevals/kustomization.yaml": "helmCharts:\n- {name: local, valuesFile: 'https://example.com/v.yaml'}\n",
	})
	writeFiles(t, fetched, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: remote\nversion: 1.2.7\n",
		"values.yaml":       "greeting: default\ncolor: grey\n",
		"templates/cm.yaml": greeterTemplate,
	})
	root, closeRoot, err := OpenRoot(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRoot()
	opts := KustomizeOptions{EnableHelm: true, HelmCharts: []ChartDependency{{Name: "remote", Version: "1.2.7", Dir: fetched, Repository: "https://charts.example.com", Want: "~1.2"}}}
	res, err := Render(context.Background(), root, Source{Path: "overlay", Kustomize: opts}, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range res.Objects {
		d, _, _ := unstructured.NestedStringMap(u.Object, "data")
		got = append(got, u.GetNamespace()+"/"+u.GetName()+" "+d["version"]+" "+d["greeting"]+" "+d["color"]+" "+d["ns"])
	}
	sort.Strings(got)
	want := "team/p-base-local 0.3.0 from-base grey default,team/p-rel-remote 1.2.7 inline blue inner"
	if strings.Join(got, ",") != want {
		t.Errorf("rendered\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	for path, wantErr := range map[string]string{
		"off":        "helmCharts: " + ErrKustomizeHelm.Error(),
		"bad":        `unknown field "nameTemplate"`,
		"remotevals": "remote kustomize bases are not allowed",
	} {
		o := opts
		if path == "off" {
			o = KustomizeOptions{}
		}
		_, err := Render(context.Background(), root, Source{Path: path, Kustomize: o}, DefaultLimits())
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s: %v, want %q", path, err, wantErr)
		}
	}
	// Not fetched: named with its repository.
	_, err = Render(context.Background(), root, Source{Path: "overlay", Kustomize: KustomizeOptions{EnableHelm: true}}, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "chart remote ~1.2 of https://charts.example.com was not fetched") {
		t.Errorf("unfetched chart: %v", err)
	}
	charts, err := KustomizeCharts(root, "overlay")
	if err != nil || len(charts) != 1 || charts[0] != (KustomizeChart{Repository: "https://charts.example.com", Name: "remote", Version: "~1.2"}) {
		t.Errorf("KustomizeCharts: %v %v", charts, err)
	}
	_, err = Render(context.Background(), root, Source{Path: "overlay", Kind: Helm, Kustomize: KustomizeOptions{EnableHelm: true}}, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "enableHelm") {
		t.Errorf("enableHelm on a Helm source: %v", err)
	}
}

// The opt-in and the fetched charts cross the render worker's boundary
// (JSON) and make the render key: not dropped as an empty override.
func TestKustomizeHelmOptionsInJSON(t *testing.T) {
	b, err := json.Marshal(Source{Kustomize: KustomizeOptions{EnableHelm: true, HelmCharts: []ChartDependency{{Name: "x", Dir: "/d"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var back Source
	if err := json.Unmarshal(b, &back); err != nil || !back.Kustomize.EnableHelm || len(back.Kustomize.HelmCharts) != 1 || back.Kustomize.Overrides() {
		t.Errorf("%s → %+v (%v)", b, back.Kustomize, err)
	}
}

// helmCharts values as Kustomize's HelmChartInflationGenerator passes
// them to helm: valuesFile (else the chart's values.yaml) merged with
// valuesInline per valuesMerge as the first -f, additionalValuesFiles as
// later ones; the chart's defaults underneath.
func TestKustomizeHelmValues(t *testing.T) {
	for name, tc := range map[string]struct {
		entry   string // the helmCharts entry's fields after name
		want    string // a,b as the chart renders them
		wantErr string
	}{
		"no values":                           {entry: "", want: "default,default"},
		"override: inline over the chart":     {entry: "valuesInline: {a: inline}", want: "inline,default"},
		"override: additional over inline":    {entry: "valuesInline: {a: inline}\n  additionalValuesFiles: [extra.yaml]", want: "extra,default"},
		"override: inline over valuesFile":    {entry: "valuesFile: file.yaml\n  valuesInline: {a: inline}", want: "inline,file"},
		"override: a null inline clears":      {entry: "valuesFile: file.yaml\n  valuesInline: {a: null}", want: "default,file"},
		"merge: the chart's values win":       {entry: "valuesMerge: merge\n  valuesInline: {a: inline}", want: "default,default"},
		"merge: valuesFile over inline":       {entry: "valuesMerge: merge\n  valuesFile: extra.yaml\n  valuesInline: {a: inline, b: inline}", want: "extra,inline"},
		"replace: inline alone, additional":   {entry: "valuesMerge: replace\n  valuesFile: file.yaml\n  valuesInline: {b: inline}\n  additionalValuesFiles: [extra.yaml]", want: "extra,inline"},
		"replace: no inline, valuesFile used": {entry: "valuesMerge: replace\n  valuesFile: extra.yaml", want: "extra,default"},
		"additional files in order":           {entry: "valuesFile: file.yaml\n  additionalValuesFiles: [extra.yaml, b.yaml]", want: "extra,last"},
		"inline of another kind":              {entry: "valuesFile: file.yaml\n  valuesInline: {b: {x: 1}}", wantErr: "valuesInline: wrong node kind"},
		"remote values file before the chart": {entry: "valuesFile: file.yaml\n  additionalValuesFiles: ['https://example.com/v.yaml']\n  repo: https://charts.example.com", wantErr: "remote kustomize bases are not allowed"},
		"missing values file":                 {entry: "additionalValuesFiles: [none.yaml]", wantErr: "values file"},
	} {
		t.Run(name, func(t *testing.T) {
			repo := t.TempDir()
			chart := "c"
			if strings.Contains(tc.entry, "repo:") {
				chart = "absent" // not under the chartHome, not fetched
			}
			writeFiles(t, repo, map[string]string{
				"k/kustomization.yaml":   "helmCharts:\n- name: " + chart + "\n  " + tc.entry + "\n",
				"k/file.yaml":            "a: file\nb: file\n",
				"k/extra.yaml":           "a: extra\n",
				"k/b.yaml":               "b: last\n",
				"k/charts/c/Chart.yaml":  "apiVersion: v2\nname: c\nversion: 0.1.0\n",
				"k/charts/c/values.yaml": "a: default\nb: default\n",
				"k/charts/c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n" +
					"data: {a: {{ .Values.a | quote }}, b: {{ .Values.b | quote }}}\n",
			})
			root, closeRoot, err := OpenRoot(repo)
			if err != nil {
				t.Fatal(err)
			}
			defer closeRoot()
			res, err := Render(context.Background(), root, Source{Path: "k", Kustomize: KustomizeOptions{EnableHelm: true}}, DefaultLimits())
			if tc.wantErr != "" || err != nil {
				if err == nil || tc.wantErr == "" || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if len(res.Objects) != 1 {
				t.Fatalf("%d objects", len(res.Objects))
			}
			d, _, _ := unstructured.NestedStringMap(res.Objects[0].Object, "data")
			if got := d["a"] + "," + d["b"]; got != tc.want {
				t.Errorf("a,b = %s, want %s", got, tc.want)
			}
		})
	}
}
