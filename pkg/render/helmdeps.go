package render

import (
	"fmt"
	"io/fs"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
)

// addDependencies gives ch what `helm dependency build` would put in its
// charts/ directory and is not there: a file:// dependency is read from
// the repository (never from outside it), any other from the charts the
// caller fetched. A dependency neither provides stays missing, and the
// chart's check names it.
func addDependencies(repo fs.FS, dir string, ch *chart.Chart, fetched []ChartDependency, lim Limits) error {
	have := map[string]bool{}
	for _, sub := range ch.Dependencies() {
		have[sub.Name()] = true
	}
	for _, d := range ch.Metadata.Dependencies {
		if d == nil || have[d.Name] {
			continue
		}
		sub, err := loadDependency(repo, dir, d, fetched, lim)
		if err != nil {
			return fmt.Errorf("chart %s: dependency %s: %w", displayPath(dir), d.Name, err)
		}
		if sub != nil {
			ch.AddDependency(sub)
			have[d.Name] = true
		}
	}
	return nil
}

// loadDependency loads dependency d, or returns nil when nothing provides it.
func loadDependency(repo fs.FS, dir string, d *chart.Dependency, fetched []ChartDependency, lim Limits) (*chart.Chart, error) {
	if rel, ok := strings.CutPrefix(d.Repository, "file://"); ok {
		p, err := joinPath(dir, rel)
		if err != nil {
			return nil, fmt.Errorf("repository %s: %w", d.Repository, err)
		}
		return loadChartFiles(repo, p, lim)
	}
	for _, f := range fetched {
		if f.Name != d.Name {
			continue
		}
		root, closeRoot, err := OpenRoot(f.Dir)
		if err != nil {
			return nil, fmt.Errorf("version %s: %w", f.Version, err)
		}
		defer closeRoot()
		return loadChartFiles(root, ".", lim)
	}
	return nil, nil
}
