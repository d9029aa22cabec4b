package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/hub/helmrepo"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/renderworker"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Sources of two kinds: a path of a Git repository, or a chart of a Helm
// repository (source.chart). A Git source's revision is a commit; a
// chart's is the chart version its target revision (a version or a semver
// constraint) selects in the repository's index, and its content the
// archive of that version, pulled once per digest.

// isChart says whether source s is a chart of a Helm repository.
func isChart(s *pb.ApplicationSource) bool { return s.GetChart() != "" }

// resolveRevision returns the revision a's sources are at for revision
// (a target revision): a commit SHA or a chart version per source,
// joined by wire.RevisionSep when there are several.
func (c *Controller) resolveRevision(a *pb.Application, revision string) (string, error) {
	revs, err := wire.SplitRevision(a, revision)
	if err != nil {
		return "", err
	}
	srcs := wire.Sources(a)
	for i, s := range srcs {
		if revs[i], err = c.resolveSource(s, revs[i]); err != nil {
			return "", sourceErr(a, i, err)
		}
	}
	return strings.Join(revs, wire.RevisionSep), nil
}

// resolveSource returns the commit SHA or chart version of s at revision.
func (c *Controller) resolveSource(s *pb.ApplicationSource, revision string) (string, error) {
	if isChart(s) {
		cv, err := c.charts().Resolve(s.GetRepoUrl(), s.GetChart(), revision)
		if err != nil {
			return "", err
		}
		return cv.Version, nil
	}
	h, err := c.repo(s.GetRepoUrl()).Resolve(revision)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// sourceErr names source i of a in err when a has several.
func sourceErr(a *pb.Application, i int, err error) error {
	if len(a.GetSources()) == 0 || err == nil {
		return err
	}
	s := a.GetSources()[i]
	what := s.GetRepoUrl()
	if isChart(s) {
		what += " chart " + s.GetChart()
	} else if s.GetPath() != "" {
		what += " path " + s.GetPath()
	}
	return fmt.Errorf("source %d (%s): %w", i+1, what, err)
}

// chartDigest is the digest of the archives of a's chart sources at
// revision, from their repositories' indexes, joined by "," ("" without
// chart sources).
func (c *Controller) chartDigest(a *pb.Application, revision string) string {
	revs, err := wire.SplitRevision(a, revision)
	if err != nil || revision == "" {
		return ""
	}
	var out []string
	for i, s := range wire.Sources(a) {
		if !isChart(s) {
			continue
		}
		cv, err := c.charts().Resolve(s.GetRepoUrl(), s.GetChart(), revs[i])
		if err != nil {
			continue
		}
		if d := c.charts().Digest(s.GetRepoUrl(), cv); d != "" {
			out = append(out, d)
		}
	}
	return strings.Join(out, ",")
}

// fetchSource brings a's sources up to date: a Git fetch, or a Helm
// repository's index; and the indexes its charts' dependencies came from
// (an index read less than maxAge ago is not read again).
func (c *Controller) fetchSource(ctx context.Context, a *pb.Application, maxAge time.Duration) error {
	var errs []error
	for i, s := range wire.Sources(a) {
		var err error
		if isChart(s) {
			err = c.refreshCharts(ctx, s.GetRepoUrl(), []string{s.GetChart()}, maxAge)
		} else {
			err = c.fetch(ctx, s.GetRepoUrl())
		}
		errs = append(errs, sourceErr(a, i, err))
	}
	for _, u := range c.chartDeps.repositories(a.GetName()) {
		var err error
		if charts := c.chartDeps.charts(a.GetName(), u); len(charts) > 0 {
			err = c.refreshCharts(ctx, u, charts, maxAge)
		} else {
			err = c.fetch(ctx, u) // a remote base's Git repository
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("repository %s of a chart dependency or remote base: %w", u, err))
		}
	}
	return errors.Join(errs...)
}

// fetchURL brings a repository up to date as the applications using it
// read it: a Helm repository's index for their charts and their charts'
// dependencies, a Git fetch otherwise (also when nobody uses it yet: an
// ApplicationSet's).
func (c *Controller) fetchURL(ctx context.Context, repoURL string, apps []*pb.Application) error {
	var charts []string
	git := false
	for _, a := range apps {
		for _, s := range wire.Sources(a) {
			if s.GetRepoUrl() != repoURL {
				continue
			}
			if isChart(s) {
				charts = append(charts, s.GetChart())
			}
			git = git || !isChart(s)
		}
		charts = append(charts, c.chartDeps.charts(a.GetName(), repoURL)...)
	}
	var errs []error
	if len(charts) > 0 {
		errs = append(errs, c.refreshCharts(ctx, repoURL, charts, 0))
	}
	if git || len(charts) == 0 {
		errs = append(errs, c.fetch(ctx, repoURL))
	}
	return errors.Join(errs...)
}

// readsURL says whether a reads repoURL: as one of its sources, or as a
// repository its charts' dependencies came from.
func (c *Controller) readsURL(a *pb.Application, repoURL string) bool {
	return wire.ReadsRepo(a, repoURL) || c.chartDeps.reads(a.GetName(), repoURL)
}

// appURLs returns the repositories a reads.
func (c *Controller) appURLs(a *pb.Application) []string {
	var out []string
	for _, s := range wire.Sources(a) {
		out = append(out, s.GetRepoUrl())
	}
	return append(out, c.chartDeps.repositories(a.GetName())...)
}

// refreshCharts fetches a Helm repository's index, or the tags of the
// charts of an OCI registry, within FetchTimeout.
func (c *Controller) refreshCharts(ctx context.Context, repoURL string, charts []string, maxAge time.Duration) error {
	if !helmrepo.IsHelmURL(repoURL) {
		return fmt.Errorf("chart repository %s: want an http://, https:// or oci:// URL", repoURL)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()
	return c.charts().Refresh(ctx, repoURL, charts, c.chartCredentials(repoURL), maxAge)
}

func (c *Controller) chartCredentials(repoURL string) helmrepo.Credentials {
	r, err := c.store.GetRepository(repoURL)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.log.Warn("repository credentials", "repo", repoURL, "err", err)
		}
		return helmrepo.Credentials{}
	}
	return helmrepo.Credentials{Username: r.GetUsername(), Password: r.GetPassword(), CA: r.GetCaCert()}
}

func (c *Controller) charts() *helmrepo.Cache {
	c.chartsOnce.Do(func() {
		if c.opts.Charts == nil {
			dir, err := os.MkdirTemp("", "flotilla-charts-")
			if err != nil {
				dir = os.TempDir()
			}
			c.opts.Charts = helmrepo.New(dir, c.opts.FetchTimeout, helmrepo.DefaultLimits())
		}
	})
	return c.opts.Charts
}

// renderChart renders chart source s of a at version for cluster cl:
// pulled (once per digest) and rendered from the hub's chart cache, in a
// render worker; the render is kept per digest and inputs, in memory and
// in the store (a restart renders nothing again).
func (c *Controller) renderChart(ctx context.Context, a *pb.Application, s *pb.ApplicationSource, cl *pb.Cluster, version string, refs refValues) ([]*unstructured.Unstructured, error) {
	url, name := s.GetRepoUrl(), s.GetChart()
	cv, err := c.charts().Resolve(url, name, version)
	if err != nil {
		return nil, err
	}
	dir, digest, err := c.charts().Pull(ctx, url, cv, c.chartCredentials(url))
	if err != nil {
		return nil, err
	}
	src := c.targetSource(a, s, cl)
	src.Kind, src.Path = render.Helm, "."
	if err := c.withInputs(ctx, a, dir, &src, refs); err != nil {
		return nil, err
	}
	key := renderKey(url+"#"+name+"@"+digest, src)
	c.chartDeps.addKey(a.GetName(), key)
	m, ok := c.renders.Load(key)
	stale := ok && m.(*renderMemo).stale
	if ok && !stale {
		c.Stats.add(0, 1, 0)
		return m.(*renderMemo).copy(), nil
	}
	v, err, _ := c.renderOnce.Do(key, func() (any, error) {
		objs, err := c.chartRenderOrStored(ctx, key, digest, dir, src, name+" "+cv.Version, stale)
		if err != nil {
			return nil, err
		}
		m := &renderMemo{commit: digest, objs: objs}
		if _, loaded := c.renders.Swap(key, m); !loaded && c.memoSize.Add(1) > maxRenderMemo {
			c.renders.Clear() // bounded: charts and their versions come and go
			c.memoSize.Store(0)
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*renderMemo).copy(), nil
}

// chartRenderOrStored returns the stored render of key (made before a
// restart) unless fresh (a hard refresh), else renders the chart and
// stores the result.
func (c *Controller) chartRenderOrStored(ctx context.Context, key, digest, dir string, src render.Source, what string, fresh bool) ([]*unstructured.Unstructured, error) {
	if !fresh {
		rec, err := c.store.GetRender(key)
		switch {
		case err == nil && rec.Commit == digest:
			if objs, derr := decodeObjects(rec.Objects); derr == nil {
				c.Stats.add(0, 1, 0)
				return objs, nil
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	objs, err := c.renderChartDir(ctx, dir, src, what)
	if err != nil {
		return nil, err
	}
	return objs, c.storeRender(key, digest, nil, objs)
}

// withInputs completes the render of the chart unpacked at dir with its
// dependencies and the values files other sources lend it.
func (c *Controller) withInputs(ctx context.Context, a *pb.Application, dir string, src *render.Source, refs refValues) error {
	t := dirTree(dir)
	defer t.done()
	if err := c.withDependencies(ctx, a, t, src); err != nil {
		return err
	}
	return c.withRefValues(src, refs)
}

// renderChartDir renders an unpacked chart in a render worker (in this
// process only without one: package tests).
func (c *Controller) renderChartDir(ctx context.Context, dir string, src render.Source, what string) ([]*unstructured.Unstructured, error) {
	rctx, done, err := c.renderSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	c.Stats.add(1, 0, 0)
	start := c.now()
	var objs []*unstructured.Unstructured
	if c.opts.Renderer == nil {
		var res *render.Result
		if res, err = render.Render(rctx, os.DirFS(dir), src, render.DefaultLimits()); err == nil {
			objs = res.Objects
		}
	} else {
		var res *renderworker.Result
		if res, err = c.opts.Renderer.Render(rctx, renderworker.Job{Dir: dir, Source: src, Limits: render.DefaultLimits(), Name: "chart " + what}); err == nil {
			objs = res.Objects
		}
	}
	observeRender(c.now().Sub(start), err)
	return objs, err
}
