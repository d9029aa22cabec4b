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

// inflateChart renders one helmCharts entry.
func inflateChart(ctx context.Context, repo fs.FS, dir string, g kustomizeHelmGlobals, c kustomizeChart, fetched []ChartDependency, lim Limits) ([]*unstructured.Unstructured, error) {
	vals, err := kustomizeValues(repo, dir, c, lim)
	if err != nil {
		return nil, err
	}
	ch, err := kustomizeChartOf(repo, dir, g, c, fetched, lim)
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

// kustomizeValues merges the entry's values as Kustomize does: valuesFile
// then additionalValuesFiles, and valuesInline over them (override, the
// default), under them (merge) or alone (replace). The chart's own
// values.yaml applies underneath, as always with Helm.
func kustomizeValues(repo fs.FS, dir string, c kustomizeChart, lim Limits) (map[string]any, error) {
	vals := map[string]any{}
	for _, f := range append([]string{c.ValuesFile}, c.AdditionalValuesFiles...) {
		if f == "" {
			continue
		}
		if isRemote(f) {
			return nil, fmt.Errorf("values file %q: %w", f, ErrRemoteBase)
		}
		p, b, err := valuesFile(repo, dir, f, nil, lim)
		if err != nil {
			return nil, err
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("values file %s: %w", p, err)
		}
		vals = mergeMaps(vals, m)
	}
	switch c.ValuesMerge {
	case "merge":
		return mergeMaps(c.ValuesInline, vals), nil
	case "replace":
		if c.ValuesInline == nil {
			return map[string]any{}, nil
		}
		return c.ValuesInline, nil
	}
	return mergeMaps(vals, c.ValuesInline), nil
}
