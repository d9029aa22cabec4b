package controller

import (
	"context"
	"fmt"
	"io/fs"
	"path"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// refValues are the Git repositories of an application's sources that
// have a ref, at the revision being rendered: what the others' values
// files "$REF/path" read.
type refValues map[string]refSource

type refSource struct{ url, commit string }

func refsOf(a *pb.Application, revs []string) refValues {
	refs := refValues{}
	for i, s := range wire.Sources(a) {
		if s.GetRef() != "" && !isChart(s) {
			refs[s.GetRef()] = refSource{url: s.GetRepoUrl(), commit: revs[i]}
		}
	}
	return refs
}

// renderGit renders Git source s of a at commit for cluster cl, with its
// chart's dependencies or its kustomizations' helmCharts and remote
// bases, and the values files other sources lend it.
func (c *Controller) renderGit(ctx context.Context, a *pb.Application, s *pb.ApplicationSource, cl *pb.Cluster, commit string, refs refValues) ([]*unstructured.Unstructured, error) {
	url := s.GetRepoUrl()
	repo := c.repo(url)
	src := c.targetSource(a, s, cl)
	orig := src // what the source says, before what the hub adds
	t := gitTree(url, repo, commit)
	if err := c.withDependencies(ctx, a, t, &src); err != nil {
		return nil, err
	}
	if err := c.withKustomizeCharts(ctx, a, t, &src); err != nil {
		return nil, err
	}
	if err := c.withRemoteBases(ctx, a, t, &src); err != nil {
		return nil, err
	}
	if err := c.withRefValues(&src, refs); err != nil {
		return nil, err
	}
	if added(src) {
		c.chartDeps.record(a.GetName(), nil, renderKey(url, orig), renderKey(url, src), nil)
	}
	return c.render(ctx, repo, commit, src, url)
}

// added says whether the hub added inputs to a source's render (fetched
// charts, remote bases, other sources' values files): its render key is
// then not the one the source alone makes.
func added(src render.Source) bool {
	return len(src.Helm.Dependencies) > 0 || len(src.Kustomize.HelmCharts) > 0 || len(src.Kustomize.RemoteBases) > 0 || len(src.Helm.RefValueFiles) > 0
}

// maxRefValues bounds the bytes of the values files one render reads
// from other sources: they travel in the render job.
const maxRefValues = 4 << 20

// withRefValues reads the values files of src that name another source
// ("$REF/path") from that source's repository, maxRefValues in all. A
// ref no source has is left for the render to name.
func (c *Controller) withRefValues(src *render.Source, refs refValues) error {
	total := 0
	for _, f := range src.Helm.ValueFiles {
		ref, p, ok := wire.RefPath(f)
		r, known := refs[ref]
		if !ok || !known {
			continue
		}
		p = path.Clean(p)
		if !fs.ValidPath(p) || p == "." {
			return fmt.Errorf("values file %s: want $%s/PATH, a file inside the repository %s", f, ref, r.url)
		}
		b, err := parsedOnce(c, gitTree(r.url, c.repo(r.url), r.commit), "valuesFile", p, func(fsys fs.FS) (string, error) {
			return readRefValues(fsys, p, r.url)
		})
		if err != nil {
			return fmt.Errorf("values file %s: %w", f, err)
		}
		if total += len(b); total > maxRefValues {
			return fmt.Errorf("values file %s: not a regular file, or the values files of other sources exceed %d bytes in all", f, maxRefValues)
		}
		if src.Helm.RefValueFiles == nil {
			src.Helm.RefValueFiles = map[string]string{}
		}
		src.Helm.RefValueFiles[f] = b
	}
	return nil
}

// readRefValues reads values file p of another source's repository
// (repoURL), at most maxRefValues bytes.
func readRefValues(fsys fs.FS, p, repoURL string) (string, error) {
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		return "", fmt.Errorf("%s: %w", repoURL, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxRefValues {
		return "", fmt.Errorf("not a regular file, or the values files of other sources exceed %d bytes in all", maxRefValues)
	}
	b, err := fs.ReadFile(fsys, p)
	return string(b), err
}
