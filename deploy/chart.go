package deploy

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// chartDir is the Helm chart's directory in the package (and the repository's deploy/).
const chartDir = "chart/flotilla"

// Release name and namespace RenderChart renders with; the namespace is the
// Kustomize manifests'.
const (
	chartRelease   = "flotilla"
	chartNamespace = "flotilla-system"
)

// RenderChart renders the embedded chart with values over its defaults, as
// `helm template flotilla deploy/chart/flotilla -n flotilla-system` does
// (values checked against values.schema.json, NOTES.txt left out), and
// returns its objects as a YAML stream in Helm's install order.
func RenderChart(values map[string]any) ([]byte, error) {
	files, err := renderChartFiles(values)
	if err != nil {
		return nil, err
	}
	for name := range files {
		if path.Base(name) == "NOTES.txt" {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("deploy/%s: %w", chartDir, err)
	}
	if len(hooks) > 0 {
		return nil, fmt.Errorf("deploy/%s: %s is a hook: the chart has none", chartDir, hooks[0].Path)
	}
	var b strings.Builder
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n%s\n", strings.TrimSpace(m.Content))
	}
	return []byte(b.String()), nil
}

// renderChartFiles renders every template of the embedded chart, NOTES.txt
// included, keyed by path (flotilla/templates/NAME).
func renderChartFiles(values map[string]any) (map[string]string, error) {
	c, err := loadChart()
	if err != nil {
		return nil, err
	}
	opts := chartutil.ReleaseOptions{Name: chartRelease, Namespace: chartNamespace, Revision: 1, IsInstall: true}
	vals, err := chartutil.ToRenderValues(c, values, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("deploy/%s: %w", chartDir, err)
	}
	files, err := engine.Render(c, vals)
	if err != nil {
		return nil, fmt.Errorf("deploy/%s: %w", chartDir, err)
	}
	return files, nil
}

// loadChart loads the embedded chart.
func loadChart() (*chart.Chart, error) {
	var files []*loader.BufferedFile
	err := fs.WalkDir(manifests, chartDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := manifests.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: strings.TrimPrefix(p, chartDir+"/"), Data: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deploy/%s: %w", chartDir, err)
	}
	c, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("deploy/%s: %w", chartDir, err)
	}
	return c, nil
}
