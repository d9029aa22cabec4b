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
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Sources of two kinds: a path of a Git repository, or a chart of a Helm
// repository (source.chart). A Git source's revision is a commit; a
// chart's is the chart version its target revision (a version or a semver
// constraint) selects in the repository's index, and its content the
// archive of that version, pulled once per digest.

func isChart(a *pb.Application) bool { return a.GetSource().GetChart() != "" }

// resolveRevision returns the revision a's source is at for revision (a
// target revision): a commit SHA, or a chart version.
func (c *Controller) resolveRevision(a *pb.Application, revision string) (string, error) {
	if isChart(a) {
		cv, err := c.charts().Resolve(a.GetSource().GetRepoUrl(), a.GetSource().GetChart(), revision)
		if err != nil {
			return "", err
		}
		return cv.Version, nil
	}
	h, err := c.repo(a.GetSource().GetRepoUrl()).Resolve(revision)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// chartDigest is the digest of a chart source's archive at version, from
// the repository's index ("" for Git sources).
func (c *Controller) chartDigest(a *pb.Application, version string) string {
	if !isChart(a) || version == "" {
		return ""
	}
	cv, err := c.charts().Resolve(a.GetSource().GetRepoUrl(), a.GetSource().GetChart(), version)
	if err != nil || cv.Digest == "" {
		return ""
	}
	return "sha256:" + strings.ToLower(cv.Digest)
}

// fetchSource brings a's source up to date: a Git fetch, or a Helm
// repository's index.
func (c *Controller) fetchSource(ctx context.Context, a *pb.Application) error {
	if isChart(a) {
		// Applications of one repository reconciled together read it once.
		return c.refreshCharts(ctx, a.GetSource().GetRepoUrl(), []string{a.GetSource().GetChart()}, 2*time.Second)
	}
	return c.fetch(ctx, a.GetSource().GetRepoUrl())
}

// fetchURL brings a repository up to date as the applications using it
// read it: a Helm repository's index for charts, a Git fetch otherwise
// (also when nobody uses it yet: an ApplicationSet's).
func (c *Controller) fetchURL(ctx context.Context, repoURL string, apps []*pb.Application) error {
	var charts []string
	git := false
	for _, a := range apps {
		if a.GetSource().GetRepoUrl() == repoURL {
			if isChart(a) {
				charts = append(charts, a.GetSource().GetChart())
			}
			git = git || !isChart(a)
		}
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

// renderChart renders the chart version of a's source for cluster cl:
// pulled (once per digest) and rendered from the hub's chart cache, in a
// render worker; the render is kept in memory per digest and inputs.
func (c *Controller) renderChart(ctx context.Context, a *pb.Application, cl *pb.Cluster, version string) ([]*unstructured.Unstructured, error) {
	url, name := a.GetSource().GetRepoUrl(), a.GetSource().GetChart()
	cv, err := c.charts().Resolve(url, name, version)
	if err != nil {
		return nil, err
	}
	dir, digest, err := c.charts().Pull(ctx, url, cv, c.chartCredentials(url))
	if err != nil {
		return nil, err
	}
	src := c.targetSource(a, cl)
	src.Kind, src.Path = render.Helm, "."
	key := renderKey(url+"#"+name+"@"+digest, src)
	if m, ok := c.renders.Load(key); ok && !m.(*renderMemo).stale {
		c.Stats.add(0, 1, 0)
		return m.(*renderMemo).copy(), nil
	}
	v, err, _ := c.renderOnce.Do(key, func() (any, error) {
		objs, err := c.renderChartDir(ctx, dir, src, name+" "+cv.Version)
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

// renderChartDir renders an unpacked chart in a render worker (in this
// process only without one: package tests).
func (c *Controller) renderChartDir(ctx context.Context, dir string, src render.Source, what string) ([]*unstructured.Unstructured, error) {
	rctx, done, err := c.renderSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	c.Stats.add(1, 0, 0)
	if c.opts.Renderer == nil {
		res, err := render.Render(rctx, os.DirFS(dir), src, render.DefaultLimits())
		if err != nil {
			return nil, err
		}
		return res.Objects, nil
	}
	res, err := c.opts.Renderer.Render(rctx, renderworker.Job{Dir: dir, Source: src, Limits: render.DefaultLimits(), Name: "chart " + what})
	if err != nil {
		return nil, err
	}
	return res.Objects, nil
}

// dropChartRenders forgets the charts' renders kept in memory.
func (c *Controller) dropChartRenders() {
	c.renders.Range(func(k, v any) bool {
		if m := v.(*renderMemo); strings.HasPrefix(m.commit, "sha256:") {
			c.renders.Delete(k)
		}
		return true
	})
}

// ChartGrace keeps a chart pulled this recently through a GC: a render
// may be reading it before any history names it.
const ChartGrace = 10 * time.Minute

// ChartGC removes the cached charts that no chart application uses now or
// in its targets' history, but for those pulled less than grace ago; it
// returns how many it removed.
func (c *Controller) ChartGC(grace time.Duration) (int, error) {
	apps, err := c.store.ListApplications()
	if err != nil {
		return 0, err
	}
	keep := map[string]bool{}
	for _, a := range apps {
		if !isChart(a) {
			continue
		}
		if v, err := c.resolveRevision(a, a.GetSource().GetTargetRevision()); err == nil {
			keep[c.chartDigest(a, v)] = true
		}
		ts, err := c.store.ListTargets(a.GetName())
		if err != nil {
			return 0, err
		}
		for _, t := range ts {
			h, err := c.store.ListHistory(a.GetName(), t.GetCluster())
			if err != nil {
				return 0, err
			}
			for _, e := range h {
				keep[e.GetSourceDigest()] = true
			}
		}
	}
	return c.charts().GC(keep, grace)
}
