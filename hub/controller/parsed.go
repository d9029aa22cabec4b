package controller

import (
	"io/fs"
	"path"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"

	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// tree is a source's files as the hub reads them before a render, and
// what identifies them: a repository and commit, or a chart's unpacked
// (content-addressed) directory. The files are opened only when what the
// hub reads of them is not already known (parsedOnce): a render whose
// inputs were read before opens nothing.
type tree struct {
	id    string
	open  func() (fs.FS, func() error, error)
	fsys  fs.FS
	close func() error
}

// gitTree is a commit of a cached repository.
func gitTree(url string, repo *source.Repo, commit string) *tree {
	return &tree{id: url + "@" + commit, open: func() (fs.FS, func() error, error) {
		t, err := repo.Tree(hashOf(commit))
		return t, nil, err
	}}
}

// dirTree is a directory on disk (a chart unpacked by the chart cache);
// done closes it.
func dirTree(dir string) *tree {
	return &tree{id: dir, open: func() (fs.FS, func() error, error) { return render.OpenRoot(dir) }}
}

// files opens the tree once.
func (t *tree) files() (fs.FS, error) {
	if t.fsys == nil {
		fsys, closeFn, err := t.open()
		if err != nil {
			return nil, err
		}
		t.fsys, t.close = fsys, closeFn
	}
	return t.fsys, nil
}

// done closes what files opened.
func (t *tree) done() {
	if t.close != nil {
		_ = t.close()
	}
}

// kindOf returns the source path (cleaned) of src and how it renders from
// t: its kind, or the one detected; ok is false for a path the render
// refuses (it names it) or a tree that cannot be read.
func (c *Controller) kindOf(t *tree, src render.Source) (dir string, kind render.Kind, ok bool) {
	dir = path.Clean(src.Path)
	if !fs.ValidPath(dir) {
		return dir, "", false
	}
	if src.Kind != render.Auto {
		return dir, src.Kind, true
	}
	kind, err := parsedOnce(c, t, "kind", dir, func(fsys fs.FS) (render.Kind, error) { return render.Detect(fsys, dir), nil })
	return dir, kind, err == nil
}

// parses memoizes what the hub reads of a tree before its renders (a
// chart's dependencies, a kustomization's helmCharts and remote bases):
// once per tree and path, not once per reconcile and cluster. Results
// are shared: never modified.
type parses struct {
	m    sync.Map // key → parseResult
	n    atomic.Int64
	once singleflight.Group
}

type parseResult struct {
	v   any
	err error
}

// parsedOnce returns fn's result for what at dir of t, computed once
// (from t's files, opened then).
func parsedOnce[T any](c *Controller, t *tree, what, dir string, fn func(fs.FS) (T, error)) (T, error) {
	key := t.id + "\x00" + what + "\x00" + dir
	if r, ok := c.parses.m.Load(key); ok {
		v, _ := r.(parseResult).v.(T)
		return v, r.(parseResult).err
	}
	r, _, _ := c.parses.once.Do(key, func() (any, error) {
		fsys, err := t.files()
		if err != nil { // not kept: the tree may be readable later
			return parseResult{err: err}, nil
		}
		v, err := fn(fsys)
		if c.parses.n.Add(1) > maxRenderMemo {
			c.parses.m.Clear() // bounded: trees come and go
			c.parses.n.Store(0)
		}
		r := parseResult{v: v, err: err}
		c.parses.m.Store(key, r)
		return r, nil
	})
	v, _ := r.(parseResult).v.(T)
	return v, r.(parseResult).err
}
