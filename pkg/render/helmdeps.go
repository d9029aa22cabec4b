package render

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
)

// addDependencies gives ch what `helm dependency build` would put in its
// charts/ directory and is not there: a file:// dependency is read from
// the repository (never from outside it), any other from the charts the
// caller fetched. A dependency neither provides stays missing, and the
// chart's check names it.
func addDependencies(repo fs.FS, dir string, ch *chart.Chart, fetched []ChartDependency, lim Limits) error {
	for _, d := range ch.Metadata.Dependencies {
		if d == nil || hasSubchart(ch, d) {
			continue
		}
		sub, err := loadDependency(repo, dir, d, fetched, lim)
		if err != nil {
			return fmt.Errorf("chart %s: dependency %s: %w", displayPath(dir), d.Name, err)
		}
		if sub != nil {
			ch.AddDependency(sub)
		}
	}
	return nil
}

// hasSubchart says whether ch holds a chart dependency d can use: its
// name, at a version its constraint allows (two aliases of one chart may
// want two versions).
func hasSubchart(ch *chart.Chart, d *chart.Dependency) bool {
	for _, sub := range ch.Dependencies() {
		if sub.Name() == d.Name && allows(d.Version, sub.Metadata.Version) {
			return true
		}
	}
	return false
}

// allows says whether version satisfies constraint ("" allows any; one
// that does not parse is left to Helm's own check).
func allows(constraint, version string) bool {
	if constraint == "" {
		return true
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return true
	}
	v, err := semver.NewVersion(version)
	return err == nil && c.Check(v)
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
		if f.Name != d.Name || !allows(d.Version, f.Version) {
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
