package controller

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/hub/helmrepo"
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A chart's dependencies that Chart.yaml declares and charts/ does not
// hold are fetched by the hub as `helm dependency build` would: from the
// Helm repository or OCI registry each names (one the application's
// project allows), at Chart.lock's version when it has one, else at the
// highest version the dependency's constraint allows, pulled once per
// digest like any chart. The render adds them; file:// dependencies it
// reads from the repository itself.

// maxChartDependencies bounds the dependencies fetched for one chart.
const maxChartDependencies = 64

// maxChartFile bounds Chart.yaml and Chart.lock as the hub reads them.
const maxChartFile = 1 << 20

// withDependencies adds to src the dependencies the chart at src.Path of
// fsys lacks, fetched from their repositories. Sources that are not
// charts are returned as they are.
func (c *Controller) withDependencies(ctx context.Context, a *pb.Application, t *tree, src *render.Source) error {
	dir, kind, ok := c.kindOf(t, *src)
	if !ok || kind != render.Helm {
		return nil // not a chart, or a path the render refuses
	}
	deps, err := parsedOnce(c, t, "dependencies", dir, func(fsys fs.FS) ([]*chart.Dependency, error) { return missingDependencies(fsys, dir) })
	if err != nil || len(deps) == 0 {
		return err
	}
	fetched, err := c.fetchCharts(ctx, a, deps, func(d *chart.Dependency) string {
		return fmt.Sprintf("chart %s: dependency %s (%s)", orDot(dir), d.Name, d.Repository)
	})
	src.Helm.Dependencies = append(src.Helm.Dependencies, fetched...)
	return err
}

// withKustomizeCharts adds to src the charts of the helmCharts of its
// kustomizations (when it enables their inflation) that their chartHome
// lacks, fetched from their repositories.
func (c *Controller) withKustomizeCharts(ctx context.Context, a *pb.Application, t *tree, src *render.Source) error {
	if !src.Kustomize.EnableHelm {
		return nil
	}
	dir, kind, ok := c.kindOf(t, *src)
	if !ok || kind != render.Kustomize {
		return nil
	}
	charts, err := parsedOnce(c, t, "helmCharts", dir, func(fsys fs.FS) ([]render.KustomizeChart, error) { return render.KustomizeCharts(fsys, dir) })
	if err != nil || len(charts) == 0 {
		return err
	}
	if len(charts) > maxChartDependencies {
		return fmt.Errorf("kustomize %s: %d helmCharts to fetch: at most %d", orDot(dir), len(charts), maxChartDependencies)
	}
	deps := make([]*chart.Dependency, len(charts))
	for i, ch := range charts {
		deps[i] = &chart.Dependency{Name: ch.Name, Version: ch.Version, Repository: ch.Repository}
	}
	fetched, err := c.fetchCharts(ctx, a, deps, func(d *chart.Dependency) string {
		return fmt.Sprintf("kustomize %s: helmCharts %s (%s)", orDot(dir), d.Name, d.Repository)
	})
	for i := range fetched {
		fetched[i].Repository, fetched[i].Want = charts[i].Repository, charts[i].Version
	}
	src.Kustomize.HelmCharts = append(src.Kustomize.HelmCharts, fetched...)
	return err
}

// fetchCharts fetches the charts deps name from their repositories (ones
// a's project allows), in order, and records where they came from; errors
// are named by what.
func (c *Controller) fetchCharts(ctx context.Context, a *pb.Application, deps []*chart.Dependency, what func(*chart.Dependency) string) ([]render.ChartDependency, error) {
	proj, err := c.project(a)
	if err != nil {
		return nil, err
	}
	repos := map[string][]string{}
	var digests []string
	var out []render.ChartDependency
	for _, d := range deps {
		url := strings.TrimSuffix(d.Repository, "/")
		dep, digest, err := c.fetchDependency(ctx, proj, url, d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what(d), err)
		}
		repos[url] = append(repos[url], d.Name)
		digests = append(digests, digest)
		out = append(out, dep)
	}
	c.chartDeps.record(a.GetName(), repos, "", "", digests)
	return out, nil
}

// fetchDependency resolves and pulls one dependency's chart.
func (c *Controller) fetchDependency(ctx context.Context, proj *pb.Project, url string, d *chart.Dependency) (render.ChartDependency, string, error) {
	switch {
	case strings.HasPrefix(url, "@") || strings.HasPrefix(url, "alias:"):
		return render.ChartDependency{}, "", errors.New("repositories named as in helm's repositories.yaml are not supported: give the repository's URL")
	case !helmrepo.IsHelmURL(url):
		return render.ChartDependency{}, "", errors.New("want an http://, https://, oci:// or file:// repository")
	}
	if err := checkSource(proj, url); err != nil {
		return render.ChartDependency{}, "", err
	}
	cv, err := c.charts().Resolve(url, d.Name, d.Version)
	if err != nil { // not read yet, or no version matches what was read: read it (once per poll interval)
		if ferr := c.refreshCharts(ctx, url, []string{d.Name}, c.opts.PollInterval); ferr != nil {
			return render.ChartDependency{}, "", ferr
		}
		if cv, err = c.charts().Resolve(url, d.Name, d.Version); err != nil {
			return render.ChartDependency{}, "", err
		}
	}
	dir, digest, err := c.charts().Pull(ctx, url, cv, c.chartCredentials(url))
	if err != nil {
		return render.ChartDependency{}, "", err
	}
	return render.ChartDependency{Name: d.Name, Version: cv.Version, Dir: dir}, digest, nil
}

// missingDependencies returns the dependencies of the chart at dir that
// must come from a repository: declared in Chart.yaml, neither file://
// nor held by charts/, at the version Chart.lock pins when it does. It
// returns nothing when dir holds no chart.
func missingDependencies(fsys fs.FS, dir string) ([]*chart.Dependency, error) {
	var md chart.Metadata
	if ok, err := readChartFile(fsys, path.Join(dir, "Chart.yaml"), &md); !ok || err != nil {
		return nil, err
	}
	var lock chart.Lock
	ok, err := readChartFile(fsys, path.Join(dir, "Chart.lock"), &lock)
	if err != nil {
		return nil, err
	}
	used := map[int]bool{}
	if len(md.Dependencies) > maxChartDependencies {
		return nil, fmt.Errorf("chart %s: %d dependencies: at most %d", orDot(dir), len(md.Dependencies), maxChartDependencies)
	}
	vendored, err := vendoredCharts(fsys, path.Join(dir, "charts"))
	if err != nil {
		return nil, err
	}
	var out []*chart.Dependency
	for _, d := range md.Dependencies {
		if d == nil || d.Name == "" || strings.HasPrefix(d.Repository, "file://") || vendored(d.Name) {
			continue
		}
		if d.Repository == "" {
			continue // nowhere to fetch it from: the render names it missing
		}
		dep := *d
		if ok {
			v, err := lockedVersion(&lock, used, d)
			if err != nil {
				return nil, fmt.Errorf("chart %s: %s: %w", orDot(dir), path.Join(dir, "Chart.lock"), err)
			}
			dep.Version = v
		}
		out = append(out, &dep)
	}
	return out, nil
}

// lockedVersion returns the version Chart.lock pins for dependency d:
// its first entry of that name and repository not taken by an earlier
// dependency (aliases of one chart). Like helm dependency build, a lock
// that does not hold d, or pins a version d's constraint no longer
// allows, is out of sync and refused.
func lockedVersion(lock *chart.Lock, used map[int]bool, d *chart.Dependency) (string, error) {
	for i, l := range lock.Dependencies {
		if l == nil || used[i] || l.Name != d.Name || strings.TrimSuffix(l.Repository, "/") != strings.TrimSuffix(d.Repository, "/") {
			continue
		}
		used[i] = true
		if d.Version != "" {
			c, cerr := semver.NewConstraint(d.Version)
			v, verr := semver.NewVersion(l.Version)
			if cerr == nil && (verr != nil || !c.Check(v)) {
				return "", fmt.Errorf("out of sync with Chart.yaml: it pins %s %s, outside %q (helm dependency update)", d.Name, l.Version, d.Version)
			}
		}
		return l.Version, nil
	}
	return "", fmt.Errorf("out of sync with Chart.yaml: no entry for dependency %s of %s (helm dependency update)", d.Name, d.Repository)
}

// readChartFile reads a bounded YAML file into v; ok is false when it
// does not exist.
func readChartFile(fsys fs.FS, name string, v any) (ok bool, err error) {
	fi, err := fs.Stat(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxChartFile {
		return false, fmt.Errorf("%s: not a regular file of at most %d bytes", name, maxChartFile)
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", name, err)
	}
	return true, nil
}

// maxVendored bounds the entries of a chart's charts/ the hub reads.
const maxVendored = 1000

// vendoredCharts says which chart names charts/ holds: a directory with a
// Chart.yaml of that name, or an archive NAME-VERSION.tgz. It reads the
// directory once.
func vendoredCharts(fsys fs.FS, dir string) (func(string) bool, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return func(string) bool { return false }, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if len(ents) > maxVendored {
		return nil, fmt.Errorf("%s: %d entries: at most %d", dir, len(ents), maxVendored)
	}
	names := map[string]bool{}
	var archives []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".tgz") {
			archives = append(archives, strings.TrimSuffix(n, ".tgz"))
			continue
		}
		var md chart.Metadata
		if ok, err := readChartFile(fsys, path.Join(dir, n, "Chart.yaml"), &md); ok && err == nil {
			names[md.Name] = true
		}
	}
	return func(name string) bool {
		for _, a := range archives {
			if v, ok := strings.CutPrefix(a, name+"-"); ok && v != "" && v[0] >= '0' && v[0] <= '9' {
				return true
			}
		}
		return names[name]
	}, nil
}
