package controller

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

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

// chartDeps records, per application, the repositories and charts its
// renders fetched dependencies, helmCharts and remote bases from (polled
// like its own sources), the
// render keys they led to and the digests in use (kept by the chart GC).
type chartDeps struct {
	mu         sync.Mutex
	repos      map[string]map[string][]string // app → repository → charts
	keys       map[string]string              // render key without dependencies → with them
	digests    map[string]bool
	chartKeys_ map[string]map[string]bool // app → keys of its chart sources' renders
}

// addKey records a render key of one of app's chart sources.
func (d *chartDeps) addKey(app, key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.chartKeys_ == nil || len(d.chartKeys_) > maxRenderMemo {
		d.chartKeys_ = map[string]map[string]bool{}
	}
	if d.chartKeys_[app] == nil || len(d.chartKeys_[app]) > maxRenderMemo {
		d.chartKeys_[app] = map[string]bool{}
	}
	d.chartKeys_[app][key] = true
}

// chartKeys returns the render keys of app's chart sources (every
// application's when app is "").
func (d *chartDeps) chartKeys(app string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for a, keys := range d.chartKeys_ {
		if app != "" && a != app {
			continue
		}
		for k := range keys {
			out = append(out, k)
		}
	}
	return out
}

func (d *chartDeps) record(app string, repos map[string][]string, base, full string, digests []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.repos == nil || len(d.keys) > maxRenderMemo || len(d.digests) > maxRenderMemo {
		d.repos, d.keys, d.digests = map[string]map[string][]string{}, map[string]string{}, map[string]bool{}
	}
	for u, charts := range repos {
		if d.repos[app] == nil {
			d.repos[app] = map[string][]string{}
		}
		if _, ok := d.repos[app][u]; !ok {
			d.repos[app][u] = nil // a Git repository (a remote base) has no charts
		}
		for _, ch := range charts {
			if !slices.Contains(d.repos[app][u], ch) {
				d.repos[app][u] = append(d.repos[app][u], ch)
			}
		}
	}
	if base != full {
		d.keys[base] = full
	}
	for _, g := range digests {
		d.digests[g] = true
	}
}

// charts returns the dependency charts app's renders read from repoURL.
func (d *chartDeps) charts(app, repoURL string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.repos[app][repoURL]
}

// reads says whether app's renders read repoURL.
func (d *chartDeps) reads(app, repoURL string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.repos[app][repoURL]
	return ok
}

// repositories returns every dependency repository of app.
func (d *chartDeps) repositories(app string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for u := range d.repos[app] {
		out = append(out, u)
	}
	return out
}

// fullKey returns the render key last used for key once dependencies
// were added ("" when none were).
func (d *chartDeps) fullKey(key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.keys[key]
}

func (d *chartDeps) inUse() map[string]bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]bool, len(d.digests))
	for g := range d.digests {
		out[g] = true
	}
	return out
}

// withDependencies adds to src the dependencies the chart at src.Path of
// fsys lacks, fetched from their repositories. Sources that are not
// charts are returned as they are.
func (c *Controller) withDependencies(ctx context.Context, a *pb.Application, fsys fs.FS, src *render.Source) error {
	dir := path.Clean(src.Path)
	if !fs.ValidPath(dir) || src.Kind != render.Helm && (src.Kind != render.Auto || render.Detect(fsys, dir) != render.Helm) {
		return nil // not a chart, or a path the render refuses
	}
	deps, err := missingDependencies(fsys, dir)
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
func (c *Controller) withKustomizeCharts(ctx context.Context, a *pb.Application, fsys fs.FS, src *render.Source) error {
	dir := path.Clean(src.Path)
	if !src.Kustomize.EnableHelm || !fs.ValidPath(dir) || src.Kind != render.Kustomize && (src.Kind != render.Auto || render.Detect(fsys, dir) != render.Kustomize) {
		return nil
	}
	charts, err := render.KustomizeCharts(fsys, dir)
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
	if _, err := readChartFile(fsys, path.Join(dir, "Chart.lock"), &lock); err != nil {
		return nil, err
	}
	vendored := vendoredCharts(fsys, path.Join(dir, "charts"))
	var out []*chart.Dependency
	for _, d := range md.Dependencies {
		if d == nil || d.Name == "" || strings.HasPrefix(d.Repository, "file://") || vendored(d.Name) {
			continue
		}
		if d.Repository == "" {
			continue // nowhere to fetch it from: the render names it missing
		}
		dep := *d
		for _, l := range lock.Dependencies {
			if l != nil && l.Name == d.Name && l.Repository == d.Repository {
				dep.Version = l.Version
			}
		}
		out = append(out, &dep)
	}
	if len(out) > maxChartDependencies {
		return nil, fmt.Errorf("chart %s: %d dependencies to fetch: at most %d", orDot(dir), len(out), maxChartDependencies)
	}
	return out, nil
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

// vendoredCharts says which chart names charts/ holds: a directory with a
// Chart.yaml of that name, or an archive NAME-VERSION.tgz.
func vendoredCharts(fsys fs.FS, dir string) func(string) bool {
	ents, _ := fs.ReadDir(fsys, dir)
	return func(name string) bool {
		for _, e := range ents {
			n := e.Name()
			if v, ok := strings.CutPrefix(strings.TrimSuffix(n, ".tgz"), name+"-"); ok && n != v && strings.HasSuffix(n, ".tgz") && v != "" && v[0] >= '0' && v[0] <= '9' {
				return true
			}
			var md chart.Metadata
			if ok, err := readChartFile(fsys, path.Join(dir, n, "Chart.yaml"), &md); ok && err == nil && md.Name == name {
				return true
			}
		}
		return false
	}
}

// maxRemoteBases bounds the remote bases one render fetches.
const maxRemoteBases = 32

// remoteMounts is where remote bases are mounted in a render's
// filesystem, at the repository root.
const remoteMounts = ".flotilla-remote-bases"

// withRemoteBases fetches the Git repositories of the remote bases of
// src's kustomizations through the hub's Git cache (only those a's
// project allows: Kustomize never runs git), resolves each revision and
// tells the render where each is mounted.
func (c *Controller) withRemoteBases(ctx context.Context, a *pb.Application, fsys fs.FS, src *render.Source) error {
	dir := path.Clean(src.Path)
	if !fs.ValidPath(dir) || src.Kind != render.Kustomize && (src.Kind != render.Auto || render.Detect(fsys, dir) != render.Kustomize) {
		return nil
	}
	bases, err := render.KustomizeRemoteBases(fsys, dir)
	if err != nil || len(bases) == 0 {
		return err
	}
	if len(bases) > maxRemoteBases {
		return fmt.Errorf("kustomize %s: %d remote bases: at most %d", orDot(dir), len(bases), maxRemoteBases)
	}
	proj, err := c.project(a)
	if err != nil {
		return err
	}
	repos := map[string][]string{}
	for i, rb := range bases {
		commit, err := c.resolveRemote(ctx, proj, rb)
		if err != nil {
			return fmt.Errorf("%s: remote base %q (%s): %w", rb.In, rb.Ref, rb.RepoURL, err)
		}
		repos[rb.RepoURL] = nil
		bases[i].GitDir, bases[i].Commit, bases[i].Mount = c.repo(rb.RepoURL).Dir(), commit, fmt.Sprintf("%s/%d", remoteMounts, i)
	}
	c.chartDeps.record(a.GetName(), repos, "", "", nil)
	src.Kustomize.RemoteBases = bases
	return nil
}

// resolveRemote returns the commit of a remote base's revision, fetching
// its repository when the cache cannot resolve it yet.
func (c *Controller) resolveRemote(ctx context.Context, proj *pb.Project, rb render.RemoteBase) (string, error) {
	if err := checkSource(proj, rb.RepoURL); err != nil {
		return "", err
	}
	rev := rb.Revision
	if rev == "" {
		rev = "HEAD"
	}
	h, err := c.repo(rb.RepoURL).Resolve(rev)
	if err != nil {
		if ferr := c.fetch(ctx, rb.RepoURL); ferr != nil {
			return "", ferr
		}
		if h, err = c.repo(rb.RepoURL).Resolve(rev); err != nil {
			return "", err
		}
	}
	return h.String(), nil
}
