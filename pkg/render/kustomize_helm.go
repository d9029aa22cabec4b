package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"

	"helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// kustomizeChart is an entry of a kustomization's helmCharts, as
// Kustomize's HelmChartInflationGenerator reads it. Fields it has that
// cannot be honoured here make the entry an error, named.
type kustomizeChart struct {
	Name                  string         `json:"name"`
	Version               string         `json:"version,omitempty"`
	Repo                  string         `json:"repo,omitempty"`
	ReleaseName           string         `json:"releaseName,omitempty"`
	Namespace             string         `json:"namespace,omitempty"`
	AdditionalValuesFiles []string       `json:"additionalValuesFiles,omitempty"`
	ValuesFile            string         `json:"valuesFile,omitempty"`
	ValuesInline          map[string]any `json:"valuesInline,omitempty"`
	ValuesMerge           string         `json:"valuesMerge,omitempty"`
	IncludeCRDs           bool           `json:"includeCRDs,omitempty"`
	SkipHooks             bool           `json:"skipHooks,omitempty"`
	SkipTests             bool           `json:"skipTests,omitempty"`
	APIVersions           []string       `json:"apiVersions,omitempty"`
	KubeVersion           string         `json:"kubeVersion,omitempty"`
}

type kustomizeHelmGlobals struct {
	ChartHome  string `json:"chartHome,omitempty"`
	ConfigHome string `json:"configHome,omitempty"`
}

// KustomizeChart is a chart a kustomization's helmCharts asks for that
// its chartHome does not hold: the caller fetches it from Repository.
type KustomizeChart struct {
	Repository, Name, Version string
}

// KustomizeCharts returns the charts the kustomizations of dir (and the
// local ones it builds on) inflate that must be fetched from their
// repositories.
func KustomizeCharts(repo fs.FS, dir string) ([]KustomizeChart, error) {
	var out []KustomizeChart
	err := walkKustomizations(repo, dir, map[string]bool{}, func(d, file string, kz map[string]any) error {
		charts, globals, err := helmChartsOf(file, kz)
		if err != nil {
			return err
		}
		for _, c := range charts {
			if c.Repo != "" && localChart(repo, d, globals, c) == "" {
				out = append(out, KustomizeChart{Repository: c.Repo, Name: c.Name, Version: c.Version})
			}
		}
		return nil
	})
	return out, err
}

// helmChartsOf decodes the helmCharts and helmGlobals of a kustomization,
// refusing fields it cannot honour.
func helmChartsOf(file string, kz map[string]any) ([]kustomizeChart, kustomizeHelmGlobals, error) {
	var charts []kustomizeChart
	var globals kustomizeHelmGlobals
	if _, ok := kz["helmChartInflationGenerator"]; ok {
		return nil, globals, fmt.Errorf("%s: helmChartInflationGenerator: the deprecated form; use helmCharts", file)
	}
	if err := strictJSON(kz["helmCharts"], &charts); err != nil {
		return nil, globals, fmt.Errorf("%s: helmCharts: %w", file, err)
	}
	if err := strictJSON(kz["helmGlobals"], &globals); err != nil {
		return nil, globals, fmt.Errorf("%s: helmGlobals: %w", file, err)
	}
	for i, c := range charts {
		switch {
		case c.Name == "":
			return nil, globals, fmt.Errorf("%s: helmCharts[%d].name is required", file, i)
		case c.ValuesMerge != "" && c.ValuesMerge != "override" && c.ValuesMerge != "merge" && c.ValuesMerge != "replace":
			return nil, globals, fmt.Errorf("%s: helmCharts[%d].valuesMerge %q: want override, merge or replace", file, i, c.ValuesMerge)
		}
	}
	return charts, globals, nil
}

// strictJSON decodes v (YAML read as JSON) into out, refusing unknown
// fields by name.
func strictJSON(v, out any) error {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// localChart is the directory of chart c under the kustomization's
// chartHome ("" when it holds none), where Kustomize looks first:
// chartHome/NAME-VERSION/NAME for a versioned chart of a repository,
// chartHome/NAME otherwise.
func localChart(repo fs.FS, dir string, g kustomizeHelmGlobals, c kustomizeChart) string {
	home := g.ChartHome
	if home == "" {
		home = "charts"
	}
	p := path.Join(home, c.Name)
	if c.Version != "" && c.Repo != "" {
		p = path.Join(home, c.Name+"-"+c.Version, c.Name)
	}
	full, err := joinPath(dir, p)
	if err != nil || !isFile(repo, path.Join(full, "Chart.yaml")) {
		return ""
	}
	return full
}

// inflateHelmCharts replaces the helmCharts of every kustomization of dir
// (and of the local ones it builds on) with a resource file holding their
// rendered output, as kustomize build --enable-helm does with the helm
// binary: here with the Helm SDK, from the repository or fetched charts.
func inflateHelmCharts(ctx context.Context, repo fs.FS, dir string, fetched []ChartDependency, lim Limits) (fs.FS, error) {
	type edit struct {
		dir, file string
		kz        map[string]any
	}
	var edits []edit
	err := walkKustomizations(repo, dir, map[string]bool{}, func(d, file string, kz map[string]any) error {
		if _, ok := kz["helmCharts"]; ok {
			edits = append(edits, edit{d, file, kz})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range edits {
		if repo, err = inflateIn(ctx, repo, e.dir, e.file, e.kz, fetched, lim); err != nil {
			return nil, err
		}
	}
	return repo, nil
}

// inflateIn renders the helmCharts of one kustomization into a new file
// of its directory, listed in its resources.
func inflateIn(ctx context.Context, repo fs.FS, dir, file string, kz map[string]any, fetched []ChartDependency, lim Limits) (fs.FS, error) {
	charts, globals, err := helmChartsOf(file, kz)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for i, c := range charts {
		objs, err := inflateChart(ctx, repo, dir, globals, c, fetched, lim)
		if err != nil {
			return nil, fmt.Errorf("%s: helmCharts[%d] (%s): %w", file, i, c.Name, err)
		}
		out = append(out, objs...)
	}
	data, err := object.EncodeYAML(out)
	if err != nil {
		return nil, err
	}
	name := path.Join(dir, ".flotilla-helm-charts.yaml")
	if repo, err = newAddedFS(repo, name, data); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	delete(kz, "helmCharts")
	delete(kz, "helmGlobals")
	res, _ := kz["resources"].([]any)
	kz["resources"] = append(res, path.Base(name))
	edited, err := yaml.Marshal(kz)
	if err != nil {
		return nil, err
	}
	return newEditedFS(repo, file, edited)
}

// inflateChart renders one helmCharts entry: remote values files refused
// first (before a chart that is missing), then the chart loaded, then its
// values merged (the chart's own values are the base when no valuesFile).
func inflateChart(ctx context.Context, repo fs.FS, dir string, g kustomizeHelmGlobals, c kustomizeChart, fetched []ChartDependency, lim Limits) ([]*unstructured.Unstructured, error) {
	for _, f := range append([]string{c.ValuesFile}, c.AdditionalValuesFiles...) {
		if f != "" && isRemote(f) {
			return nil, fmt.Errorf("values file %q: %w", f, ErrRemoteBase)
		}
	}
	ch, err := kustomizeChartOf(repo, dir, g, c, fetched, lim)
	if err != nil {
		return nil, err
	}
	vals, err := kustomizeValues(repo, dir, c, ch.Values, lim)
	if err != nil {
		return nil, err
	}
	rn := c.ReleaseName
	if rn == "" {
		rn = "release-name"
	}
	opts := HelmOptions{ReleaseName: rn, Namespace: c.Namespace, IncludeCRDs: c.IncludeCRDs, SkipTests: c.SkipTests,
		SkipHooks: c.SkipHooks, APIVersions: c.APIVersions, KubeVersion: c.KubeVersion}
	return runHelm(ctx, ch, vals, c.Name, opts, lim)
}

// kustomizeChartOf loads the chart of entry c: from chartHome, else the
// one fetched from its repository.
func kustomizeChartOf(repo fs.FS, dir string, g kustomizeHelmGlobals, c kustomizeChart, fetched []ChartDependency, lim Limits) (*chart.Chart, error) {
	if p := localChart(repo, dir, g, c); p != "" {
		return loadChart(repo, p, nil, lim)
	}
	if c.Repo == "" {
		return nil, fmt.Errorf("no chart %s under the chartHome, and no repo to fetch it from", c.Name)
	}
	for _, f := range fetched {
		if f.Name == c.Name && f.Repository == c.Repo && f.Want == c.Version {
			root, closeRoot, err := OpenRoot(f.Dir)
			if err != nil {
				return nil, err
			}
			defer closeRoot()
			return loadChart(root, ".", nil, lim)
		}
	}
	return nil, fmt.Errorf("chart %s %s of %s was not fetched", c.Name, orLatest(c.Version), c.Repo)
}

func orLatest(v string) string {
	if v == "" {
		return "(latest)"
	}
	return v
}

// kustomizeValues merges the entry's values as Kustomize's
// HelmChartInflationGenerator does (replaceValuesInline, then the -f files
// of AsHelmArgs). The base is valuesFile, else the chart's own values
// (chartValues); a non-empty valuesInline is merged with it as kyaml's
// merge2 merges (what Kustomize calls): inline over it (override, the
// default), under it (merge) or alone (replace). With no valuesInline the
// base stands alone, whatever valuesMerge says. That is the first -f; each
// additionalValuesFiles is a later -f, over it. Helm applies the chart's
// defaults underneath, as always.
func kustomizeValues(repo fs.FS, dir string, c kustomizeChart, chartValues map[string]any, lim Limits) (map[string]any, error) {
	vals := chartValues
	if c.ValuesFile != "" {
		var err error
		if vals, err = readValues(repo, dir, c.ValuesFile, lim); err != nil {
			return nil, err
		}
	}
	if len(c.ValuesInline) > 0 {
		var err error
		switch c.ValuesMerge {
		case "replace":
			vals = c.ValuesInline
		case "merge":
			vals, err = mergeValues(c.ValuesInline, vals)
		default:
			vals, err = mergeValues(vals, c.ValuesInline)
		}
		if err != nil {
			return nil, fmt.Errorf("valuesInline: %w", err)
		}
	}
	for _, f := range c.AdditionalValuesFiles {
		m, err := readValues(repo, dir, f, lim)
		if err != nil {
			return nil, err
		}
		vals = mergeMaps(vals, m) // as Helm merges its -f files
	}
	return vals, nil
}

// readValues reads a values file given relative to the kustomization's
// directory.
func readValues(repo fs.FS, dir, f string, lim Limits) (map[string]any, error) {
	p, b, err := valuesFile(repo, dir, f, nil, lim)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("values file %s: %w", p, err)
	}
	return m, nil
}

// mergeValues merges over into under with kyaml's merge2, as Kustomize's
// replaceValuesInline does (a null in over clears the field; a field of
// another kind than under's is an error), and returns the result as Helm
// would read it from the values file Kustomize writes.
func mergeValues(under, over map[string]any) (map[string]any, error) {
	src, err := kyaml.FromMap(over)
	if err != nil {
		return nil, err
	}
	dest, err := kyaml.FromMap(under)
	if err != nil {
		return nil, err
	}
	merged, err := merge2.Merge(src, dest, kyaml.MergeOptions{})
	if err != nil {
		return nil, err
	}
	m, err := merged.Map()
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := yaml.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
