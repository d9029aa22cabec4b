package controller

import (
	"context"
	"io/fs"

	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/internal/renderworker"
	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// Renderer renders a commit of a cached repository outside the hub
// process: renderworker.Pool, with its hard limits.
type Renderer interface {
	Render(ctx context.Context, job renderworker.Job) (*renderworker.Result, error)
}

// renderTree renders src at commit with the configured Renderer and
// returns the objects and the paths read. Without a Renderer (package
// tests only: hub.Start always sets one) it renders in this process.
func (c *Controller) renderTree(ctx context.Context, repo *source.Repo, tree *source.TreeFS, commit string, src render.Source) (*renderworker.Result, error) {
	if c.opts.Renderer == nil {
		fsys, err := renderworker.MountRemoteBases(tree, src.Kustomize.RemoteBases, func(dir, commit string) (fs.FS, error) {
			return source.OpenTree(dir, commit)
		})
		if err != nil {
			return nil, err
		}
		res, err := render.Render(ctx, fsys, src, render.DefaultLimits())
		if err != nil {
			return nil, err
		}
		return &renderworker.Result{Kind: res.Kind, Objects: res.Objects, Reads: tree.Reads()}, nil
	}
	return c.opts.Renderer.Render(ctx, renderworker.Job{
		GitDir: repo.Dir(), Commit: commit, Source: src, Limits: render.DefaultLimits(), Name: displayName(src.Path),
	})
}

func displayName(p string) string {
	if p == "" || p == "." {
		return "path ./"
	}
	return "path " + p
}
