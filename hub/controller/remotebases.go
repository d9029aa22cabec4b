package controller

import (
	"context"
	"fmt"
	"io/fs"
	"slices"

	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// maxRemoteBases bounds the remote bases one render fetches.
const maxRemoteBases = 32

// remoteMounts is where remote bases are mounted in a render's
// filesystem, at the repository root.
const remoteMounts = ".flotilla-remote-bases"

// withRemoteBases fetches the Git repositories of the remote bases of
// src's kustomizations through the hub's Git cache (only those a's
// project allows: Kustomize never runs git), resolves each revision and
// tells the render where each is mounted.
func (c *Controller) withRemoteBases(ctx context.Context, a *pb.Application, t *tree, src *render.Source) error {
	dir, kind, ok := c.kindOf(t, *src)
	if !ok || kind != render.Kustomize {
		return nil
	}
	parsed, err := parsedOnce(c, t, "remoteBases", dir, func(fsys fs.FS) ([]render.RemoteBase, error) { return render.KustomizeRemoteBases(fsys, dir) })
	if err != nil || len(parsed) == 0 {
		return err
	}
	bases := slices.Clone(parsed) // shared with later renders of the tree
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
	h, err := c.repo(rb.RepoURL).ResolveExact(rev)
	if err != nil {
		if ferr := c.fetch(ctx, rb.RepoURL); ferr != nil {
			return "", ferr
		}
		if h, err = c.repo(rb.RepoURL).ResolveExact(rev); err != nil {
			return "", err
		}
	}
	return h.String(), nil
}
